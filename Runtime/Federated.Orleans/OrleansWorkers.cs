using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Orleans;
using Orleans.Runtime;

namespace TrainingGen.Federated.Cluster;

/// <summary>What the cluster did in one iteration.</summary>
/// <param name="Silos">Silos that were given blocks (a silo given blocks twice counts once).</param>
/// <param name="PayloadBytes">Vector bytes that crossed the network: the central parameters once per call, one sum (and buffer sum) per block back.</param>
/// <param name="RetriedBlocks">Blocks re-run on another silo because their silo's call failed.</param>
/// <param name="Failures">The failed calls' silos and errors.</param>
/// <param name="TrainSeconds">The longest time a silo spent training its blocks (the call's wall time minus this is messaging and queueing).</param>
/// <param name="CallSeconds">Wall time from sending the first call to the last answer.</param>
public sealed record ClusterIterationStats(int Silos, long PayloadBytes, int RetriedBlocks, IReadOnlyList<string> Failures, double TrainSeconds, double CallSeconds)
{
    /// <summary><see cref="PayloadBytes"/> in MB (10⁶ bytes).</summary>
    public double PayloadMegabytes => PayloadBytes / 1e6;
}

/// <summary>
/// <see cref="IFederatedWorkers"/> on an Orleans cluster: one <see cref="IFederatedWorkerGrain"/> per
/// active silo. Per iteration each silo gets one call carrying the central parameters and its blocks
/// (balanced by the blocks' data size, largest first onto the least loaded silo) and answers with one
/// sum per block. Blocks are reduced by the coordinator in block order, so the result is the same
/// bits as in-process, whatever the cluster's size. A failed call (its silo died) puts its blocks
/// back: they are re-run on the silos that remain, which changes nothing in the result.
/// </summary>
public sealed class OrleansWorkers : IFederatedWorkers
{
    private readonly IClusterClient _client;
    private readonly PopulationSpec _population;
    private float[] _parameters = Array.Empty<float>();
    // Silos whose call failed, skipped while the membership still lists them (it takes a while to
    // declare a dead silo dead; a restarted silo comes back with a new address).
    private readonly HashSet<string> _dead = new();
    private (IReadOnlyList<TrainingGen.Data.IDataset> Users, ulong Fingerprint)? _fingerprint;

    /// <summary>Workers on the cluster <paramref name="client"/> is connected to, training the population <paramref name="population"/> describes (each silo opens it itself).</summary>
    public OrleansWorkers(IClusterClient client, PopulationSpec population)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _population = population ?? throw new ArgumentNullException(nameof(population));
    }

    /// <summary>How often a block is tried (on different silos) before the iteration fails.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The last iteration's figures.</summary>
    public ClusterIterationStats? Last { get; private set; }

    /// <inheritdoc/>
    public void Train(FederatedRound round, IReadOnlyList<FederatedBlockResult> results) =>
        // The simulation's API is synchronous; the coordinator is a client, outside any grain, so blocking is safe.
        TrainAsync(round, results).GetAwaiter().GetResult();

    /// <summary>The asynchronous form of <see cref="Train"/>.</summary>
    public async Task TrainAsync(FederatedRound round, IReadOnlyList<FederatedBlockResult> results)
    {
        ArgumentNullException.ThrowIfNull(round); ArgumentNullException.ThrowIfNull(results);
        int blockCount = round.Blocks.Count;
        if (results.Count < blockCount) throw new ArgumentException($"{blockCount} blocks need as many results; got {results.Count}.", nameof(results));
        var parameters = PackParameters(round.Model);
        var local = LocalSettings.From(round.Options.Local);
        if (_fingerprint is not { } fp || !ReferenceEquals(fp.Users, round.Users))
            _fingerprint = fp = (round.Users, PopulationFingerprint.Of(round.Users));
        var pending = Enumerable.Range(0, blockCount).ToList();
        var used = new HashSet<string>();
        var failures = new List<string>();
        long payload = 0;
        int retried = 0;
        double trainSeconds = 0;
        long callsStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int attempt = 0; pending.Count > 0; attempt++)
        {
            if (attempt == MaxAttempts)
                throw new InvalidOperationException($"Iteration {round.Iteration}: {pending.Count} block(s) failed on {MaxAttempts} attempts: {string.Join("; ", failures)}");
            var active = await ActiveSilos();
            _dead.IntersectWith(active);
            var silos = active.Where(s => !_dead.Contains(s)).ToList();
            if (silos.Count == 0)
                throw new InvalidOperationException($"Iteration {round.Iteration}: no active silo left for {pending.Count} block(s): {string.Join("; ", failures)}");
            if (attempt > 0) retried += pending.Count;
            var assignment = Balance(pending, silos, round);
            var calls = new List<(string Silo, int[] Blocks, Task<WorkerResponse> Call)>();
            foreach (var (silo, blocks) in assignment)
            {
                var request = new WorkerRequest
                {
                    Population = _population, Iteration = round.Iteration, Seed = round.Options.Seed, Local = local,
                    WeightByDataPoints = round.Options.Weighting == FederatedWeighting.ByDataPoints,
                    ClippingBound = round.ClippingBound ?? double.NaN,
                    Parameters = parameters, Blocks = blocks, Users = blocks.Select(b => round.Blocks[b]).ToArray(), Fingerprint = fp.Fingerprint,
                };
                payload += 4L * parameters.Values.Length;
                used.Add(silo);
                calls.Add((silo, blocks, _client.GetGrain<IFederatedWorkerGrain>(silo).Train(request)));
            }
            pending.Clear();
            foreach (var (silo, blocks, call) in calls)
            {
                try
                {
                    var response = await call;
                    trainSeconds = Math.Max(trainSeconds, response.TrainSeconds);
                    foreach (var wire in response.Blocks) payload += Copy(wire, results[wire.Index], round);
                    if (response.Blocks.Length != blocks.Length)
                        throw new InvalidOperationException($"Silo {silo} answered {response.Blocks.Length} blocks; it was given {blocks.Length}.");
                }
                // InvalidOperationException is the work's own error (other data, a diverged user): the same anywhere, so not retried.
                catch (Exception e) when (e is not InvalidOperationException)
                {
                    // The silo died (or its call timed out): its blocks go to the others. A block's result
                    // does not depend on who trains it, so the iteration's result does not change.
                    _dead.Add(silo);
                    failures.Add($"{silo}: {e.GetType().Name}: {e.Message}");
                    pending.AddRange(blocks);
                }
            }
            pending.Sort();
        }
        Last = new ClusterIterationStats(used.Count, payload, retried, failures, trainSeconds, System.Diagnostics.Stopwatch.GetElapsedTime(callsStarted).TotalSeconds);
    }

    private async Task<List<string>> ActiveSilos()
    {
        var hosts = await _client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var silos = hosts.Where(h => h.Value == SiloStatus.Active).Select(h => h.Key.ToParsableString()).ToList();
        silos.Sort(StringComparer.Ordinal);
        return silos;
    }

    /// <summary>Every central parameter in state_dict order, in one reused array.</summary>
    private FloatVector PackParameters(ITrainer model)
    {
        int n = 0;
        foreach (var p in model.Parameters) n += p.Value.Length;
        if (_parameters.Length != n) _parameters = new float[n];
        int off = 0;
        foreach (var p in model.Parameters) { p.Value.AsSpan().CopyTo(_parameters.AsSpan(off)); off += p.Value.Length; }
        return new FloatVector(_parameters);
    }

    /// <summary>Largest block (by samples) first, each to the silo with the fewest samples so far (pfl-research's sorted cohort, by greedy balancing).</summary>
    internal static List<(string Silo, int[] Blocks)> Balance(IReadOnlyList<int> blocks, IReadOnlyList<string> silos, FederatedRound round)
    {
        long Size(int b) { long n = 0; foreach (int u in round.Blocks[b]) n += round.Users[u].Count; return n; }
        var order = blocks.OrderByDescending(Size).ThenBy(b => b).ToList();
        var load = new long[silos.Count];
        var given = silos.Select(_ => new List<int>()).ToArray();
        foreach (int b in order)
        {
            int best = 0;
            for (int s = 1; s < silos.Count; s++) if (load[s] < load[best]) best = s;
            load[best] += Size(b);
            given[best].Add(b);
        }
        var result = new List<(string, int[])>();
        for (int s = 0; s < silos.Count; s++)
            if (given[s].Count > 0) { given[s].Sort(); result.Add((silos[s], given[s].ToArray())); }
        return result;
    }

    private static long Copy(WireBlock wire, FederatedBlockResult result, FederatedRound round)
    {
        if (wire.Sum.Values.Length != result.Sum.Length || wire.Buffers.Values.Length != result.Buffers.Length)
            throw new InvalidOperationException($"Block {wire.Index} came back with {wire.Sum.Values.Length} + {wire.Buffers.Values.Length} values; the model has {result.Sum.Length} + {result.Buffers.Length}.");
        if (wire.Users.Length > result.Updates.Length || wire.Users.Length != round.Blocks[wire.Index].Length)
            throw new InvalidOperationException($"Block {wire.Index} came back with {wire.Users.Length} users; it has {round.Blocks[wire.Index].Length}.");
        result.Reset();
        wire.Sum.Values.CopyTo(result.Sum, 0);
        wire.Buffers.Values.CopyTo(result.Buffers, 0);
        result.Weight = wire.Weight;
        result.Unclipped = wire.Unclipped;
        for (int i = 0; i < wire.Users.Length; i++) result.Updates[i] = wire.Users[i].ToUpdate();
        result.Count = wire.Users.Length;
        return 8L * (result.Sum.Length + result.Buffers.Length);
    }
}

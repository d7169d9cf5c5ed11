using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using TrainingGen.Data;

namespace TrainingGen.Federated.Cluster;

/// <summary>A population as a silo opens it: its users' data and the trainer factory of the model.</summary>
/// <param name="CreateTrainer">Builds a trainer for a batch size (the same model and initialisation as the coordinator's).</param>
/// <param name="Users">Every user's data, indexed by user, exactly as the coordinator partitions it.</param>
public sealed record FederatedPopulation(Func<int, ITrainer> CreateTrainer, IReadOnlyList<IDataset> Users);

/// <summary>Options of a silo's federated workers.</summary>
public sealed class FederatedSiloOptions
{
    /// <summary>Threads of this silo that train blocks (one trainer set each). Default: every core.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;
    /// <summary>
    /// Called when a worker call arrives, before training (argument: the iteration). Tests use it to
    /// stop a silo while its part of an iteration is in flight.
    /// </summary>
    public Func<int, Task>? BeforeTrain { get; set; }
}

/// <summary>
/// A silo's federated state, kept across calls and iterations: each population it was asked for
/// (loaded once through the host's loader), a trainer holding the central parameters, the
/// <see cref="InProcessWorkers"/> whose trainers are reused for every user, and the block results
/// (reused: no allocation per user).
/// </summary>
public sealed class FederatedSiloHost
{
    private sealed class State
    {
        public required FederatedPopulation Population;
        public required ITrainer Central;
        public required InProcessWorkers Workers;
        public readonly List<FederatedBlockResult> Results = new();
        public int DeltaLength, BufferLength, ParameterLength;
        public ulong Fingerprint;
    }

    private readonly Func<PopulationSpec, FederatedPopulation> _load;
    private readonly FederatedSiloOptions _options;
    private readonly Dictionary<string, State> _states = new();
    private readonly object _gate = new();

    /// <summary>A host loading populations with <paramref name="load"/>.</summary>
    public FederatedSiloHost(Func<PopulationSpec, FederatedPopulation> load, FederatedSiloOptions options)
    {
        _load = load ?? throw new ArgumentNullException(nameof(load));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Threads <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "The thread count must be positive.");
    }

    internal Func<int, Task>? BeforeTrain => _options.BeforeTrain;

    /// <summary>Trains the request's blocks on this silo's threads.</summary>
    public WireBlock[] Train(WorkerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)   // one request at a time per silo: the state (central copy, results) is reused
        {
            var s = StateFor(request.Population, request.Local.BatchSize);
            if (request.Fingerprint != s.Fingerprint)
                throw new InvalidOperationException($"This silo's population '{request.Population.Key()}' ({s.Population.Users.Count} users, fingerprint {s.Fingerprint:x16}) " +
                    $"is not the coordinator's (fingerprint {request.Fingerprint:x16}): every silo must open the same data, partitioned the same way.");
            if (request.Parameters.Values.Length != s.ParameterLength)
                throw new ArgumentException($"The request holds {request.Parameters.Values.Length} parameter values; this silo's model has {s.ParameterLength}: the populations differ.");
            int off = 0;
            foreach (var p in s.Central.Parameters)
            {
                request.Parameters.Values.AsSpan(off, p.Value.Length).CopyTo(p.Value);
                off += p.Value.Length;
            }
            var options = new FederatedOptions
            {
                Local = request.Local.ToOptions(), Seed = request.Seed, Threads = s.Workers.Threads,
                Weighting = request.WeightByDataPoints ? FederatedWeighting.ByDataPoints : FederatedWeighting.ByUser,
            };
            double? bound = double.IsNaN(request.ClippingBound) ? null : request.ClippingBound;
            while (s.Results.Count < request.Users.Length) s.Results.Add(new FederatedBlockResult(s.DeltaLength, s.BufferLength));
            var results = s.Results.GetRange(0, request.Users.Length);
            s.Workers.Train(new FederatedRound(request.Iteration, request.Users, bound, options, s.Central, s.Population.Users), results);

            var reply = new WireBlock[request.Users.Length];
            for (int b = 0; b < reply.Length; b++)
            {
                var r = results[b];
                var users = new WireUser[r.Count];
                for (int i = 0; i < users.Length; i++) users[i] = WireUser.From(r.Updates[i]);
                // The reply wraps the reused arrays: the coordinator sends this silo nothing before it has the reply.
                reply[b] = new WireBlock { Index = request.Blocks[b], Sum = new DoubleVector(r.Sum), Buffers = new DoubleVector(r.Buffers), Weight = r.Weight, Unclipped = r.Unclipped, Users = users };
            }
            return reply;
        }
    }

    private State StateFor(PopulationSpec spec, int batchSize)
    {
        string key = spec.Key();
        if (_states.TryGetValue(key, out var s)) return s;
        var population = _load(spec) ?? throw new InvalidOperationException($"The population loader returned null for '{key}'.");
        var central = population.CreateTrainer(batchSize) ?? throw new InvalidOperationException("The trainer factory returned null.");
        int delta = 0, buffers = 0, all = 0;
        foreach (var p in central.Parameters)
        {
            all += p.Value.Length;
            if (p.Trainable) delta += p.Value.Length;
            else if (p.IsBuffer) buffers += p.Value.Length;
        }
        s = new State
        {
            Population = population, Central = central, Workers = new InProcessWorkers(population.CreateTrainer, _options.Threads),
            DeltaLength = delta, BufferLength = buffers, ParameterLength = all, Fingerprint = PopulationFingerprint.Of(population.Users),
        };
        _states.Add(key, s);
        return s;
    }
}

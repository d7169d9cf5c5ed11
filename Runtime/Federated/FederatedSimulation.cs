using System;
using System.Collections.Generic;
using TrainingGen.Data;
using TrainingGen.Optimizers;

namespace TrainingGen.Federated;

/// <summary>
/// A simulation of federated learning over a population of users, each with its own data, through
/// any generated trainer and only its public API. Each <see cref="RunIteration"/>: sample a cohort;
/// train every sampled user locally from the central parameters (<see cref="LocalTrainingOptions"/>);
/// clip and noise the deltas when <see cref="FederatedOptions.Privacy"/> is set; average them
/// (FedAvg, or FedProx with a proximal μ); apply the average with the central optimizer.
/// <para>Determinism: every random stream is derived from (seed, iteration, user), and the cohort
/// is reduced in fixed blocks of consecutive users summed in order (in float64), so the central
/// parameters after any number of iterations are bit-identical whatever <see cref="FederatedOptions.Threads"/> is.</para>
/// </summary>
/// <example><code>
/// var users = Partition.Dirichlet(train, 100, alpha: 0.5, seed: 1);
/// var sim = new FederatedSimulation(b =&gt; MyNet.CreateTrainer(b, seed: 0), users,
///     new FederatedOptions { CohortSize = 10, Local = new() { BatchSize = 16, Epochs = 1, LearningRate = 0.05 }, Weighting = FederatedWeighting.ByUser,
///                            Privacy = new() { ClippingBound = 0.5, NoiseMultiplier = 1.0 } });
/// for (int t = 0; t &lt; 100; t++) sim.RunIteration();
/// var result = Trainer.Evaluate(sim.Model, test);
/// </code></example>
public sealed partial class FederatedSimulation
{
    /// <summary>Users summed sequentially into one accumulator; the blocks are then added in order. Fixed so the result does not depend on the thread count.</summary>
    public const int UsersPerBlock = 4;

    private readonly IReadOnlyList<IDataset> _users;
    private readonly FederatedOptions _o;
    private readonly IPrivacyLedger? _ledger;
    private readonly ModelLayout _layout;
    private readonly Optimizer _centralOptimizer;
    private readonly float[][] _pseudoGradients;
    private readonly double[] _total;
    private readonly double[] _bufferTotal;
    private readonly List<FederatedBlockResult> _blocks = new();
    private readonly IFederatedWorkers _workers;
    private readonly double _countNoise;   // σ_b of adaptive clipping
    private readonly double _deltaNoiseMultiplier;
    private long _centralSteps;            // central optimizer updates so far (an empty cohort without DP takes none)

    /// <summary>
    /// Sets up a simulation. <paramref name="createTrainer"/> builds a trainer for a batch size (e.g.
    /// <c>b =&gt; MyNet.CreateTrainer(b, seed)</c>); it is called once for the central model (batch size
    /// <see cref="LocalTrainingOptions.BatchSize"/>), whose initial parameters are the starting point,
    /// and once per worker and distinct batch size needed. <paramref name="users"/> holds each user's
    /// data; all share sample shapes. <paramref name="ledger"/> reports ε after each iteration.
    /// <paramref name="workers"/> trains the users (default: <see cref="InProcessWorkers"/> on
    /// <see cref="FederatedOptions.Threads"/> threads; TrainingGen.Federated.Orleans runs them on a cluster).
    /// </summary>
    public FederatedSimulation(Func<int, ITrainer> createTrainer, IReadOnlyList<IDataset> users, FederatedOptions options, IPrivacyLedger? ledger = null, IFederatedWorkers? workers = null)
    {
        ArgumentNullException.ThrowIfNull(createTrainer);
        _users = users ?? throw new ArgumentNullException(nameof(users));
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _o.Validate(users.Count);
        for (int u = 0; u < users.Count; u++)
        {
            var d = users[u] ?? throw new ArgumentException($"User {u} has no data set (null).", nameof(users));
            if (d.Count == 0) throw new ArgumentException($"User {u} has no samples.", nameof(users));
            if (!d.FeatureShape.AsSpan().SequenceEqual(users[0].FeatureShape) || !d.LabelShape.AsSpan().SequenceEqual(users[0].LabelShape))
                throw new ArgumentException($"User {u}'s samples have shapes {ShapeUtil.Format(d.FeatureShape)} → {ShapeUtil.Format(d.LabelShape)}; user 0's have {ShapeUtil.Format(users[0].FeatureShape)} → {ShapeUtil.Format(users[0].LabelShape)}.", nameof(users));
        }
        _ledger = ledger;
        Model = createTrainer(_o.Local.BatchSize) ?? throw new InvalidOperationException("The trainer factory returned null.");
        _layout = new ModelLayout(Model);

        // The central optimizer sees the central model's trainable parameters with its own
        // gradient buffers, which receive the pseudo-gradient −Δ (as pfl-research's apply_model_update).
        _centralOptimizer = _o.CentralOptimizer ?? new Sgd(new SgdOptions(1.0));
        var ps = Model.Parameters;
        _pseudoGradients = new float[_layout.Trainable.Length][];
        var bound = new TrainerTensor[_layout.Trainable.Length];
        for (int k = 0; k < bound.Length; k++)
        {
            var p = ps[_layout.Trainable[k]];
            _pseudoGradients[k] = new float[p.Value.Length];
            bound[k] = new TrainerTensor(p.Name, p.MilName, p.Shape, true, p.Value, _pseudoGradients[k]);
        }
        _centralOptimizer.Bind(bound);

        _total = new double[_layout.DeltaLength];
        _bufferTotal = new double[_layout.BufferLength];
        _workers = workers ?? new InProcessWorkers(createTrainer, _o.Threads);

        if (_o.Privacy is { } dp)
        {
            ClippingBound = dp.ClippingBound;
            _deltaNoiseMultiplier = dp.NoiseMultiplier;
            if (dp.AdaptiveClipping is { } ac)
            {
                _countNoise = ac.CountNoiseStdDev ?? _o.ExpectedCohortSize(users.Count) / 20;
                if (dp.NoiseMultiplier > 0)
                {
                    if (!(2 * _countNoise > dp.NoiseMultiplier))
                        throw new ArgumentException($"Adaptive clipping needs 2σ_b > z: σ_b = {_countNoise} (the count noise), z = {dp.NoiseMultiplier}.", nameof(options));
                    _deltaNoiseMultiplier = Math.Pow(Math.Pow(dp.NoiseMultiplier, -2) - Math.Pow(2 * _countNoise, -2), -0.5);
                }
            }
        }
    }

    /// <summary>The central model: its parameters are the current central parameters (live; edit before the first iteration to start elsewhere). Evaluate it with <see cref="Trainer.Evaluate"/>.</summary>
    public ITrainer Model { get; }
    /// <summary>Central iterations completed.</summary>
    public int Iteration { get; private set; }
    /// <summary>The current clipping bound C (it moves with adaptive clipping); null without DP.</summary>
    public double? ClippingBound { get; private set; }
    /// <summary>The noise multiplier applied to the deltas: z, or z_Δ with adaptive clipping (see <see cref="AdaptiveClippingOptions.CountNoiseStdDev"/>).</summary>
    public double DeltaNoiseMultiplier => _deltaNoiseMultiplier;

    /// <summary>Runs <paramref name="iterations"/> central iterations; returns their results.</summary>
    public IReadOnlyList<IterationResult> Run(int iterations)
    {
        var results = new IterationResult[iterations];
        for (int i = 0; i < iterations; i++) results[i] = RunIteration();
        return results;
    }

    /// <summary>One central iteration (see the class summary).</summary>
    public IterationResult RunIteration()
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int iteration = Iteration;
        int population = _users.Count;
        var cohort = _o.SamplingRate is double q
            ? CohortSampler.Poisson(population, q, _o.Seed, iteration)
            : CohortSampler.Fixed(population, _o.CohortSize, _o.Seed, iteration);
        var updates = new UserUpdate[cohort.Length];
        var blocks = FederatedRound.Split(cohort);
        int blockCount = blocks.Length;
        while (_blocks.Count < blockCount) _blocks.Add(new FederatedBlockResult(_layout.DeltaLength, _layout.BufferLength));
        double? bound = ClippingBound;
        var results = _blocks.GetRange(0, blockCount);
        _workers.Train(new FederatedRound(iteration, blocks, bound, _o, Model, _users), results);
        for (int blk = 0; blk < blockCount; blk++)
        {
            // A worker elsewhere (a cluster silo) loads the users' data itself: check it trained these users on data of the same size.
            var r = results[blk];
            if (r.Count != blocks[blk].Length)
                throw new InvalidOperationException($"Block {blk} of iteration {iteration} came back with {r.Count} users; it has {blocks[blk].Length}.");
            for (int i = 0; i < r.Count; i++)
            {
                var u = r.Updates[i];
                int user = blocks[blk][i];
                if (u.User != user || u.Samples != _users[user].Count)
                    throw new InvalidOperationException($"Block {blk} of iteration {iteration}: the worker trained user {u.User} with {u.Samples} samples where user {user} has {_users[user].Count}: its data is not the coordinator's.");
                updates[blk * UsersPerBlock + i] = u;
            }
        }

        // Reduce the blocks in order: the same additions in the same order for any thread count.
        Array.Clear(_total); Array.Clear(_bufferTotal);
        double weight = 0; int unclipped = 0;
        for (int blk = 0; blk < blockCount; blk++)
        {
            var block = results[blk];
            for (int j = 0; j < _total.Length; j++) _total[j] += block.Sum[j];
            for (int j = 0; j < _bufferTotal.Length; j++) _bufferTotal[j] += block.Buffers[j];
            weight += block.Weight; unclipped += block.Unclipped;
        }

        double noiseStd = 0;
        double denominator = weight;
        if (_o.Privacy is { } dp)
        {
            double expected = _o.ExpectedCohortSize(population);
            // The mean's denominator is fixed (the expected cohort), so a user's presence changes the
            // average by at most C / expected (DP-FedAvg's fixed-denominator estimator).
            denominator = expected;
            var noise = new Rng(StreamSeeds.Derive(dp.NoiseSeed, StreamSeeds.Noise, (ulong)iteration));
            noiseStd = GaussianMechanism.NoiseStdDev(_deltaNoiseMultiplier, bound!.Value, expected, dp.NoiseCohortSize);
            if (noiseStd > 0) GaussianMechanism.AddNoise(_total, noiseStd, noise);
            if (dp.AdaptiveClipping is { } ac)
                ClippingBound = GaussianMechanism.NextClippingBound(bound.Value, unclipped, _countNoise, expected, ac, noise);
        }

        if (denominator > 0 && (cohort.Length > 0 || noiseStd > 0))
        {
            int off = 0;
            for (int k = 0; k < _pseudoGradients.Length; k++)
            {
                var g = _pseudoGradients[k];
                for (int j = 0; j < g.Length; j++) g[j] = (float)(-_total[off + j] / denominator);
                off += g.Length;
            }
            _centralOptimizer.Step((float)_centralOptimizer.LearningRate, _centralSteps++);
            if (_o.Buffers == BufferAggregation.Average && weight > 0)
            {
                var ps = Model.Parameters;
                off = 0;
                foreach (int i in _layout.Buffers)
                {
                    var v = ps[i].Value;
                    for (int j = 0; j < v.Length; j++) v[j] = (float)(_bufferTotal[off + j] / weight);
                    off += v.Length;
                }
            }
        }

        double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;   // before the ledger: accounting is not training
        Iteration = iteration + 1;
        double lossSum = 0;
        long images = 0;
        foreach (var u in updates) { lossSum += u.Loss; images += u.Images; }
        return new IterationResult(iteration, updates, cohort.Length > 0 ? lossSum / cohort.Length : double.NaN, bound, noiseStd, _ledger?.Epsilon(Iteration))
        {
            LocalImages = images,
            Seconds = seconds,
        };
    }
}

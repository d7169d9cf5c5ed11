using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
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

    private sealed class Block
    {
        public Block(int deltaLength, int bufferLength) { Sum = new double[deltaLength]; Buffers = new double[bufferLength]; }
        public readonly double[] Sum, Buffers;
        public double Weight;
        public int Unclipped;
        public void Reset() { Array.Clear(Sum); Array.Clear(Buffers); Weight = 0; Unclipped = 0; }
    }

    private readonly Func<int, ITrainer> _factory;
    private readonly IReadOnlyList<IDataset> _users;
    private readonly FederatedOptions _o;
    private readonly IPrivacyLedger? _ledger;
    private readonly ModelLayout _layout;
    private readonly Optimizer _centralOptimizer;
    private readonly float[][] _pseudoGradients;
    private readonly double[] _total;
    private readonly double[] _bufferTotal;
    private readonly List<Block> _blocks = new();
    private readonly FederatedWorker?[] _workers;
    private readonly double _countNoise;   // σ_b of adaptive clipping
    private readonly double _deltaNoiseMultiplier;
    private long _centralSteps;            // central optimizer updates so far (an empty cohort without DP takes none)

    /// <summary>
    /// Sets up a simulation. <paramref name="createTrainer"/> builds a trainer for a batch size (e.g.
    /// <c>b =&gt; MyNet.CreateTrainer(b, seed)</c>); it is called once for the central model (batch size
    /// <see cref="LocalTrainingOptions.BatchSize"/>), whose initial parameters are the starting point,
    /// and once per worker and distinct batch size needed. <paramref name="users"/> holds each user's
    /// data; all share sample shapes. <paramref name="ledger"/> reports ε after each iteration.
    /// </summary>
    public FederatedSimulation(Func<int, ITrainer> createTrainer, IReadOnlyList<IDataset> users, FederatedOptions options, IPrivacyLedger? ledger = null)
    {
        _factory = createTrainer ?? throw new ArgumentNullException(nameof(createTrainer));
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
        _workers = new FederatedWorker?[_o.Threads];

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
        int blockCount = (cohort.Length + UsersPerBlock - 1) / UsersPerBlock;
        while (_blocks.Count < blockCount) _blocks.Add(new Block(_layout.DeltaLength, _layout.BufferLength));
        double? bound = ClippingBound;

        int threads = Math.Min(_o.Threads, blockCount);
        int kernelThreads = Math.Clamp(_o.Threads / Math.Max(1, threads), 1, Kernels.KernelThreads.Max);
        int next = -1;
        void Drain(int w)
        {
            var worker = _workers[w] ??= new FederatedWorker(_factory, Model, _layout);
            worker.KernelThreads = kernelThreads;
            int blk;
            while ((blk = Interlocked.Increment(ref next)) < blockCount)
            {
                var block = _blocks[blk];
                block.Reset();
                int end = Math.Min(cohort.Length, (blk + 1) * UsersPerBlock);
                for (int c = blk * UsersPerBlock; c < end; c++)
                    updates[c] = TrainAndAccumulate(worker, cohort[c], iteration, bound, block);
            }
        }

        if (threads <= 1) { if (blockCount > 0) Drain(0); }
        else
        {
            try { Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, Drain); }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0) { ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); }
        }

        // Reduce the blocks in order: the same additions in the same order for any thread count.
        Array.Clear(_total); Array.Clear(_bufferTotal);
        double weight = 0; int unclipped = 0;
        for (int blk = 0; blk < blockCount; blk++)
        {
            var block = _blocks[blk];
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

    private UserUpdate TrainAndAccumulate(FederatedWorker worker, int user, int iteration, double? bound, Block block)
    {
        var data = _users[user];
        var (loss, steps, images) = worker.TrainUser(user, data, iteration, _o.Seed, _o.Local);
        var delta = worker.Delta;
        double norm = GaussianMechanism.Norm(delta);
        if (!double.IsFinite(norm))
            throw new InvalidOperationException($"User {user}'s update in iteration {iteration} is not finite (norm {norm}).");
        double scale = 1;
        if (bound is double c)
        {
            if (norm <= c) block.Unclipped++;
            else scale = c / norm;
        }
        double w = _o.Weighting == FederatedWeighting.ByDataPoints ? data.Count : 1;
        double clippedSq = GaussianMechanism.AccumulateScaled(delta, scale, w, block.Sum);
        var buffers = worker.BufferValues;
        for (int j = 0; j < buffers.Length; j++) block.Buffers[j] += w * buffers[j];
        block.Weight += w;
        return new UserUpdate(user, data.Count, steps, loss, norm, Math.Sqrt(clippedSq), w, images);
    }
}

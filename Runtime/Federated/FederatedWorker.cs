using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using TrainingGen.Data;

namespace TrainingGen.Federated;

/// <summary>
/// One thread's local trainer: trains a user starting from the central parameters and leaves the
/// user's delta (local − central, trainable parameters concatenated) in <see cref="Delta"/> and its
/// buffers in <see cref="BufferValues"/>.
/// <para>Trainers are built with a fixed batch size, so the worker keeps one per distinct batch
/// size it has needed (the local batch size and the sizes of users' last partial batches), built by
/// the factory on first use and reused for every later user: no allocation per user once warm.
/// Switching between them in the middle of a user's training carries the parameters, the local
/// optimizer's state and step count, and the random streams across.</para>
/// </summary>
internal sealed class FederatedWorker
{
    private sealed class Slot
    {
        public required ITrainer Trainer;
        public required Tensor[] Inputs;   // features [b, …], labels [b, …]
        public int Threads = -1;            // the kernel cap last given to Trainer (-1: none yet)
        public bool TakesThreads = true;    // false for a trainer whose Threads setter throws NotSupportedException
    }

    private readonly Func<int, ITrainer> _factory;
    private readonly ITrainer _central;
    private readonly ModelLayout _layout;
    private readonly Dictionary<int, Slot> _slots = new();
    private int[] _order = Array.Empty<int>();
    private readonly Rng _shuffle = new(0);   // reseeded for every user

    public FederatedWorker(Func<int, ITrainer> factory, ITrainer central, ModelLayout layout)
    {
        _factory = factory; _central = central; _layout = layout;
        Delta = new float[layout.DeltaLength];
        BufferValues = new float[layout.BufferLength];
    }

    /// <summary>Kernel threads for this worker's trainers (see <see cref="FederatedOptions.Threads"/>), applied before each user.</summary>
    public int KernelThreads { get; set; } = 1;

    /// <summary>The last user's delta, trainable parameters in state_dict order.</summary>
    public float[] Delta { get; }
    /// <summary>The last user's buffers after training, in state_dict order.</summary>
    public float[] BufferValues { get; }

    private Slot SlotFor(int batchSize, IDataset data)
    {
        if (_slots.TryGetValue(batchSize, out var slot)) return slot;
        var t = _factory(batchSize) ?? throw new InvalidOperationException($"The trainer factory returned null for batch size {batchSize}.");
        if (t.BatchSize != batchSize)
            throw new InvalidOperationException($"The trainer factory was asked for batch size {batchSize} and built a trainer of batch size {t.BatchSize}.");
        if (t.InputNames.Count != 2)
            throw new ArgumentException($"Federated training needs a trainer with one feature and one label input; this one takes ({string.Join(", ", t.InputNames)}).");
        _layout.Check(t, _central.Parameters);
        // Frozen parameters never change during a simulation: copied down once, never sent back.
        ModelLayout.Copy(_layout.Frozen, _central.Parameters, t.Parameters);
        slot = new Slot { Trainer = t, Inputs = new[] { new Tensor(Prepend(batchSize, data.FeatureShape)), new Tensor(Prepend(batchSize, data.LabelShape)) } };
        _slots.Add(batchSize, slot);
        return slot;
    }

    private static int[] Prepend(int b, int[] shape) { var s = new int[shape.Length + 1]; s[0] = b; shape.CopyTo(s, 1); return s; }

    /// <summary>
    /// Trains user <paramref name="user"/> on <paramref name="data"/> from the central parameters;
    /// returns the mean loss over its local steps, the number of steps and the number of samples
    /// those steps trained on (a sample seen in two epochs counts twice).
    /// </summary>
    public (double MeanLoss, int Steps, long Images) TrainUser(int user, IDataset data, int iteration, ulong seed, LocalTrainingOptions o)
    {
        int n = data.Count, b = o.BatchSize;
        int full = n / b, rem = n % b;
        int perEpoch = full + (rem > 0 ? 1 : 0);
        int steps = o.Steps ?? checked(o.Epochs * perEpoch);
        if (_order.Length < n) _order = new int[n];
        var order = _order.AsSpan(0, n);
        for (int i = 0; i < n; i++) order[i] = i;
        _shuffle.State = StreamSeeds.Derive(seed, StreamSeeds.Shuffle, (ulong)iteration, (ulong)user);

        Slot? active = null;
        double lossSum = 0;
        long images = 0;
        float mu = (float)o.ProximalMu;
        for (int step = 0; step < steps; step++)
        {
            int batchInEpoch = step % perEpoch;
            if (batchInEpoch == 0 && o.Shuffle) Dataset.Shuffle(order, _shuffle);
            int size = batchInEpoch < full ? b : rem;
            var slot = SlotFor(size, data);
            if (slot.Threads != KernelThreads && slot.TakesThreads) Cap(slot);
            if (active is null) Begin(slot.Trainer, user, iteration, seed, o);
            else if (!ReferenceEquals(active, slot)) Transfer(active.Trainer, slot.Trainer);
            active = slot;

            Fill(data, order.Slice(batchInEpoch * b, size), slot.Inputs);
            var t = slot.Trainer;
            float loss = t.ComputeGradients(slot.Inputs);
            if (!float.IsFinite(loss))
                throw new InvalidOperationException($"Local training diverged: user {user}, iteration {iteration}, local step {step}: the loss is {loss}.");
            lossSum += loss;
            images += size;
            if (mu > 0) AddProximalGradient(t, mu);
            if (o.ClipGradNorm is double c) Trainer.ClipGradNorm(t, c);
            t.ApplyUpdate();
        }

        var ps = active!.Trainer.Parameters; var cs = _central.Parameters;
        int off = 0;
        foreach (int i in _layout.Trainable)
        {
            int len = ps[i].Value.Length;
            TensorPrimitives.Subtract(ps[i].Value, cs[i].Value, Delta.AsSpan(off, len));
            off += len;
        }
        off = 0;
        foreach (int i in _layout.Buffers)
        {
            ps[i].Value.AsSpan().CopyTo(BufferValues.AsSpan(off));
            off += ps[i].Value.Length;
        }
        return (lossSum / steps, steps, images);
    }

    private void Cap(Slot slot)
    {
        try { slot.Trainer.Threads = KernelThreads; }
        catch (NotSupportedException) { slot.TakesThreads = false; }   // a hand-written trainer without a cap: its kernels do as they do
        slot.Threads = KernelThreads;
    }

    /// <summary>A fresh local model: the central parameters and buffers, a zeroed optimizer (pfl-research creates a new local optimizer per user), the user's own random streams.</summary>
    private void Begin(ITrainer t, int user, int iteration, ulong seed, LocalTrainingOptions o)
    {
        ModelLayout.Copy(_layout.Trainable, _central.Parameters, t.Parameters);
        ModelLayout.Copy(_layout.Buffers, _central.Parameters, t.Parameters);
        foreach (var s in t.OptimizerState) Array.Clear(s.Value);
        t.StepCount = 0;
        t.LearningRate = (float)o.LearningRate;
        var streams = t.RandomStreams;
        for (int k = 0; k < streams.Count; k++)
            streams[k].Generator.State = StreamSeeds.Derive(seed, StreamSeeds.Dropout, (ulong)iteration, (ulong)user, (ulong)k);
    }

    /// <summary>Continues a user's training on a trainer of another batch size: everything a step depends on moves across.</summary>
    private void Transfer(ITrainer from, ITrainer to)
    {
        ModelLayout.Copy(_layout.Trainable, from.Parameters, to.Parameters);
        ModelLayout.Copy(_layout.Buffers, from.Parameters, to.Parameters);
        var fs = from.OptimizerState; var ts = to.OptimizerState;
        for (int k = 0; k < fs.Count; k++) fs[k].Value.AsSpan().CopyTo(ts[k].Value);
        to.StepCount = from.StepCount;
        to.LearningRate = from.LearningRate;
        var fr = from.RandomStreams; var tr = to.RandomStreams;
        for (int k = 0; k < fr.Count; k++) tr[k].Generator.State = fr[k].Generator.State;
    }

    /// <summary>FedProx: ∇(μ/2·‖w − w_central‖²) = μ·(w − w_central), added to each trainable gradient.</summary>
    private void AddProximalGradient(ITrainer t, float mu)
    {
        var ps = t.Parameters; var cs = _central.Parameters;
        foreach (int i in _layout.Trainable)
        {
            var w = ps[i].Value; var wc = cs[i].Value; var g = ps[i].Gradient!;
            for (int j = 0; j < g.Length; j++) g[j] += mu * (w[j] - wc[j]);
        }
    }

    private static void Fill(IDataset data, ReadOnlySpan<int> samples, Tensor[] inputs)
    {
        int fs = inputs[0].Count / samples.Length, ls = inputs[1].Count / samples.Length;
        for (int k = 0; k < samples.Length; k++)
            data.CopySample(samples[k], inputs[0].Data.AsSpan(k * fs, fs), inputs[1].Data.AsSpan(k * ls, ls));
    }
}

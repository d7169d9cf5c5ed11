using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using TrainingGen.Benchmarks.Models;

namespace TrainingGen.Benchmarks;

/// <summary>
/// One full training step (zero grads, forward, loss, backward, optimizer update) of each case of
/// docs/benchmarks.md, on one fixed batch, single thread.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    private readonly Cases _cases = new();

    [GlobalSetup]
    public void Setup() => _cases.Warm();

    [Benchmark(Description = "seed")] public float Seed() => _cases.Seed();
    [Benchmark(Description = "mlp")] public float Mlp() => _cases.Mlp();
    [Benchmark(Description = "mlp-big")] public float MlpBig() => _cases.MlpBig();
    [Benchmark(Description = "cnn")] public float Cnn() => _cases.Cnn();
    [Benchmark(Description = "head")] public float Head() => _cases.Head();
}

/// <summary>The five cases: trainers and their fixed batches.</summary>
public sealed class Cases
{
    /// <summary>Case name, MFLOP per step (benchmarks.md's counting rule), TorchSharp µs/step.</summary>
    public static readonly (string Name, double MFlop, double TorchSharpUs)[] Reference =
    {
        ("seed", 0.000052, 244),
        ("mlp", 52.3633, 1490),
        ("mlp-big", 2700.0832, 58200),
        ("cnn", 48.6, 6120),
        ("head", 8.7163, 354),
    };

    private readonly QuickStart.ModelToExport.Trainer _seed;
    private readonly Tensor _seedX, _seedY;
    private readonly Mlp.Trainer _mlp;
    private readonly Tensor _mlpX, _mlpY;
    private readonly MlpBig.Trainer _mlpBig;
    private readonly Tensor _mlpBigX, _mlpBigY;
    private readonly Cnn.Trainer _cnn;
    private readonly Tensor _cnnX, _cnnY;
    private readonly Head.Trainer _head;
    private readonly Tensor _headX, _headY;

    public Cases()
    {
        var rng = new Rng(20261129);
        _seed = QuickStart.ModelToExport.CreateTrainer(2, seed: 0);
        _seedX = Gaussian(rng, 2, 2); _seedY = Gaussian(rng, 2, 3);
        _mlp = Models.Mlp.CreateTrainer(64, seed: 1);
        _mlpX = Gaussian(rng, 64, 784); _mlpY = Classes(rng, 64, 10);
        _mlpBig = Models.MlpBig.CreateTrainer(256, seed: 2);
        _mlpBigX = Gaussian(rng, 256, 1024); _mlpBigY = Classes(rng, 256, 10);
        _cnn = Models.Cnn.CreateTrainer(32, seed: 3);
        _cnnX = Gaussian(rng, 32, 1, 28, 28); _cnnY = Classes(rng, 32, 10);
        _head = Models.Head.CreateTrainer(16, seed: 4);
        _headX = Gaussian(rng, 16, 512); _headY = Classes(rng, 16, 10);
    }

    public float Seed() => _seed.Step(_seedX, _seedY);
    public float Mlp() => _mlp.Step(_mlpX, _mlpY);
    public float MlpBig() => _mlpBig.Step(_mlpBigX, _mlpBigY);
    public float Cnn() => _cnn.Step(_cnnX, _cnnY);
    public float Head() => _head.Step(_headX, _headY);

    /// <summary>Caps every trainer's kernel threads (0 = the default, every core).</summary>
    public void SetThreads(int threads)
    {
        _seed.Threads = threads; _mlp.Threads = threads; _mlpBig.Threads = threads; _cnn.Threads = threads; _head.Threads = threads;
    }

    public Func<float> ByName(string name) => name switch
    {
        "seed" => Seed, "mlp" => Mlp, "mlp-big" => MlpBig, "cnn" => Cnn, "head" => Head,
        _ => throw new ArgumentException($"unknown case '{name}'", nameof(name)),
    };

    /// <summary>A few steps of every case, so lazily grown kernel workspaces exist before measuring.</summary>
    public void Warm() => Warm(new[] { 0 }, 3, 0);

    /// <summary>
    /// Runs every case on each thread count for at least <paramref name="minSteps"/> steps and
    /// <paramref name="minMs"/> ms, so that the runtime's tiered compilation has replaced every method
    /// a step calls with its final code before anything is timed (three warm steps did not: a method is
    /// recompiled after 30 calls, in the background). The 2-thread rounds that still differ on this host
    /// follow where it places the two vCPUs (the hand-off probe, <see cref="Peer.HostProbe"/>).
    /// </summary>
    public void Warm(IEnumerable<int> threads, int minSteps, double minMs)
    {
        foreach (int t in threads)
        {
            SetThreads(t);
            foreach (var (name, _, _) in Reference)
            {
                var step = ByName(name);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < minSteps || sw.Elapsed.TotalMilliseconds < minMs; i++) step();
            }
        }
        SetThreads(0);
    }

    private static Tensor Gaussian(Rng rng, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Count; i++) t.Data[i] = (float)rng.NextGaussian();
        return t;
    }

    private static Tensor Classes(Rng rng, int n, int classes)
    {
        var t = new Tensor(n);
        for (int i = 0; i < n; i++) t.Data[i] = (int)(rng.NextDouble() * classes);
        return t;
    }
}

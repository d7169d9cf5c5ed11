using System;
using NUnit.Framework;
using TrainingGen.Kernels;
using TrainingGen.Optimizers;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// Optimizer updates of a parameter split over the kernel threads (Adam: one contiguous share per thread;
/// SGD: blocks of 64 K elements):
/// the same bits for 1, 2 and 3 threads, and Adam's first steps equal to torch.optim's equations in float64.
/// </summary>
[TestFixture]
[NonParallelizable]
public class OptimizerThreadTests
{
    private const int Length = (1 << 20) + 37; // 17 SGD blocks of 64 K; Adam's last share ends off its 64-element grid

    private static Optimizer Create(string kind) => kind switch
    {
        "adam" => new Adam(new AdamOptions(WeightDecay: 0.01)),
        "adamw" => new AdamW(new AdamOptions(WeightDecay: 0.01)),
        "sgd" => new Sgd(new SgdOptions(LearningRate: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4)),
        _ => throw new ArgumentException(kind),
    };

    private static (float[] Param, float[][] State) Run(string kind, int threads, int steps)
    {
        var rng = new Random(5);
        var p = new float[Length]; var g = new float[Length];
        for (int i = 0; i < Length; i++) p[i] = (float)(rng.NextDouble() - 0.5);
        var opt = Create(kind);
        opt.Bind(new[] { new TrainerTensor("w", "w", new[] { Length }, true, p, g) });
        using var scope = KernelThreads.Use(threads);
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < Length; i++) g[i] = (float)Math.Sin(i * 0.001 + s);
            opt.Step(1e-3f, s);
        }
        var state = new float[opt.State.Count][];
        for (int k = 0; k < state.Length; k++) state[k] = (float[])opt.State[k].Value.Clone();
        return (p, state);
    }

    [Test]
    public void Thread_counts_give_the_same_bits([Values("adam", "adamw", "sgd")] string kind)
    {
        var one = Run(kind, 1, 3);
        foreach (int threads in new[] { 2, 3 })
        {
            var many = Run(kind, threads, 3);
            Assert.That(many.Param, Is.EqualTo(one.Param), $"{kind} parameter, {threads} threads");
            for (int k = 0; k < one.State.Length; k++) Assert.That(many.State[k], Is.EqualTo(one.State[k]), $"{kind} state {k}, {threads} threads");
        }
    }

    [Test]
    public void Split_adam_follows_the_equations_in_float64()
    {
        var (p, state) = Run("adam", 2, 2);
        var rng = new Random(5);
        for (int i = 0; i < Length; i++)
        {
            double p0 = rng.NextDouble() - 0.5;
            if (i % 99991 != 7) continue; // spot checks across the blocks
            double w = (float)p0, m = 0, v = 0;
            for (int s = 0; s < 2; s++)
            {
                double grad = (float)Math.Sin(i * 0.001 + s) + 0.01 * w;  // L2 weight decay added to the gradient
                m = 0.9 * m + 0.1 * grad; v = 0.999 * v + 0.001 * grad * grad;
                int t = s + 1;
                w -= 1e-3 / (1 - Math.Pow(0.9, t)) * m / (Math.Sqrt(v) / Math.Sqrt(1 - Math.Pow(0.999, t)) + 1e-8);
            }
            Assert.That(p[i], Is.EqualTo(w).Within(1e-6 * Math.Max(1, Math.Abs(w))), $"parameter {i}");
            Assert.That(state[0][i], Is.EqualTo(m).Within(1e-6), $"exp_avg {i}");
        }
    }
}

using System;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Benchmarks.Models;
using TrainingGen.Kernels;

namespace TrainingGen.Tests;

/// <summary>
/// Multi-threaded steps: a trainer capped at 1 thread and one at 2 end with bit-identical
/// parameters (and optimizer state) after 100 steps, and warm steps allocate nothing on any thread.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ThreadingTests
{
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

    /// <summary>100 steps over 4 different batches with the given thread cap; returns every parameter and state value.</summary>
    private static float[][] Train(ITrainer trainer, int threads, Func<Rng, (Tensor X, Tensor Y)> batch)
    {
        trainer.Threads = threads;
        Assert.That(trainer.Threads, Is.EqualTo(threads));
        var rng = new Rng(99);
        var batches = Enumerable.Range(0, 4).Select(_ => batch(rng)).ToArray();
        for (int s = 0; s < 100; s++)
        {
            var (x, y) = batches[s % batches.Length];
            trainer.Step(new[] { x, y });
        }
        return trainer.Parameters.Select(p => (float[])p.Value.Clone())
            .Concat(trainer.OptimizerState.Select(p => (float[])p.Value.Clone())).ToArray();
    }

    private static void SameBits(float[][] one, float[][] two)
    {
        Assert.That(two.Length, Is.EqualTo(one.Length));
        for (int t = 0; t < one.Length; t++)
            for (int i = 0; i < one[t].Length; i++)
                if (BitConverter.SingleToInt32Bits(one[t][i]) != BitConverter.SingleToInt32Bits(two[t][i]))
                    Assert.Fail($"tensor {t} element {i}: 2 threads {two[t][i]:R}, 1 thread {one[t][i]:R}");
    }

    [Test]
    public void Mlp_one_and_two_threads_give_identical_parameters_after_100_steps()
    {
        (Tensor, Tensor) Batch(Rng r) => (Gaussian(r, 64, 784), Classes(r, 64, 10));
        var one = Train(Mlp.CreateTrainer(64, seed: 5), 1, Batch);
        var two = Train(Mlp.CreateTrainer(64, seed: 5), 2, Batch);
        SameBits(one, two);
        Assert.That(one[0].Any(v => v != 0f), "the model trained");
    }

    [Test]
    public void Cnn_one_and_two_threads_give_identical_parameters_after_100_steps()
    {
        // Batch 160: at the benchmark's 32 every product of the cnn is below the size that pays to split
        // (it runs on one thread whatever the cap); at 160 its fully connected products split.
        (Tensor, Tensor) Batch(Rng r) => (Gaussian(r, 160, 1, 28, 28), Classes(r, 160, 10));
        var one = Train(Cnn.CreateTrainer(160, seed: 6), 1, Batch);
        var two = Train(Cnn.CreateTrainer(160, seed: 6), 2, Batch);
        SameBits(one, two);
    }

    [Test]
    public void MlpBig_one_and_two_threads_give_identical_parameters_after_5_steps()
    {
        // Adam's update and the large products split over threads; fewer steps keep the test short.
        var rng = new Rng(3);
        var x = Gaussian(rng, 256, 1024);
        var y = Classes(rng, 256, 10);
        float[][] Run(int threads)
        {
            var t = MlpBig.CreateTrainer(256, seed: 7);
            t.Threads = threads;
            for (int s = 0; s < 5; s++) t.Step(x, y);
            return t.Parameters.Select(p => (float[])p.Value.Clone()).Concat(t.OptimizerState.Select(p => (float[])p.Value.Clone())).ToArray();
        }
        SameBits(Run(1), Run(2));
    }

    [Test]
    public void Threads_rejects_values_out_of_range()
    {
        var t = Mlp.CreateTrainer(4);
        Assert.That(t.Threads, Is.EqualTo(0), "default");
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Threads = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Threads = 65);
    }

    /// <summary>
    /// Bytes allocated over warm steps by the threads that run them: this one and the kernel workers
    /// (<see cref="WorkerPool.WorkerAllocatedBytes"/>). <see cref="GC.GetTotalAllocatedBytes(bool)"/>
    /// would also count the test host's threads, which allocate at a steady rate while it waits; it is
    /// reported in the message.
    /// </summary>
    [Test]
    public void Warm_steps_allocate_nothing([Values(1, 2)] int threads, [Values("seed", "mlp", "cnn", "head", "mlp-big")] string model)
    {
        var rng = new Rng(11);
        Func<float> step = model switch
        {
            "seed" => Bind(QuickStart.ModelToExport.CreateTrainer(2), Gaussian(rng, 2, 2), Gaussian(rng, 2, 3)),
            "mlp" => Bind(Mlp.CreateTrainer(64), Gaussian(rng, 64, 784), Classes(rng, 64, 10)),
            "cnn" => Bind(Cnn.CreateTrainer(32), Gaussian(rng, 32, 1, 28, 28), Classes(rng, 32, 10)),
            "head" => Bind(Head.CreateTrainer(16), Gaussian(rng, 16, 512), Classes(rng, 16, 10)),
            _ => Bind(MlpBig.CreateTrainer(256), Gaussian(rng, 256, 1024), Classes(rng, 256, 10)),
        };
        Func<float> Bind(ITrainer t, Tensor x, Tensor y)
        {
            t.Threads = threads;
            var inputs = new[] { x, y };
            return () => t.Step(inputs);
        }
        int steps = model == "mlp-big" ? 3 : 20;
        for (int i = 0; i < 40; i++) step(); // grow workspaces, start workers, tier up
        long least = long.MaxValue, total = long.MaxValue;
        for (int window = 0; window < 5 && least > 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytes, all = GC.GetTotalAllocatedBytes(true);
            for (int i = 0; i < steps; i++) step();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytes - before);
                total = Math.Min(total, GC.GetTotalAllocatedBytes(true) - all);
        }
        Assert.That(least, Is.Zero, $"{model}, {threads} thread(s): bytes allocated over {steps} warm steps (all threads of the process: {total})");
    }
}

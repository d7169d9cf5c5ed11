using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TrainingGen.CoreML.Mil;
using TrainingGen.Data;

namespace TrainingGen.Training.Tests;

internal static class TestUtil
{
    public static Tensor RandomTensor(Rng rng, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Count; i++) t.Data[i] = (float)rng.NextGaussian();
        return t;
    }

    /// <summary>‖a − b‖ / ‖b‖ over all values (b is the reference).</summary>
    public static double RelativeError(IEnumerable<double> actual, IEnumerable<double> reference)
    {
        var a = actual.ToArray(); var b = reference.ToArray();
        if (a.Length != b.Length) throw new ArgumentException($"length {a.Length} vs {b.Length}");
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
        return Math.Sqrt(num) / Math.Max(Math.Sqrt(den), 1e-30);
    }

    public static double RelativeError(float[] actual, float[] reference) =>
        RelativeError(actual.Select(v => (double)v), reference.Select(v => (double)v));

    public static MilTensor Mil(Tensor t) => MilTensor.Float32(t.Shape, (float[])t.Data.Clone());
    public static MilTensor Mil(int[] shape, float[] data) => MilTensor.Float32(shape, (float[])data.Clone());

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "traininggen-training-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>A data set of <paramref name="n"/> samples x ~ N(0,1)² and y ~ N(0,1)³ for the TwoLinear nets.</summary>
    public static InMemoryDataset RegressionData(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[n * 2]; var y = new float[n * 3];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        for (int i = 0; i < n; i++)
        {
            // a learnable part plus noise, so the loss neither explodes nor vanishes
            y[3 * i] = 0.5f * x[2 * i] + (float)(0.3 * rng.NextGaussian());
            y[3 * i + 1] = -0.25f * x[2 * i + 1] + (float)(0.3 * rng.NextGaussian());
            y[3 * i + 2] = 1f + (float)(0.3 * rng.NextGaussian());
        }
        return new InMemoryDataset(x, new[] { 2 }, y, new[] { 3 });
    }

    /// <summary><paramref name="n"/> steps of a TwoLinear-shaped trainer ([b, 2] → [b, 3]) on inputs drawn from <paramref name="rng"/>.</summary>
    public static void RegressionSteps(ITrainer t, Rng rng, int n)
    {
        var inputs = new Tensor[2];
        for (int i = 0; i < n; i++)
        {
            inputs[0] = RandomTensor(rng, t.BatchSize, 2);
            inputs[1] = RandomTensor(rng, t.BatchSize, 3);
            t.Step(inputs);
        }
    }

    /// <summary>
    /// Trains <paramref name="n"/> regression steps straight through, and again as <paramref name="k"/>
    /// steps, a checkpoint in <paramref name="dir"/>, a load into a new trainer made with
    /// <paramref name="resumedSeed"/> (so every value must come from the file), and the other n − k steps.
    /// </summary>
    public static (ITrainer Straight, ITrainer Resumed, string Checkpoint) StraightAndResumed(
        Func<int, ITrainer> create, int seed, int resumedSeed, int k, int n, string dir)
    {
        var straight = create(seed);
        RegressionSteps(straight, new Rng(1), n);
        var first = create(seed);
        var data = new Rng(1);
        RegressionSteps(first, data, k);
        string path = Path.Combine(dir, "k.ckpt");
        TrainingGen.Checkpoint.Save(path, first);
        var resumed = create(resumedSeed);
        TrainingGen.Checkpoint.Load(path, resumed);
        RegressionSteps(resumed, data, n - k);
        return (straight, resumed, path);
    }

    public static float[][] Snapshot(ITrainer t) =>
        t.Parameters.Select(p => (float[])p.Value.Clone()).Concat(t.OptimizerState.Select(s => (float[])s.Value.Clone())).ToArray();

    public static bool BitwiseEqual(float[][] a, float[][] b) =>
        a.Length == b.Length && a.Zip(b).All(p => p.First.Length == p.Second.Length &&
            p.First.Zip(p.Second).All(q => BitConverter.SingleToInt32Bits(q.First) == BitConverter.SingleToInt32Bits(q.Second)));
}

using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.Data;

namespace TrainingGen.Training.Tests.Federated;

internal static class FederatedTestUtil
{
    /// <summary>One regression data set per size ([2] → [3], see <see cref="TestUtil.RegressionData"/>), seeded per user.</summary>
    public static IDataset[] RegressionUsers(ulong seed, params int[] sizes) =>
        sizes.Select((n, u) => (IDataset)TestUtil.RegressionData(n, seed + (ulong)u * 101)).ToArray();

    /// <summary>The values of the selected parameters, concatenated in state_dict order (copies).</summary>
    public static double[] Values(ITrainer t, Func<TrainerTensor, bool> which) =>
        t.Parameters.Where(which).SelectMany(p => p.Value.Select(v => (double)v)).ToArray();

    public static double[] Trainable(ITrainer t) => Values(t, p => p.Trainable);

    /// <summary>
    /// The reference for a user whose size is a multiple of <paramref name="batch"/>: a fresh trainer
    /// (fresh optimizer state) at learning rate <paramref name="lr"/>, <paramref name="epochs"/> passes
    /// of trainer.Step over the batches in order.
    /// </summary>
    public static ITrainer TrainLikeAUser(Func<int, ITrainer> create, IDataset data, int batch, int epochs, double lr)
    {
        if (data.Count % batch != 0) throw new ArgumentException("the reference handles whole batches only");
        var t = create(batch);
        t.LearningRate = (float)lr;
        var buffer = new BatchBuffer(data, batch);
        for (int e = 0; e < epochs; e++)
            for (int first = 0; first < data.Count; first += batch)
            {
                buffer.FillRange(first, batch);
                t.Step(buffer.Inputs);
            }
        return t;
    }

    public static double MaxAbsDiff(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"length {a.Count} vs {b.Count}");
        double m = 0;
        for (int i = 0; i < a.Count; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}

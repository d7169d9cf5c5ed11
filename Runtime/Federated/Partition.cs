using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using TrainingGen.Data;

namespace TrainingGen.Federated;

/// <summary>
/// Splits one data set into per-user data sets (views, no copies), seeded: IID, or non-IID with each
/// user's class mix drawn from a Dirichlet(α) distribution (small α: few classes per user).
/// </summary>
public static class Partition
{
    /// <summary><paramref name="users"/> users of near-equal size (the first Count mod users get one more), samples assigned at random.</summary>
    public static IDataset[] Iid(IDataset data, int users, ulong seed) => Iid(data, EqualSizes(data, users), seed);

    /// <summary>Users of the given sizes (their sum at most the data's size), each a uniform random draw without replacement.</summary>
    public static IDataset[] Iid(IDataset data, IReadOnlyList<int> sizes, ulong seed)
    {
        CheckSizes(data, sizes);
        var order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Dataset.Shuffle(order, new Rng(StreamSeeds.Derive(seed, StreamSeeds.Partition)));
        var result = new IDataset[sizes.Count];
        int start = 0;
        for (int u = 0; u < sizes.Count; u++)
        {
            result[u] = new SubsetDataset(data, new ArraySegment<int>(order, start, sizes[u]));
            start += sizes[u];
        }
        return result;
    }

    /// <summary>Non-IID with near-equal sizes; see <see cref="Dirichlet(IDataset, IReadOnlyList{int}, double, ulong)"/>.</summary>
    public static IDataset[] Dirichlet(IDataset data, int users, double alpha, ulong seed) => Dirichlet(data, EqualSizes(data, users), alpha, seed);

    /// <summary>
    /// Non-IID by class: for each user in turn, class proportions p ~ Dirichlet(α, …, α) over the
    /// classes; each of its <c>sizes[u]</c> samples picks a class from p (renormalised over the
    /// classes that still have samples) and takes the next sample of that class (classes' samples
    /// are shuffled first). Labels are class indices or one-hot (argmax).
    /// </summary>
    public static IDataset[] Dirichlet(IDataset data, IReadOnlyList<int> sizes, double alpha, ulong seed)
    {
        CheckSizes(data, sizes);
        if (!(alpha > 0 && double.IsFinite(alpha))) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The Dirichlet concentration α must be a finite number > 0.");
        var labels = ClassLabels(data);
        int classes = 0;
        foreach (int c in labels) classes = Math.Max(classes, c + 1);
        var pools = new List<int>[classes];
        for (int c = 0; c < classes; c++) pools[c] = new List<int>();
        for (int i = 0; i < labels.Length; i++) pools[labels[i]].Add(i);
        var rng = new Rng(StreamSeeds.Derive(seed, StreamSeeds.Partition));
        var taken = new int[classes];
        foreach (var pool in pools) Dataset.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pool), rng);

        var p = new double[classes];
        var result = new IDataset[sizes.Count];
        for (int u = 0; u < sizes.Count; u++)
        {
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += p[c] = GammaUnchecked(alpha, rng);
            if (!(sum > 0)) { Array.Fill(p, 1.0); sum = classes; }   // every draw underflowed (tiny α): no preference
            var mine = new int[sizes[u]];
            for (int k = 0; k < mine.Length; k++)
            {
                double left = 0;
                for (int c = 0; c < classes; c++) if (taken[c] < pools[c].Count) left += p[c];
                int chosen = -1;
                if (left > 0)
                {
                    double x = rng.NextDouble() * left;
                    for (int c = 0; c < classes; c++)
                    {
                        if (taken[c] >= pools[c].Count) continue;
                        chosen = c;
                        if ((x -= p[c]) < 0) break;
                    }
                }
                else   // the user's classes are used up: any class that has samples left, in order
                    for (int c = 0; c < classes && chosen < 0; c++) if (taken[c] < pools[c].Count) chosen = c;
                mine[k] = pools[chosen][taken[chosen]++];
            }
            result[u] = new SubsetDataset(data, mine);
        }
        return result;
    }

    /// <summary>Every sample's class: the label itself when it is one value, else the argmax of a one-hot label.</summary>
    public static int[] ClassLabels(IDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int fs = ShapeUtil.Count(data.FeatureShape), ls = ShapeUtil.Count(data.LabelShape);
        var f = new float[fs]; var l = new float[ls];
        var result = new int[data.Count];
        for (int i = 0; i < result.Length; i++)
        {
            data.CopySample(i, f, l);
            if (ls == 1)
            {
                if (!(l[0] >= 0) || l[0] != MathF.Floor(l[0])) throw new ArgumentException($"Sample {i} has label {l[0]}, not a class index.", nameof(data));
                result[i] = (int)l[0];
            }
            else result[i] = TensorPrimitives.IndexOfMax(l);
        }
        return result;
    }

    /// <summary>
    /// A Gamma(shape, 1) draw by Marsaglia and Tsang (2000); for shape &lt; 1, Gamma(shape + 1)·U^(1/shape).
    /// The Dirichlet draws are normalised Gamma(α) draws; callers can use it for their own user sizes.
    /// </summary>
    public static double Gamma(double shape, Rng rng)
    {
        if (!(shape > 0 && double.IsFinite(shape))) throw new ArgumentOutOfRangeException(nameof(shape), shape, "The Gamma shape must be a finite number > 0.");
        ArgumentNullException.ThrowIfNull(rng);
        return GammaUnchecked(shape, rng);
    }

    private static double GammaUnchecked(double shape, Rng rng)
    {
        if (shape < 1) return GammaUnchecked(shape + 1, rng) * Math.Pow(1.0 - rng.NextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = rng.NextGaussian(); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            double u = 1.0 - rng.NextDouble();
            if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v)) return d * v;
        }
    }

    private static int[] EqualSizes(IDataset data, int users)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (users <= 0 || users > data.Count) throw new ArgumentOutOfRangeException(nameof(users), users, $"The number of users must be in 1..{data.Count} (the samples).");
        var sizes = new int[users];
        for (int u = 0; u < users; u++) sizes[u] = data.Count / users + (u < data.Count % users ? 1 : 0);
        return sizes;
    }

    private static void CheckSizes(IDataset data, IReadOnlyList<int> sizes)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sizes);
        long total = 0;
        for (int u = 0; u < sizes.Count; u++)
        {
            if (sizes[u] <= 0) throw new ArgumentOutOfRangeException(nameof(sizes), sizes[u], $"User {u}'s size must be positive.");
            total += sizes[u];
        }
        if (total > data.Count) throw new ArgumentException($"The users' sizes add up to {total}, more than the {data.Count} samples.", nameof(sizes));
    }
}

using System;
using System.Runtime.Intrinsics;

namespace TrainingGen.Federated;

/// <summary>
/// The pieces of central DP the simulation applies (pfl-research's <c>GaussianMechanism</c> and
/// Andrew et al.'s adaptive clipping), public so that a coordinator elsewhere (a cluster) can apply
/// the same ones.
/// </summary>
public static class GaussianMechanism
{
    /// <summary>
    /// L2 norm over all values, accumulated in float64 in a fixed order (16 partial sums over the
    /// values' positions modulo 16, added in order, then the tail), so the same values give the same
    /// bits on every thread; one running sum would be a chain of dependent additions (4 cycles each:
    /// about 50 µs for LeNet's 44,000 parameters, per user).
    /// </summary>
    public static double Norm(ReadOnlySpan<float> values) => Math.Sqrt(AccumulateScaled(values, 1.0, 0.0, default));

    /// <summary>
    /// <c>sum[j] += weight · (scale · values[j])</c> for every j, each in float64 exactly as that
    /// scalar expression (when <paramref name="sum"/> is not empty), and returns Σ (scale · values[j])²
    /// summed in <see cref="Norm"/>'s fixed order.
    /// </summary>
    public static double AccumulateScaled(ReadOnlySpan<float> values, double scale, double weight, Span<double> sum)
    {
        bool add = !sum.IsEmpty;
        if (add && sum.Length != values.Length) throw new ArgumentException($"The sum has {sum.Length} elements, the values {values.Length}.", nameof(sum));
        var s0 = Vector256<double>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        var vs = Vector256.Create(scale); var vw = Vector256.Create(weight);
        int i = 0;
        for (; i + 16 <= values.Length; i += 16)
        {
            var (l0, h0) = Vector256.Widen(Vector256.Create(values.Slice(i, 8)));
            var (l1, h1) = Vector256.Widen(Vector256.Create(values.Slice(i + 8, 8)));
            l0 *= vs; h0 *= vs; l1 *= vs; h1 *= vs;
            s0 += l0 * l0; s1 += h0 * h0; s2 += l1 * l1; s3 += h1 * h1;
            if (add)
            {
                var d = sum.Slice(i, 16);
                (Vector256.Create((ReadOnlySpan<double>)d[..4]) + vw * l0).CopyTo(d[..4]);
                (Vector256.Create((ReadOnlySpan<double>)d.Slice(4, 4)) + vw * h0).CopyTo(d.Slice(4, 4));
                (Vector256.Create((ReadOnlySpan<double>)d.Slice(8, 4)) + vw * l1).CopyTo(d.Slice(8, 4));
                (Vector256.Create((ReadOnlySpan<double>)d.Slice(12, 4)) + vw * h1).CopyTo(d.Slice(12, 4));
            }
        }
        double total = Vector256.Sum(s0) + Vector256.Sum(s1) + Vector256.Sum(s2) + Vector256.Sum(s3);
        for (; i < values.Length; i++)
        {
            double v = scale * values[i];
            total += v * v;
            if (add) sum[i] += weight * v;
        }
        return total;
    }

    /// <summary>
    /// Standard deviation of the noise on each coordinate of the sum of clipped deltas: z·C, scaled
    /// by cohort / noiseCohort when a <paramref name="noiseCohortSize"/> is given (pfl-research's
    /// <c>noise_cohort_size</c>: the average then has the noise a cohort of that size would give).
    /// </summary>
    public static double NoiseStdDev(double noiseMultiplier, double clippingBound, double cohortSize, int? noiseCohortSize) =>
        noiseMultiplier * clippingBound * (noiseCohortSize is int n ? cohortSize / n : 1.0);

    /// <summary>Adds N(0, <paramref name="stdDev"/>²) to every value, drawing standard normals from <paramref name="rng"/> (Box–Muller) in index order.</summary>
    public static void AddNoise(Span<double> values, double stdDev, Rng rng)
    {
        for (int j = 0; j < values.Length; j++) values[j] += stdDev * rng.NextGaussian();
    }

    /// <summary>
    /// Andrew et al. 2019's bound update: b̄ = (unclipped + N(0, σ_b²)) / expected cohort, then
    /// C·exp(−η·(b̄ − γ)) — the bound grows when fewer than the target fraction were unclipped.
    /// </summary>
    public static double NextClippingBound(double bound, int unclipped, double countNoiseStdDev, double expectedCohortSize,
        AdaptiveClippingOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(options);
        double count = unclipped + (countNoiseStdDev > 0 ? countNoiseStdDev * rng.NextGaussian() : 0);
        double fraction = count / expectedCohortSize;
        return bound * Math.Exp(-options.LearningRate * (fraction - options.TargetQuantile));
    }
}

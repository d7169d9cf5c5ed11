using System;

namespace TrainingGen.Federated;

/// <summary>
/// The pieces of central DP the simulation applies (pfl-research's <c>GaussianMechanism</c> and
/// Andrew et al.'s adaptive clipping), public so that a coordinator elsewhere (a cluster) can apply
/// the same ones.
/// </summary>
public static class GaussianMechanism
{
    /// <summary>L2 norm over all values, accumulated in float64.</summary>
    public static double Norm(ReadOnlySpan<float> values)
    {
        double s = 0;
        foreach (float v in values) s += (double)v * v;
        return Math.Sqrt(s);
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

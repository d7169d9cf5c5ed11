using System;
using System.Collections.Generic;

namespace TrainingGen.Federated.Privacy;

/// <summary>
/// Rényi DP of the Poisson-subsampled Gaussian mechanism (sensitivity 1, noise σ, sampling rate q),
/// add/remove-one neighbours: RDP(α) = ln(A_α)/(α − 1) with
/// A_α = E_{z∼N(0,σ²)}[((1 − q) + q·e^((2z − 1)/(2σ²)))^α] (Mironov, Talwar &amp; Zhang 2019).
/// </summary>
public static class SampledGaussianRdp
{
    /// <summary>RDP at each order for <paramref name="steps"/> compositions (RDP adds up).</summary>
    public static double[] Compute(double noiseMultiplier, double samplingRate, int steps, IReadOnlyList<double> orders)
    {
        PrivacyChecks.NoiseMultiplier(noiseMultiplier);
        PrivacyChecks.SamplingRate(samplingRate);
        PrivacyChecks.Steps(steps);
        var rdp = new double[orders.Count];
        for (int i = 0; i < rdp.Length; i++) rdp[i] = steps * OneStep(noiseMultiplier, samplingRate, orders[i]);
        return rdp;
    }

    /// <summary>RDP of one step at order α &gt; 1.</summary>
    public static double OneStep(double sigma, double q, double alpha)
    {
        if (!(alpha > 1) || double.IsInfinity(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "the Rényi order must be finite and greater than 1.");
        if (sigma == 0) return double.PositiveInfinity;
        if (q == 1) return alpha / (2 * sigma * sigma); // the plain Gaussian mechanism (Mironov 2017)
        double logA = alpha == Math.Floor(alpha) && alpha < int.MaxValue
            ? LogAIntegerOrder(sigma, q, (int)alpha)
            : LogAFractionalOrder(sigma, q, alpha);
        return Math.Max(0.0, logA) / (alpha - 1);
    }

    /// <summary>
    /// Integer α: expanding the α-th power binomially, each term's Gaussian expectation is closed-form,
    /// A_α = Σ_{k=0..α} C(α,k)(1 − q)^(α−k) q^k e^((k² − k)/(2σ²)); summed in log space.
    /// </summary>
    private static double LogAIntegerOrder(double sigma, double q, int alpha)
    {
        double logQ = Math.Log(q), log1mQ = Accurate.Log1P(-q), twoVar = 2 * sigma * sigma;
        var sum = LogSpaceSum.Empty;
        double logBinom = 0; // ln C(α, k), updated by C(α, k+1) = C(α, k)(α − k)/(k + 1)
        for (int k = 0; k <= alpha; k++)
        {
            sum.Add(logBinom + (alpha - k) * log1mQ + k * logQ + ((double)k * k - k) / twoVar, negative: false);
            logBinom += Math.Log(alpha - k) - Math.Log(k + 1.0);
        }
        return sum.Log;
    }

    /// <summary>
    /// Fractional α: split the expectation at z₀ = σ² ln(1/q − 1) + 1/2, where q·e^(...) = 1 − q, and
    /// expand the power as a convergent binomial series on each side (the smaller summand raised to i):
    /// A = Σᵢ C(α,i)(1−q)^(α−i) qⁱ e^((i²−i)/(2σ²)) Φ((z₀ − i)/σ)
    ///   + Σᵢ C(α,i) (1−q)ⁱ q^(α−i) e^(((α−i)²−(α−i))/(2σ²)) (1 − Φ((z₀ − (α − i))/σ)).
    /// Binomial coefficients of a fractional α change sign once i &gt; α, hence the signed log-space sum.
    /// </summary>
    private static double LogAFractionalOrder(double sigma, double q, double alpha)
    {
        double logQ = Math.Log(q), log1mQ = Accurate.Log1P(-q), twoVar = 2 * sigma * sigma;
        double z0 = sigma * sigma * (Math.Log(1 / q - 1)) + 0.5;
        var sum = LogSpaceSum.Empty;
        double logBinom = 0; // ln |C(α, i)|
        bool negative = false; // sign of C(α, i)
        const int maxTerms = 1_000_000;
        for (int i = 0; i < maxTerms; i++)
        {
            double j = alpha - i;
            double t1 = logBinom + j * log1mQ + i * logQ + ((double)i * i - i) / twoVar + Normal.LogCdf((z0 - i) / sigma);
            double t2 = logBinom + i * log1mQ + j * logQ + (j * j - j) / twoVar + Normal.LogSurvival((z0 - j) / sigma);
            sum.Add(t1, negative);
            sum.Add(t2, negative);
            // A ≥ 1 (a Rényi divergence is non-negative), so terms below e^-40 no longer change it;
            // past i > α the terms decrease monotonically.
            if (i > alpha && Math.Max(t1, t2) < -40) break;
            double factor = alpha - i;
            logBinom += Math.Log(Math.Abs(factor)) - Math.Log(i + 1.0);
            if (factor < 0) negative = !negative;
        }
        return sum.Log;
    }
}

using System;

namespace TrainingGen.Federated.Privacy;

/// <summary>
/// The analytic Gaussian mechanism (Balle &amp; Wang 2018, "Improving the Gaussian Mechanism for
/// Differential Privacy"): the exact privacy of a single release f(D) + N(0, σ²) with L2 sensitivity Δ.
/// Noise multipliers are σ/Δ.
/// </summary>
/// <remarks>
/// The mechanism is (ε, δ)-DP exactly when Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ) ≤ δ (their
/// Theorem 8). Calibration follows their Algorithm 1: with δ₀ = Φ(0) − e^ε Φ(−√(2ε)), the smallest σ is
/// α·Δ/√(2ε) where α = √(1 + v/2) − √(v/2) for v = sup{v ≥ 0 : B⁺(v) ≤ δ} when δ ≥ δ₀, and
/// α = √(1 + u/2) + √(u/2) for u = inf{u ≥ 0 : B⁻(u) ≤ δ} otherwise, with
/// B^±(v) = Φ(±√(εv)) − e^ε Φ(−√(ε(v + 2))).
/// </remarks>
public static class AnalyticGaussian
{
    /// <summary>δ of one release with noise multiplier σ/Δ at ε.</summary>
    public static double Delta(double noiseMultiplier, double epsilon)
    {
        PrivacyChecks.NoiseMultiplier(noiseMultiplier);
        PrivacyChecks.Epsilon(epsilon);
        if (noiseMultiplier == 0) return 1.0;
        double m = noiseMultiplier;
        return Math.Max(0.0, Normal.Cdf(0.5 / m - epsilon * m) - ExpTimesCdf(epsilon, -0.5 / m - epsilon * m));
    }

    /// <summary>The smallest ε for which one release with noise multiplier σ/Δ is (ε, δ)-DP.</summary>
    public static double Epsilon(double noiseMultiplier, double delta)
    {
        PrivacyChecks.NoiseMultiplier(noiseMultiplier);
        PrivacyChecks.Delta(delta);
        if (noiseMultiplier == 0) throw new UnreachablePrivacyTargetException("without noise no finite ε holds.");
        if (Delta(noiseMultiplier, 0) <= delta) return 0.0;
        // δ(ε) decreases in ε: the first ε where δ(ε) ≤ δ, to adjacent doubles.
        return Boundary(e => Delta(noiseMultiplier, e) > delta).Hi;
    }

    /// <summary>The smallest noise multiplier σ/Δ for which one release is (ε, δ)-DP.</summary>
    public static double NoiseMultiplier(double epsilon, double delta)
    {
        PrivacyChecks.TargetEpsilon(epsilon);
        PrivacyChecks.Delta(delta);
        double delta0 = Normal.Cdf(0) - ExpTimesCdf(epsilon, -Math.Sqrt(2 * epsilon));
        double alpha;
        if (delta >= delta0)
        {
            // B⁺ increases in v: the largest v with B⁺(v) ≤ δ.
            double v = Boundary(v => BPlus(epsilon, v) <= delta).Lo; // B⁺(v) ≤ δ: σ rounded up
            alpha = Math.Sqrt(1 + v / 2) - Math.Sqrt(v / 2);
        }
        else
        {
            // B⁻ decreases in u: the smallest u with B⁻(u) ≤ δ.
            double u = Boundary(u => BMinus(epsilon, u) > delta).Hi; // B⁻(u) ≤ δ: σ rounded up
            alpha = Math.Sqrt(1 + u / 2) + Math.Sqrt(u / 2);
        }
        return alpha / Math.Sqrt(2 * epsilon);
    }

    /// <summary>The noise standard deviation σ = multiplier·Δ for sensitivity Δ.</summary>
    public static double StandardDeviation(double epsilon, double delta, double sensitivity)
    {
        if (!(sensitivity > 0) || double.IsInfinity(sensitivity))
            throw new ArgumentOutOfRangeException(null, $"the sensitivity must be finite and positive, got {PrivacyChecks.Format(sensitivity)}.");
        return NoiseMultiplier(epsilon, delta) * sensitivity;
    }

    private static double BPlus(double eps, double v) => Normal.Cdf(Math.Sqrt(eps * v)) - ExpTimesCdf(eps, -Math.Sqrt(eps * (v + 2)));

    private static double BMinus(double eps, double u) => Normal.Cdf(-Math.Sqrt(eps * u)) - ExpTimesCdf(eps, -Math.Sqrt(eps * (u + 2)));

    /// <summary>e^ε Φ(x) without overflow when ε is large and Φ(x) tiny.</summary>
    private static double ExpTimesCdf(double eps, double x) => Math.Exp(eps + Normal.LogCdf(x));

    /// <summary>
    /// The point t* ≥ 0 where a predicate true on [0, t*) turns false, as adjacent doubles
    /// (Lo where it holds, Hi where it does not).
    /// </summary>
    private static (double Lo, double Hi) Boundary(Func<double, bool> holds)
    {
        double lo = 0, hi = 1;
        while (holds(hi))
        {
            lo = hi; hi *= 2;
            if (hi > 1e300) throw new UnreachablePrivacyTargetException("the analytic Gaussian calibration did not converge.");
        }
        return Bisect(holds, lo, hi);
    }

    /// <summary>Bisection to adjacent doubles for a predicate true at lo and false at hi.</summary>
    private static (double Lo, double Hi) Bisect(Func<double, bool> holds, double lo, double hi)
    {
        for (int i = 0; i < 2200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (holds(mid)) lo = mid; else hi = mid;
        }
        return (lo, hi);
    }
}

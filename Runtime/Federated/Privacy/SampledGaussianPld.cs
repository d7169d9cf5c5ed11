using System;

namespace TrainingGen.Federated.Privacy;

/// <summary>
/// The privacy loss distribution of one step of the Poisson-subsampled Gaussian mechanism (sensitivity 1,
/// noise σ, sampling rate q; q = 1 is the plain Gaussian), discretised by "connect the dots"
/// (Doroshenko et al. 2022): the discrete distribution's δ(ε) equals the mechanism's exactly at every
/// grid loss kΔ and is linear in e^ε between them, above the true (convex in e^ε) curve, so it is
/// pessimistic, and its error is second order in Δ rather than the Δ per step of rounding losses up.
/// </summary>
/// <remarks>
/// Add/remove neighbours give two dominating pairs of output distributions, with μ₀ = N(0, σ²),
/// μ₁ = N(1, σ²) and the mixture μ = (1 − q)μ₀ + qμ₁: removal (P, Q) = (μ, μ₀) and addition
/// (P, Q) = (μ₀, μ). The loss L(x) = ln(P(x)/Q(x)) is monotone in x for both, so every probability the
/// construction needs is a normal interval probability in x.
/// </remarks>
public static class SampledGaussianPld
{
    /// <summary>Standard deviations either side of the two means beyond which mass is left to the tail terms (Φ(−10) ≈ 7.6e-24).</summary>
    private const double TailStandardDeviations = 10.0;

    /// <summary>The discrete privacy loss distribution of one step.</summary>
    /// <param name="noiseMultiplier">σ, positive.</param>
    /// <param name="samplingRate">q in (0, 1].</param>
    /// <param name="interval">Δ, the spacing of the discretised losses.</param>
    /// <param name="removal">True for the removal pair (μ, μ₀), false for the addition pair (μ₀, μ).</param>
    public static PrivacyLossDistribution OneStep(double noiseMultiplier, double samplingRate, double interval, bool removal)
    {
        PrivacyChecks.SamplingRate(samplingRate);
        if (!(noiseMultiplier > 0) || double.IsInfinity(noiseMultiplier))
            throw new ArgumentOutOfRangeException(null, $"the noise multiplier must be finite and positive for a privacy loss distribution, got {PrivacyChecks.Format(noiseMultiplier)}.");
        if (!(interval > 0) || double.IsInfinity(interval))
            throw new ArgumentOutOfRangeException(null, $"the discretisation interval must be finite and positive, got {PrivacyChecks.Format(interval)}.");
        var pair = new Pair(noiseMultiplier, samplingRate, removal);

        // Grid of losses covering x in [−10σ, 1 + 10σ].
        double s = noiseMultiplier;
        double l1 = pair.Loss(-TailStandardDeviations * s), l2 = pair.Loss(1 + TailStandardDeviations * s);
        long lo = (long)Math.Floor(Math.Min(l1, l2) / interval);
        long hi = (long)Math.Ceiling(Math.Max(l1, l2) / interval);
        if (hi - lo > 50_000_000)
            throw new ArgumentOutOfRangeException(null, $"σ = {PrivacyChecks.Format(s)} spreads one step's privacy loss over {hi - lo} intervals of {PrivacyChecks.Format(interval)}; use a larger interval.");
        int n = (int)(hi - lo); // grid points ε_0..ε_n
        if (n == 0) { hi = lo + 1; n = 1; }

        // Normal tails at each grid loss's crossing, computed once and shared by the two intervals
        // that meet there; then H_k = P(I_k) − e^(ε_k) Q(I_k) ≥ 0 and Q(I_k) for I_k = (ε_k, ε_{k+1}].
        var cuts = new Pair.Cut[n + 1];
        for (int k = 0; k <= n; k++) cuts[k] = pair.CutAt((lo + k) * interval);
        var h = new double[n];
        var qMass = new double[n];
        for (int k = 0; k < n; k++)
        {
            double ek = (lo + k) * interval;
            var (p, q) = pair.Masses(cuts[k], cuts[k + 1]);
            qMass[k] = q;
            h[k] = Math.Max(0.0, p - Math.Exp(ek) * q);
        }
        double e0 = lo * interval, eTop = hi * interval;
        var (pBelow, _) = pair.Masses(pair.CutAt(double.NegativeInfinity), cuts[0]);
        var (pAbove, qAbove) = pair.Masses(cuts[n], pair.CutAt(double.PositiveInfinity));

        // Masses of the connect-the-dots distribution (derived from its piecewise-linear δ(e^ε)):
        //   p_0 = P(L ≤ ε_0) + e^ε_0 Q(I_0) − H_0/(e^Δ − 1)
        //   p_k = e^ε_k Q(I_k) + (e^Δ H_{k−1} − H_k)/(e^Δ − 1)           0 < k < n
        //   p_n = e^ε_n Q(L > ε_n) + e^Δ H_{n−1}/(e^Δ − 1)
        //   p∞  = δ(ε_n) = P(L > ε_n) − e^ε_n Q(L > ε_n)
        double em1 = Accurate.ExpM1(interval), eD = Math.Exp(interval);
        var mass = new double[n + 1];
        for (int k = 0; k <= n; k++)
        {
            double ek = (lo + k) * interval;
            double m = k < n ? Math.Exp(ek) * qMass[k] - h[k] / em1 : Math.Exp(ek) * qAbove;
            m += k > 0 ? eD * h[k - 1] / em1 : pBelow;
            mass[k] = Math.Max(0.0, m);
        }
        double infinity = Math.Max(0.0, pAbove - Math.Exp(eTop) * qAbove);
        return new PrivacyLossDistribution(interval, lo, mass, infinity);
    }

    /// <summary>One dominating pair and the probabilities of loss intervals under it.</summary>
    private readonly struct Pair(double sigma, double q, bool removal)
    {
        private readonly double _logKeep = Accurate.Log1P(-q); // ln(1 − q), −∞ when q = 1

        /// <summary>L(x) = ±ln(1 − q + q·e^((2x − 1)/(2σ²))) (+ for removal).</summary>
        public double Loss(double x)
        {
            double l = LogSpaceSum.LogAddExp(_logKeep, Math.Log(q) + (2 * x - 1) / (2 * sigma * sigma));
            return removal ? l : -l;
        }

        /// <summary>
        /// The x where L crosses ε: x*(ε) = σ² ln((e^(±ε) − (1 − q))/q) + 1/2, or −∞ when the loss
        /// never exceeds ε on that side (e^(±ε) ≤ 1 − q).
        /// </summary>
        private double Crossing(double epsilon)
        {
            if (double.IsNegativeInfinity(epsilon)) return removal ? double.NegativeInfinity : double.PositiveInfinity;
            if (double.IsPositiveInfinity(epsilon)) return removal ? double.PositiveInfinity : double.NegativeInfinity;
            double excess = Accurate.ExpM1(removal ? epsilon : -epsilon) + q; // e^(±ε) − (1 − q)
            if (excess <= 0) return double.NegativeInfinity;
            return sigma * sigma * (Math.Log(excess) - Math.Log(q)) + 0.5;
        }

        /// <summary>Where L crosses a loss: the normal arguments of both mixture components there and their smaller-side tails.</summary>
        public readonly struct Cut(double centred, double shifted)
        {
            public readonly double Centred = centred, Shifted = shifted;
            public readonly double CentredTail = Normal.Survival(Math.Abs(centred)), ShiftedTail = Normal.Survival(Math.Abs(shifted));
        }

        /// <summary>The crossing of loss ε (ε = ±∞ for the open ends).</summary>
        public Cut CutAt(double epsilon)
        {
            double x = Crossing(epsilon);
            return new Cut(x / sigma, (x - 1) / sigma);
        }

        /// <summary>(P, Q) probabilities of L in (ε_a, ε_b] from the crossings of ε_a &lt; ε_b.</summary>
        public (double P, double Q) Masses(Cut a, Cut b)
        {
            // Removal: L increases with x, so L ∈ (ε_a, ε_b] is x between the crossings in that order; addition: reversed.
            var (lower, upper) = removal ? (a, b) : (b, a);
            if (!(upper.Centred > lower.Centred)) return (0, 0);
            double centred = Between(lower.Centred, lower.CentredTail, upper.Centred, upper.CentredTail);
            double shifted = Between(lower.Shifted, lower.ShiftedTail, upper.Shifted, upper.ShiftedTail);
            double mixture = (1 - q) * centred + q * shifted;
            return removal ? (mixture, centred) : (centred, mixture);
        }

        /// <summary>
        /// Φ(b) − Φ(a) for a &lt; b given Φ(−|a|) and Φ(−|b|): a difference of the tails on the side where
        /// both lie, so narrow intervals far out keep their digits.
        /// </summary>
        private static double Between(double a, double tailA, double b, double tailB)
        {
            if (a >= 0) return Math.Max(0.0, tailA - tailB);
            if (b <= 0) return Math.Max(0.0, tailB - tailA);
            return Math.Max(0.0, 1.0 - tailA - tailB);
        }
    }
}

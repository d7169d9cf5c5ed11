using System;

namespace TrainingGen.Federated.Privacy;

/// <summary>
/// σ calibration: the privacy loss falls as the noise grows, so the σ meeting a target is the root of a
/// decreasing function, found by bracketing then Brent's method.
/// </summary>
internal static class NoiseCalibration
{
    /// <summary>Relative width of the final bracket (half the 1e-3 promised to callers, so σ → ε → σ stays within it).</summary>
    public const double RelativeTolerance = 2.5e-4;

    private const double MinSigma = 1e-4, MaxSigma = 1e7;

    /// <summary>
    /// The smallest σ (up to <see cref="RelativeTolerance"/>) with <paramref name="excess"/>(σ) ≤ 0, where
    /// excess is decreasing in σ (e.g. ε(σ) − target). The bracket grows or shrinks by <paramref name="factor"/>
    /// from <paramref name="initialGuess"/>: a good guess with a small factor keeps evaluations near the answer.
    /// </summary>
    public static double Calibrate(Func<double, double> excess, double initialGuess, string target, double factor = 2.0)
    {
        double lo = initialGuess, hi = initialGuess;
        double fLo = excess(lo), fHi = fLo;
        if (fHi > 0)
        {
            // Grow σ until the target holds.
            do
            {
                lo = hi; fLo = fHi;
                hi *= factor;
                if (hi > MaxSigma)
                    throw new UnreachablePrivacyTargetException($"no noise multiplier up to {MaxSigma:G3} reaches {target}.");
                fHi = excess(hi);
            } while (fHi > 0);
        }
        else
        {
            // Shrink σ until the target fails; if even tiny noise meets it, tiny noise is the answer.
            do
            {
                hi = lo; fHi = fLo;
                lo /= factor;
                if (lo < MinSigma) return hi;
                fLo = excess(lo);
            } while (fLo <= 0);
        }
        return Brent(excess, lo, hi, fLo, fHi);
    }

    /// <summary>
    /// Brent's method on a bracket with f(lo) &gt; 0 ≥ f(hi): inverse quadratic / secant steps when they
    /// land inside the bracket and shrink it fast enough, bisection otherwise. Returns the smallest point evaluated with f ≤ 0, within the final bracket's width of the root.
    /// </summary>
    internal static double Brent(Func<double, double> f, double lo, double hi, double fLo, double fHi)
    {
        // b is the best estimate, a the previous one, c the point that keeps the root bracketed with b.
        double a = lo, b = hi, fa = fLo, fb = fHi;
        double c = a, fc = fa, d = b - a, e = d;
        // The end known to meet the target (f ≤ 0), tightened as the search goes.
        double meets = hi;
        for (int iter = 0; iter < 200; iter++)
        {
            if (Math.Sign(fb) == Math.Sign(fc) && fb != 0) { c = a; fc = fa; d = b - a; e = d; }
            if (Math.Abs(fc) < Math.Abs(fb)) { a = b; b = c; c = a; fa = fb; fb = fc; fc = fa; }
            double tol = RelativeTolerance * Math.Abs(b) * 0.5;
            double m = 0.5 * (c - b);
            if (Math.Abs(m) <= tol || fb == 0)
                return meets; // ≤ whichever of b, c meets the target, and ≥ the root
            if (Math.Abs(e) >= tol && Math.Abs(fa) > Math.Abs(fb))
            {
                double s = fb / fa, p, qq;
                if (a == c) { p = 2 * m * s; qq = 1 - s; }
                else
                {
                    double qa = fa / fc, r = fb / fc;
                    p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1));
                    qq = (qa - 1) * (r - 1) * (s - 1);
                }
                if (p > 0) qq = -qq; else p = -p;
                if (2 * p < Math.Min(3 * m * qq - Math.Abs(tol * qq), Math.Abs(e * qq))) { e = d; d = p / qq; }
                else { d = m; e = m; }
            }
            else { d = m; e = m; }
            a = b; fa = fb;
            b += Math.Abs(d) > tol ? d : (m > 0 ? tol : -tol);
            fb = f(b);
            if (fb <= 0 && b < meets) meets = b;
        }
        return meets;
    }
}

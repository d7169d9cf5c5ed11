using System;
using System.Collections.Generic;

namespace TrainingGen.Federated.Privacy;

/// <summary>How an RDP curve is turned into (ε, δ).</summary>
public enum RdpConversion
{
    /// <summary>Balle et al. 2020 ("Hypothesis testing interpretations and Rényi DP"): ε = min over α of RDP(α) + ln(1 − 1/α) − (ln δ + ln α)/(α − 1). Tighter; the default.</summary>
    Improved,

    /// <summary>Mironov 2017: ε = min over α of RDP(α) + ln(1/δ)/(α − 1).</summary>
    Classic,
}

/// <summary>RDP → (ε, δ) and back, minimised over a grid of orders.</summary>
public static class RdpConversions
{
    /// <summary>The smallest ε over the orders, and the order attaining it.</summary>
    public static (double Epsilon, double Order) Epsilon(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta, RdpConversion conversion)
    {
        CheckCurve(orders, rdp);
        PrivacyChecks.Delta(delta);
        double best = double.PositiveInfinity, bestOrder = double.NaN;
        double logDelta = Math.Log(delta);
        for (int i = 0; i < orders.Count; i++)
        {
            double a = orders[i], r = rdp[i];
            if (double.IsNaN(r) || double.IsPositiveInfinity(r)) continue;
            double eps = conversion == RdpConversion.Classic
                ? r - logDelta / (a - 1)
                : r + Accurate.Log1P(-1.0 / a) - (logDelta + Math.Log(a)) / (a - 1);
            if (eps < best) { best = eps; bestOrder = a; }
        }
        if (double.IsPositiveInfinity(best))
            throw new UnreachablePrivacyTargetException("the RDP bound is infinite at every order, so no finite ε holds.");
        return (Math.Max(0.0, best), bestOrder);
    }

    /// <summary>The smallest δ over the orders for which the curve gives (ε, δ) (the exact inverse of <see cref="Epsilon"/> at each order), capped at 1.</summary>
    public static double Delta(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double epsilon, RdpConversion conversion)
    {
        CheckCurve(orders, rdp);
        PrivacyChecks.Epsilon(epsilon);
        double bestLog = 0.0; // δ = 1 always holds
        for (int i = 0; i < orders.Count; i++)
        {
            double a = orders[i], r = rdp[i];
            if (double.IsNaN(r) || double.IsPositiveInfinity(r)) continue;
            double logDelta = conversion == RdpConversion.Classic
                ? (a - 1) * (r - epsilon)
                : (a - 1) * (r - epsilon + Accurate.Log1P(-1.0 / a)) - Math.Log(a);
            bestLog = Math.Min(bestLog, logDelta);
        }
        return Math.Exp(bestLog);
    }

    private static void CheckCurve(IReadOnlyList<double> orders, IReadOnlyList<double> rdp)
    {
        if (orders.Count == 0) throw new ArgumentException("at least one order is needed.", nameof(orders));
        if (orders.Count != rdp.Count)
            throw new ArgumentException($"{orders.Count} orders but {rdp.Count} RDP values.", nameof(rdp));
        foreach (double a in orders)
            if (!(a > 1) || double.IsInfinity(a))
                throw new ArgumentOutOfRangeException(nameof(orders), a, "every Rényi order must be finite and greater than 1.");
    }
}

using System;

namespace TrainingGen.Federated.Privacy;

/// <summary>
/// A signed sum kept in log space: the RDP series add terms of e^±700 and more and of both signs
/// (binomial coefficients of a fractional order alternate), which plain doubles would overflow.
/// </summary>
internal struct LogSpaceSum
{
    private double _logPositive;
    private double _logNegative;

    public static LogSpaceSum Empty => new() { _logPositive = double.NegativeInfinity, _logNegative = double.NegativeInfinity };

    /// <summary>Adds sign·e^logMagnitude.</summary>
    public void Add(double logMagnitude, bool negative)
    {
        if (negative) _logNegative = LogAddExp(_logNegative, logMagnitude);
        else _logPositive = LogAddExp(_logPositive, logMagnitude);
    }

    /// <summary>ln of the sum, which must be positive (the sums here are expectations of positive quantities).</summary>
    public readonly double Log
    {
        get
        {
            if (_logNegative == double.NegativeInfinity) return _logPositive;
            if (_logNegative >= _logPositive) return double.NaN;
            return _logPositive + Math.Log(-Accurate.ExpM1(_logNegative - _logPositive));
        }
    }

    /// <summary>ln(e^a + e^b) without overflow.</summary>
    public static double LogAddExp(double a, double b)
    {
        if (a == double.NegativeInfinity) return b;
        if (b == double.NegativeInfinity) return a;
        return a >= b ? a + Math.Log(1.0 + Math.Exp(b - a)) : b + Math.Log(1.0 + Math.Exp(a - b));
    }
}

/// <summary>
/// ln(1 + x) and e^x − 1 accurate for tiny x (.NET's double.LogP1/ExpM1 evaluate the naive forms).
/// Both use Kahan's correction of the rounded argument.
/// </summary>
internal static class Accurate
{
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsInfinity(u) || u <= 0) return Math.Log(u);
        return Math.Log(u) * x / (u - 1.0);
    }

    public static double ExpM1(double x)
    {
        if (Math.Abs(x) > 0.5) return Math.Exp(x) - 1.0;
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        return (u - 1.0) * x / Math.Log(u);
    }
}

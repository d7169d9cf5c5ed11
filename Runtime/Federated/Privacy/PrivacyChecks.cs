using System;

namespace TrainingGen.Federated.Privacy;

/// <summary>The argument rules every accountant shares, with messages that say the accepted range.</summary>
/// <remarks>
/// The exceptions carry no parameter name so that <see cref="Exception.Message"/> is exactly the
/// sentence (the `traingen privacy` command prints it as is); the sentence names the quantity.
/// </remarks>
internal static class PrivacyChecks
{
    public static void SamplingRate(double q)
    {
        if (!(q > 0 && q <= 1))
            throw new ArgumentOutOfRangeException(null, $"the sampling rate must be in (0, 1], got {Format(q)}.");
    }

    public static void Delta(double delta)
    {
        if (!(delta > 0 && delta < 1))
            throw new ArgumentOutOfRangeException(null, $"δ must be in (0, 1), got {Format(delta)}.");
    }

    public static void Epsilon(double epsilon)
    {
        if (!(epsilon >= 0) || double.IsPositiveInfinity(epsilon))
            throw new ArgumentOutOfRangeException(null, $"ε must be finite and non-negative, got {Format(epsilon)}.");
    }

    /// <summary>A target ε for calibration: zero needs infinite noise.</summary>
    public static void TargetEpsilon(double epsilon)
    {
        if (!(epsilon > 0) || double.IsPositiveInfinity(epsilon))
            throw new ArgumentOutOfRangeException(null, $"the target ε must be finite and positive, got {Format(epsilon)}.");
    }

    public static void NoiseMultiplier(double sigma)
    {
        if (!(sigma >= 0) || double.IsPositiveInfinity(sigma))
            throw new ArgumentOutOfRangeException(null, $"the noise multiplier must be finite and non-negative, got {Format(sigma)}.");
    }

    public static void Steps(int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(null, $"the number of steps must be at least 1, got {steps}.");
    }

    public static string Format(double x) => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

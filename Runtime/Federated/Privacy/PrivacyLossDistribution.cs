using System;

namespace TrainingGen.Federated.Privacy;

/// <summary>
/// A discrete privacy loss distribution: probability masses at the losses (Offset + j)·Interval and a
/// mass at +∞. Its hockey-stick curve is δ(ε) = p∞ + Σ_{ℓ &gt; ε} p_ℓ (1 − e^(ε − ℓ)); composing
/// mechanisms convolves the distributions (losses add).
/// </summary>
/// <remarks>
/// Pessimistic throughout: what is cut off is moved to a larger loss (the upper tail to +∞, the lower
/// tail up to the first kept loss), which can only raise δ(ε); FFT round-off that goes negative is
/// raised to zero, which also only adds mass. So δ(ε) and ε(δ) are upper bounds up to ~1e-12.
/// </remarks>
public sealed class PrivacyLossDistribution
{
    /// <summary>Tail mass cut off after each convolution (to +∞ above, to the first kept loss below).</summary>
    internal const double TruncationMass = 1e-14;

    private readonly double[] _mass;

    internal PrivacyLossDistribution(double interval, long offset, double[] mass, double infinityMass)
    {
        if (!(interval > 0)) throw new ArgumentOutOfRangeException(nameof(interval), interval, "the discretisation interval must be positive.");
        if (mass.Length == 0) throw new ArgumentException("a privacy loss distribution needs at least one finite loss.", nameof(mass));
        Interval = interval;
        Offset = offset;
        _mass = mass;
        InfinityMass = Math.Clamp(infinityMass, 0.0, 1.0);
    }

    /// <summary>The spacing of the losses.</summary>
    public double Interval { get; }

    /// <summary>The smallest loss is Offset·Interval.</summary>
    public long Offset { get; }

    /// <summary>Mass at the losses (Offset + j)·Interval.</summary>
    public ReadOnlySpan<double> Masses => _mass;

    /// <summary>Mass at loss +∞ (outputs only one of the two neighbouring data sets can produce).</summary>
    public double InfinityMass { get; }

    /// <summary>The loss of the j-th mass.</summary>
    public double Loss(int j) => (Offset + j) * Interval;

    /// <summary>δ(ε) = p∞ + Σ_{ℓ &gt; ε} p_ℓ (1 − e^(ε − ℓ)).</summary>
    public double Delta(double epsilon)
    {
        if (double.IsNaN(epsilon)) throw new ArgumentOutOfRangeException(null, "ε must be a number.");
        double sum = 0;
        for (int j = _mass.Length - 1; j >= 0; j--)
        {
            double loss = Loss(j);
            if (loss <= epsilon) break;
            sum += _mass[j] * -Accurate.ExpM1(epsilon - loss);
        }
        return Math.Min(1.0, InfinityMass + sum);
    }

    /// <summary>The smallest ε ≥ 0 with δ(ε) ≤ δ.</summary>
    public double Epsilon(double delta)
    {
        PrivacyChecks.Delta(delta);
        if (InfinityMass > delta)
            throw new UnreachablePrivacyTargetException(
                $"the mass at infinite privacy loss ({PrivacyChecks.Format(InfinityMass)}) exceeds δ = {PrivacyChecks.Format(delta)}, so no finite ε holds.");
        // Going down the losses: above = p∞ + Σ_{j>k} p_j and scaled = Σ_{j>k} p_j e^(ℓ_k − ℓ_j), so that
        // δ(ℓ_k) = above − scaled and, between ℓ_k and ℓ_{k+1}, δ(ε) = above − e^(ε − ℓ_k)·scaled.
        double decay = Math.Exp(-Interval);
        double above = InfinityMass, scaled = 0;
        for (int k = _mass.Length - 1; k >= 0; k--)
        {
            if (k < _mass.Length - 1) scaled = (scaled + _mass[k + 1]) * decay;
            if (above - scaled > delta)
                return Math.Max(0.0, Loss(k) + Math.Log((above - delta) / scaled));
            above += _mass[k];
        }
        // δ(ℓ_0) ≤ δ: below ℓ_0, δ(ε) = above − e^(ε − ℓ_0)(scaled + p_0).
        double total = scaled + _mass[0];
        if (above <= delta || total <= 0) return 0.0;
        return Math.Max(0.0, Loss(0) + Math.Log((above - delta) / total));
    }

    /// <summary>The distribution of the summed loss of this mechanism followed by <paramref name="other"/>.</summary>
    public PrivacyLossDistribution Compose(PrivacyLossDistribution other)
    {
        if (Math.Abs(other.Interval - Interval) > 1e-12 * Interval)
            throw new ArgumentException($"cannot compose privacy loss distributions with intervals {Interval} and {other.Interval}.", nameof(other));
        double[] mass = Fft.Convolve(_mass, other._mass);
        double infinity = 1 - (1 - InfinityMass) * (1 - other.InfinityMass);
        return Truncated(Interval, Offset + other.Offset, mass, infinity);
    }

    /// <summary>This mechanism composed with itself <paramref name="times"/> times (by repeated squaring).</summary>
    public PrivacyLossDistribution SelfCompose(int times)
    {
        PrivacyChecks.Steps(times);
        PrivacyLossDistribution? result = null;
        PrivacyLossDistribution power = this;
        for (int t = times; ; )
        {
            if ((t & 1) != 0) result = result is null ? power : result.Compose(power);
            t >>= 1;
            if (t == 0) break;
            power = power.Compose(power);
        }
        return result!;
    }

    /// <summary>
    /// Cuts tails whose (signed, so FFT noise cancels) mass is at most <see cref="TruncationMass"/>, moving
    /// the upper one to +∞ and the lower one onto the first kept loss, and raises negative round-off to 0.
    /// </summary>
    private static PrivacyLossDistribution Truncated(double interval, long offset, double[] mass, double infinity)
    {
        int first = 0, last = mass.Length - 1;
        double lower = 0, upper = 0;
        while (first < last && lower + mass[first] <= TruncationMass) lower += mass[first++];
        while (last > first && upper + mass[last] <= TruncationMass) upper += mass[last--];
        var kept = new double[last - first + 1];
        for (int j = 0; j < kept.Length; j++) kept[j] = Math.Max(0.0, mass[first + j]);
        kept[0] += Math.Max(0.0, lower);
        return new PrivacyLossDistribution(interval, offset + first, kept, infinity + Math.Max(0.0, upper));
    }
}

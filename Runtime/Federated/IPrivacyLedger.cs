using System;

namespace TrainingGen.Federated;

/// <summary>
/// The privacy spent so far, as an accountant (RDP, PLD) computes it for the simulation's mechanism:
/// the simulation reports <see cref="Epsilon"/> after every iteration and knows nothing else of it.
/// </summary>
public interface IPrivacyLedger
{
    /// <summary>ε after <paramref name="iterations"/> central iterations (at the accountant's δ).</summary>
    double Epsilon(int iterations);
}

/// <summary>An <see cref="IPrivacyLedger"/> from a function, e.g. <c>t =&gt; accountant.Epsilon(z, q, t, δ)</c>.</summary>
public sealed class PrivacyLedger : IPrivacyLedger
{
    private readonly Func<int, double> _epsilon;
    public PrivacyLedger(Func<int, double> epsilon) { _epsilon = epsilon ?? throw new ArgumentNullException(nameof(epsilon)); }
    public double Epsilon(int iterations) => _epsilon(iterations);

    /// <summary>
    /// The ledger of a simulation's central Gaussian mechanism, spent as <paramref name="accountant"/>
    /// (RDP or PLD) counts it at <paramref name="delta"/>: one Poisson-subsampled Gaussian release per
    /// iteration, with noise multiplier <see cref="CentralPrivacyOptions.NoiseMultiplier"/> and sampling
    /// rate <see cref="FederatedOptions.SamplingRate"/>, or cohort ÷ population for a fixed cohort. With
    /// <see cref="CentralPrivacyOptions.NoiseCohortSize"/> the noise stands for that larger cohort, so the
    /// rate is noise cohort ÷ population (pfl-research's reading). No noise (norm clipping only) spends ∞.
    /// </summary>
    public static PrivacyLedger For(Privacy.IPrivacyAccountant accountant, FederatedOptions options, int population, double delta)
    {
        ArgumentNullException.ThrowIfNull(accountant);
        ArgumentNullException.ThrowIfNull(options);
        var dp = options.Privacy ?? throw new ArgumentException("The options declare no central privacy (FederatedOptions.Privacy is null).", nameof(options));
        if (population < 1) throw new ArgumentOutOfRangeException(nameof(population), population, "The population must hold at least one user.");
        double q = options.SamplingRate ?? Math.Min(1.0, (double)(dp.NoiseCohortSize ?? options.CohortSize) / population);
        double sigma = dp.NoiseMultiplier;
        return new PrivacyLedger(t => t <= 0 ? 0 : sigma <= 0 ? double.PositiveInfinity : accountant.Epsilon(sigma, q, t, delta));
    }
}

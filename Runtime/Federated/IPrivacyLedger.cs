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
}

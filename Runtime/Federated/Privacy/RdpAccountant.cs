using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.Federated.Privacy;

/// <summary>
/// Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism: RDP at each order of a grid
/// (<see cref="SampledGaussianRdp"/>), composed over T steps by addition, converted to (ε, δ) by the
/// chosen <see cref="RdpConversion"/> and minimised over the grid.
/// </summary>
public sealed class RdpAccountant : IPrivacyAccountant
{
    private readonly double[] _orders;

    /// <param name="orders">The order grid; <see cref="RdpOrders.TensorFlow"/> when null.</param>
    /// <param name="conversion">RDP → (ε, δ); <see cref="RdpConversion.Improved"/> by default.</param>
    public RdpAccountant(IReadOnlyList<double>? orders = null, RdpConversion conversion = RdpConversion.Improved)
    {
        _orders = (orders ?? RdpOrders.TensorFlow).ToArray();
        if (_orders.Length == 0) throw new ArgumentException("at least one Rényi order is needed.", nameof(orders));
        foreach (double a in _orders)
            if (!(a > 1) || double.IsInfinity(a))
                throw new ArgumentOutOfRangeException(nameof(orders), a, "every Rényi order must be finite and greater than 1.");
        Conversion = conversion;
    }

    public IReadOnlyList<double> Orders => _orders;

    public RdpConversion Conversion { get; }

    /// <summary>ε and the order that attains it.</summary>
    public (double Epsilon, double Order) EpsilonAndOrder(double noiseMultiplier, double samplingRate, int steps, double delta)
    {
        PrivacyChecks.Delta(delta);
        double[] rdp = SampledGaussianRdp.Compute(noiseMultiplier, samplingRate, steps, _orders);
        return RdpConversions.Epsilon(_orders, rdp, delta, Conversion);
    }

    public double Epsilon(double noiseMultiplier, double samplingRate, int steps, double delta) =>
        EpsilonAndOrder(noiseMultiplier, samplingRate, steps, delta).Epsilon;

    public double Delta(double noiseMultiplier, double samplingRate, int steps, double epsilon)
    {
        PrivacyChecks.Epsilon(epsilon);
        double[] rdp = SampledGaussianRdp.Compute(noiseMultiplier, samplingRate, steps, _orders);
        return RdpConversions.Delta(_orders, rdp, epsilon, Conversion);
    }

    public double NoiseMultiplier(double epsilon, double delta, double samplingRate, int steps)
    {
        PrivacyChecks.TargetEpsilon(epsilon);
        PrivacyChecks.Delta(delta);
        PrivacyChecks.SamplingRate(samplingRate);
        PrivacyChecks.Steps(steps);
        return NoiseCalibration.Calibrate(sigma => Epsilon(sigma, samplingRate, steps, delta) - epsilon, initialGuess: 1.0,
            $"ε = {PrivacyChecks.Format(epsilon)} at δ = {PrivacyChecks.Format(delta)}");
    }
}

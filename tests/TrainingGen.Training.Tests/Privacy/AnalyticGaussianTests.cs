using System;
using NUnit.Framework;
using TrainingGen.Federated.Privacy;

namespace TrainingGen.Training.Tests.Privacy;

/// <summary>
/// The analytic Gaussian mechanism (Balle &amp; Wang 2018) against the smallest σ found by bisection on
/// the exact δ(σ) with mpmath at 40 digits (ncdf, 300 halvings).
/// </summary>
public class AnalyticGaussianTests
{
    [TestCase(1.0, 1e-5, 3.7306316348159418322)]
    [TestCase(0.5, 1e-6, 8.0576184807250442552)]
    [TestCase(1.0, 0.3, 0.69023058001459924076)] // δ above δ₀: the B⁺ branch
    [TestCase(4.0, 1e-9, 1.4878036771034649279)]
    public void Calibrated_noise_matches_mpmath(double eps, double delta, double expected)
    {
        double sigma = AnalyticGaussian.NoiseMultiplier(eps, delta);
        Assert.That(sigma, Is.EqualTo(expected).Within(1e-9 * expected));
        Assert.That(sigma, Is.GreaterThanOrEqualTo(expected * (1 - 1e-12)), "rounded up, so the target holds");
    }

    [Test]
    public void It_needs_less_noise_than_the_classical_gaussian_mechanism()
    {
        // Dwork & Roth: σ = √(2 ln(1.25/δ))/ε for ε < 1.
        double classical = Math.Sqrt(2 * Math.Log(1.25 / 1e-5)) / 0.5;
        Assert.That(AnalyticGaussian.NoiseMultiplier(0.5, 1e-5), Is.LessThan(classical));
    }

    [Test]
    public void Epsilon_delta_and_noise_are_consistent()
    {
        double eps = AnalyticGaussian.Epsilon(2.0, 1e-6);
        Assert.That(AnalyticGaussian.Delta(2.0, eps), Is.EqualTo(1e-6).Within(1e-15));
        Assert.That(AnalyticGaussian.NoiseMultiplier(eps, 1e-6), Is.EqualTo(2.0).Within(1e-9));
        Assert.That(AnalyticGaussian.StandardDeviation(eps, 1e-6, sensitivity: 3.0), Is.EqualTo(6.0).Within(1e-8));
    }

    [Test]
    public void Bad_input_is_an_out_of_range_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AnalyticGaussian.NoiseMultiplier(0, 1e-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnalyticGaussian.NoiseMultiplier(1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnalyticGaussian.StandardDeviation(1, 1e-5, 0));
    }
}

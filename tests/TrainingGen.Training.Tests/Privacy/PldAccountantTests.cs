using System;
using NUnit.Framework;
using TrainingGen.Federated.Privacy;

namespace TrainingGen.Training.Tests.Privacy;

/// <summary>
/// The PLD accountant (Δ = 1e-4) against the closed form of the composed Gaussian mechanism
/// (δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2), μ = √T/σ; Φ from erfc checked against mpmath elsewhere),
/// against one step of the subsampled Gaussian integrated numerically with mpmath, and against RDP.
/// </summary>
public class PldAccountantTests
{
    private static double GaussianDelta(double sigma, int steps, double eps)
    {
        double mu = Math.Sqrt(steps) / sigma;
        return Normal.Cdf(-eps / mu + mu / 2) - Math.Exp(eps) * Normal.Cdf(-eps / mu - mu / 2);
    }

    [TestCase(1.0, 1)]
    [TestCase(5.0, 10)]
    [TestCase(20.0, 100)]
    public void Composed_gaussian_matches_the_closed_form_and_never_undershoots(double sigma, int steps)
    {
        var (removal, addition) = new PldAccountant().Compose(sigma, 1.0, steps);
        Assert.That(addition, Is.Null, "without subsampling both directions are the same");
        foreach (double eps in new[] { 0.0, 0.3, 1.0, 2.5 })
        {
            double exact = GaussianDelta(sigma, steps, eps);
            double pld = removal.Delta(eps);
            Assert.That(pld, Is.EqualTo(exact).Within(1e-4), $"σ = {sigma}, T = {steps}, ε = {eps}");
            Assert.That(pld, Is.GreaterThanOrEqualTo(exact - 1e-12), "pessimistic");
        }
    }

    [TestCase(0.0, 0.038292492254802620728, 0.038292492254802620728)]
    [TestCase(0.05, 0.026143662958947260169, 0.010572581353831128249)]
    [TestCase(0.2, 0.0098893144851886955601, 0.0)]
    [TestCase(0.5, 0.0020325369203403576533, 0.0)]
    public void One_subsampled_step_has_the_exact_hockey_stick_at_grid_losses(double eps, double removal, double addition)
    {
        // σ = 1, q = 0.1: δ(ε) = ∫ (P − e^ε Q)₊ for (μ, μ₀) and (μ₀, μ); connect-the-dots is exact at grid points.
        var rem = SampledGaussianPld.OneStep(1.0, 0.1, 1e-4, removal: true);
        var add = SampledGaussianPld.OneStep(1.0, 0.1, 1e-4, removal: false);
        Assert.That(rem.Delta(eps), Is.EqualTo(removal).Within(1e-10));
        Assert.That(add.Delta(eps), Is.EqualTo(addition).Within(1e-10));
    }

    [Test]
    public void One_step_masses_sum_to_one()
    {
        foreach (bool removal in new[] { true, false })
        {
            var pld = SampledGaussianPld.OneStep(0.9, 0.05, 1e-4, removal);
            double total = pld.InfinityMass;
            foreach (double m in pld.Masses) total += m;
            Assert.That(total, Is.EqualTo(1.0).Within(1e-9), removal ? "removal" : "addition");
        }
    }

    [TestCase(1.1, 256.0 / 60000, 14063)] // TF Privacy MNIST tutorial
    [TestCase(4.0, 0.01, 10000)] // Abadi et al. 2016
    public void Subsampled_pld_is_tighter_than_rdp_on_the_tutorial_settings(double sigma, double q, int steps)
    {
        double pld = new PldAccountant().Epsilon(sigma, q, steps, 1e-5);
        double rdp = new RdpAccountant(RdpOrders.TensorFlow, RdpConversion.Improved).Epsilon(sigma, q, steps, 1e-5);
        Assert.That(pld, Is.LessThan(rdp));
        Assert.That(pld, Is.GreaterThan(0.8 * rdp), "tighter, but not implausibly so");
    }

    [Test]
    public void Epsilon_and_delta_of_a_distribution_invert_each_other()
    {
        var (removal, _) = new PldAccountant().Compose(2.0, 0.05, 200);
        foreach (double delta in new[] { 1e-3, 1e-5, 1e-7 })
        {
            double eps = removal.Epsilon(delta);
            Assert.That(removal.Delta(eps), Is.EqualTo(delta).Within(1e-9 * delta + 1e-15), $"δ = {delta}");
        }
    }

    [Test]
    public void Noise_calibration_round_trips()
    {
        var accountant = new PldAccountant();
        double eps = accountant.Epsilon(2.0, 0.01, 1000, 1e-5);
        double sigma = accountant.NoiseMultiplier(eps, 1e-5, 0.01, 1000);
        Assert.That(sigma, Is.EqualTo(2.0).Within(1e-3 * 2.0));
        Assert.That(accountant.Epsilon(sigma, 0.01, 1000, 1e-5), Is.LessThanOrEqualTo(eps), "the calibrated σ meets the target");
    }

    [Test]
    public void Bad_input_is_an_out_of_range_error()
    {
        var accountant = new PldAccountant();
        Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Epsilon(1, 0, 10, 1e-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Epsilon(1, 0.1, 10, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Delta(-1, 0.1, 10, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PldAccountant(0));
    }
}

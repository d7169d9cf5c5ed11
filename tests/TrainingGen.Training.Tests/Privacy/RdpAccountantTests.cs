using System;
using System.Diagnostics;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Federated.Privacy;

namespace TrainingGen.Training.Tests.Privacy;

/// <summary>
/// The RDP accountant against the published figures collected in shared/docs/dp-reference.md (each test
/// states its order grid and conversion) and against RDP values integrated numerically with mpmath
/// (quad of E_{z∼N(0,σ²)}[((1 − q) + q e^((2z−1)/(2σ²)))^α] at 40 digits).
/// </summary>
public class RdpAccountantTests
{
    private const double Delta = 1e-5;

    [Test]
    public void Tensorflow_privacy_mnist_tutorial_is_epsilon_3_01()
    {
        // q = 256/60000, σ = 1.1, 60 epochs (T = 14063), δ = 1e-5; TF orders, classic conversion.
        var accountant = new RdpAccountant(RdpOrders.TensorFlow, RdpConversion.Classic);
        var (eps, _) = accountant.EpsilonAndOrder(1.1, 256.0 / 60000, 14063, Delta);
        Assert.That(Math.Round(eps, 2), Is.EqualTo(3.01));
    }

    [Test]
    public void Abadi_et_al_moments_accountant_is_epsilon_1_26()
    {
        // q = 0.01, σ = 4, T = 10000, δ = 1e-5; integer orders 2..32 (the moments accountant's λ ≤ 32), classic.
        var accountant = new RdpAccountant(RdpOrders.Integers(32), RdpConversion.Classic);
        Assert.That(Math.Round(accountant.Epsilon(4, 0.01, 10000, Delta), 2), Is.EqualTo(1.26));
    }

    [Test]
    public void Opacus_accountant_test_value_is_reproduced_to_ten_digits()
    {
        // q = 0.04, σ = 1.5, T = 2250, δ = 1e-5; TF orders, improved conversion: ε = 7.32911117143.
        var accountant = new RdpAccountant(RdpOrders.TensorFlow, RdpConversion.Improved);
        Assert.That(accountant.Epsilon(1.5, 0.04, 2250, Delta), Is.EqualTo(7.32911117143).Within(1e-10 * 7.33));
    }

    [Test]
    public void Dp_accounting_rdp_values_at_mixed_integer_and_fractional_orders()
    {
        // σ = 2.5, q = 0.01, T = 50 at orders [1.5, 2.5, 5, 50, 100] (rel. 1e-4).
        double[] rdp = SampledGaussianRdp.Compute(2.5, 0.01, 50, [1.5, 2.5, 5, 50, 100]);
        double[] expected = [6.5007e-04, 1.0854e-03, 2.1808e-03, 2.3846e-02, 1.6742e+02];
        for (int i = 0; i < rdp.Length; i++)
            Assert.That(rdp[i], Is.EqualTo(expected[i]).Within(1e-4 * expected[i]), $"order {new[] { 1.5, 2.5, 5, 50, 100 }[i]}");
    }

    [Test]
    public void Improved_conversion_of_a_flat_curve_matches_dp_accounting()
    {
        // Orders 2..32, RDP ≡ 1.1, δ = 1e-5, improved conversion: ε = 1.32783806176 at order 32.
        var orders = RdpOrders.Integers(32);
        var (eps, order) = RdpConversions.Epsilon(orders, Enumerable.Repeat(1.1, orders.Count).ToArray(), Delta, RdpConversion.Improved);
        Assert.That(eps, Is.EqualTo(1.32783806176).Within(1e-10));
        Assert.That(order, Is.EqualTo(32));
    }

    [TestCase(2.5, 0.8, 0.3, 0.48110303233106165031)]
    [TestCase(1.1, 1.1, 256.0 / 60000, 0.000012779666371319915112)]
    [TestCase(7.3, 2.0, 0.05, 0.0028145251099163257111)]
    [TestCase(30.5, 1.5, 0.01, 2.0167074788362418183)]
    public void Fractional_order_series_matches_numerical_integration(double alpha, double sigma, double q, double expected) =>
        Assert.That(SampledGaussianRdp.OneStep(sigma, q, alpha), Is.EqualTo(expected).Within(1e-8 * expected));

    [TestCase(2.0)]
    [TestCase(7.0)]
    [TestCase(40.0)]
    public void Fractional_series_and_integer_binomial_form_agree_at_neighbouring_orders(double alpha)
    {
        // The series at α ± 1e-7 brackets the binomial form at α (RDP is continuous and increasing in α).
        double below = SampledGaussianRdp.OneStep(1.3, 0.02, alpha - 1e-7);
        double at = SampledGaussianRdp.OneStep(1.3, 0.02, alpha);
        double above = SampledGaussianRdp.OneStep(1.3, 0.02, alpha + 1e-7);
        Assert.That(at, Is.EqualTo(below).Within(1e-6 * at));
        Assert.That(at, Is.EqualTo(above).Within(1e-6 * at));
        Assert.That(below, Is.LessThanOrEqualTo(above));
    }

    [TestCase(2.0)]
    [TestCase(3.7)]
    [TestCase(12.0)]
    public void Without_subsampling_rdp_is_the_gaussian_closed_form(double alpha)
    {
        // q → 1 through the general series/binomial forms approaches α/(2σ²) (Mironov 2017).
        double sigma = 1.7;
        Assert.That(SampledGaussianRdp.OneStep(sigma, 1 - 1e-12, alpha), Is.EqualTo(alpha / (2 * sigma * sigma)).Within(1e-9));
        Assert.That(SampledGaussianRdp.OneStep(sigma, 1, alpha), Is.EqualTo(alpha / (2 * sigma * sigma)).Within(1e-15));
    }

    [Test]
    public void Order_grids_are_tensorflows_and_pfls()
    {
        var tf = RdpOrders.TensorFlow;
        Assert.That(tf, Has.Count.EqualTo(99 + 52));
        Assert.That(tf.Take(3), Is.EqualTo(new[] { 1.1, 1.2, 1.3 }));
        Assert.That(tf[98], Is.EqualTo(10.9));
        Assert.That(tf[99], Is.EqualTo(12));
        Assert.That(tf[^1], Is.EqualTo(63));
        var pfl = RdpOrders.Pfl;
        Assert.That(pfl, Has.Count.EqualTo(99 + 53 + 4));
        Assert.That(pfl[99], Is.EqualTo(11));
        Assert.That(pfl.Skip(pfl.Count - 5), Is.EqualTo(new double[] { 63, 128, 256, 512, 1024 }));
    }

    [Test]
    public void Classic_conversion_is_looser_than_improved()
    {
        double classic = new RdpAccountant(conversion: RdpConversion.Classic).Epsilon(1.1, 256.0 / 60000, 14063, Delta);
        double improved = new RdpAccountant(conversion: RdpConversion.Improved).Epsilon(1.1, 256.0 / 60000, 14063, Delta);
        Assert.That(improved, Is.LessThan(classic - 0.1));
    }

    [TestCase(RdpConversion.Classic)]
    [TestCase(RdpConversion.Improved)]
    public void Delta_inverts_epsilon(RdpConversion conversion)
    {
        var accountant = new RdpAccountant(RdpOrders.Pfl, conversion);
        double eps = accountant.Epsilon(1.0, 0.01, 1000, 1e-6);
        Assert.That(accountant.Delta(1.0, 0.01, 1000, eps), Is.EqualTo(1e-6).Within(1e-6 * 1e-6));
    }

    [TestCase(RdpConversion.Improved, 0.8, 0.01, 1000)]
    [TestCase(RdpConversion.Improved, 2.0, 0.004, 10000)]
    [TestCase(RdpConversion.Classic, 5.0, 0.1, 300)]
    public void Noise_calibration_round_trips(RdpConversion conversion, double sigma, double q, int steps)
    {
        var accountant = new RdpAccountant(conversion: conversion);
        double eps = accountant.Epsilon(sigma, q, steps, Delta);
        double back = accountant.NoiseMultiplier(eps, Delta, q, steps);
        Assert.That(back, Is.EqualTo(sigma).Within(1e-3 * sigma));
        Assert.That(accountant.Epsilon(back, q, steps, Delta), Is.LessThanOrEqualTo(eps), "the calibrated σ meets the target");
    }

    [Test]
    public void Calibration_for_ten_thousand_steps_takes_under_a_second()
    {
        var accountant = new RdpAccountant();
        accountant.NoiseMultiplier(2.0, Delta, 0.01, 100); // warm-up (JIT)
        var watch = Stopwatch.StartNew();
        double sigma = accountant.NoiseMultiplier(1.0, Delta, 0.01, 10_000);
        watch.Stop();
        Assert.That(sigma, Is.InRange(3.0, 6.0));
        Assert.That(watch.Elapsed.TotalSeconds, Is.LessThan(1.0));
    }

    [TestCase(0.0, 1e-5, 1.0)]
    [TestCase(1.5, 1e-5, 1.0)]
    [TestCase(0.01, 0.0, 1.0)]
    [TestCase(0.01, 1.0, 1.0)]
    [TestCase(0.01, 1e-5, -1.0)]
    public void Bad_input_is_an_out_of_range_error(double q, double delta, double sigma) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RdpAccountant().Epsilon(sigma, q, 100, delta));

    [Test]
    public void An_unreachable_target_says_so() =>
        Assert.Throws<UnreachablePrivacyTargetException>(() => new RdpAccountant().NoiseMultiplier(1e-9, 1e-5, 1.0, 100_000));
}

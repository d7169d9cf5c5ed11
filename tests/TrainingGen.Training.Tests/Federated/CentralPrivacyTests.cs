using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Federated;
using static TrainingGen.Training.Tests.Federated.FederatedTestUtil;

namespace TrainingGen.Training.Tests.Federated;

/// <summary>Central DP: clipping, calibrated noise, noise_cohort_size, the separate noise stream, adaptive clipping.</summary>
public class CentralPrivacyTests
{
    private static readonly Func<int, ITrainer> Plain = b => FedPlainNet.CreateTrainer(b, seed: 3);

    /// <summary>Users whose targets are ~10⁴: one local step moves the parameters by far more than any sensible bound.</summary>
    private static IDataset[] HugeUsers(int count) => Enumerable.Range(0, count).Select(u =>
    {
        var d = TestUtil.RegressionData(8, 300 + (ulong)u);
        for (int i = 0; i < d.Labels.Length; i++) d.Labels[i] = d.Labels[i] * 1e4f + 5e3f;
        return (IDataset)d;
    }).ToArray();

    [TestCase(0.0)]
    [TestCase(1.0)]
    public void Every_users_update_is_clipped_to_the_bound(double noiseMultiplier)
    {
        const double c = 0.5;
        var sim = new FederatedSimulation(Plain, HugeUsers(6), new FederatedOptions
        {
            CohortSize = 6, Threads = 2, Weighting = FederatedWeighting.ByUser,
            Local = new LocalTrainingOptions { BatchSize = 8, Steps = 1, LearningRate = 0.1 },
            Privacy = new CentralPrivacyOptions { ClippingBound = c, NoiseMultiplier = noiseMultiplier },
        });
        var before = Trainable(sim.Model);
        var r = sim.RunIteration();
        Assert.That(r.Users, Has.Count.EqualTo(6));
        Assert.That(r.Users.Select(u => u.Norm), Is.All.GreaterThan(100 * c), "the updates were huge");
        Assert.That(r.Users.Select(u => u.ClippedNorm), Is.All.LessThanOrEqualTo(c * (1 + 1e-6)));
        if (noiseMultiplier == 0)
        {
            // Independently of the reports: the mean of six vectors of norm ≤ C has norm ≤ C.
            var change = Trainable(sim.Model).Select((v, j) => v - before[j]).ToArray();
            double norm = Math.Sqrt(change.Sum(v => v * v));
            Assert.That(norm, Is.LessThanOrEqualTo(c * (1 + 1e-5)).And.GreaterThan(0.9 * c), "the deltas point the same way, so the mean is close to C");
        }
    }

    /// <summary>
    /// With a local learning rate of 0 every delta is 0, so the central change is exactly noise / cohort.
    /// For n independent N(0, σ²) draws, (n−1)s²/σ² ~ χ²(n−1), so s²/σ² has standard deviation
    /// ≈ √(2/n): a 5σ band fails a correct implementation with probability &lt; 10⁻⁶ (the seed is fixed, so
    /// the test is deterministic; the band states the confidence). The mean is checked within 5σ/√n.
    /// </summary>
    [TestCase(null, 300)]
    [TestCase(40, 150)]
    public void Noise_on_the_sum_has_the_calibrated_variance(int? noiseCohortSize, int iterations)
    {
        const double z = 1.3, c = 0.7;
        const int cohort = 4;
        var sim = new FederatedSimulation(Plain, RegressionUsers(1, 8, 8, 8, 8), new FederatedOptions
        {
            CohortSize = cohort, Threads = 1, Weighting = FederatedWeighting.ByUser,
            Local = new LocalTrainingOptions { BatchSize = 8, Steps = 1, LearningRate = 0 },
            Privacy = new CentralPrivacyOptions { ClippingBound = c, NoiseMultiplier = z, NoiseCohortSize = noiseCohortSize },
        });
        double sigma = z * c * (noiseCohortSize is int m ? (double)cohort / m : 1);
        var samples = new List<double>();
        for (int t = 0; t < iterations; t++)
        {
            var before = Trainable(sim.Model);
            var r = sim.RunIteration();
            Assert.That(r.NoiseStdDev, Is.EqualTo(sigma).Within(1e-12));
            samples.AddRange(Trainable(sim.Model).Select((v, j) => (v - before[j]) * cohort));
        }
        int n = samples.Count;
        double mean = samples.Average();
        double variance = samples.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        Assert.That(Math.Abs(mean), Is.LessThanOrEqualTo(5 * sigma / Math.Sqrt(n)), "mean");
        Assert.That(variance / (sigma * sigma), Is.EqualTo(1).Within(5 * Math.Sqrt(2.0 / n)), $"variance over {n} draws");
    }

    [Test]
    public void The_noise_stream_is_separate_from_the_sampling_and_data_streams()
    {
        FederatedSimulation Make(ulong noiseSeed) => new(Plain, RegressionUsers(2, 9, 10, 11, 12, 13, 14), new FederatedOptions
        {
            CohortSize = 3, Threads = 1, Seed = 77, Weighting = FederatedWeighting.ByUser,
            Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 1, LearningRate = 0.05, Shuffle = true },
            Privacy = new CentralPrivacyOptions { ClippingBound = 0.3, NoiseMultiplier = 1, NoiseSeed = noiseSeed },
        });
        var a = Make(1); var b = Make(2); var a2 = Make(1);
        var ra = a.RunIteration(); var rb = b.RunIteration(); a2.RunIteration();
        Assert.That(rb.Users, Is.EqualTo(ra.Users), "same cohort, same local training");
        Assert.That(Trainable(a2.Model), Is.EqualTo(Trainable(a.Model)), "same noise seed, same result");
        Assert.That(MaxAbsDiff(Trainable(b.Model), Trainable(a.Model)), Is.GreaterThan(1e-3), "another noise seed, other noise");
    }

    [Test]
    public void Adaptive_clipping_moves_the_bound_geometrically_towards_the_target_quantile()
    {
        // No count noise: all users clipped ⇒ b̄ = 0 ⇒ C ← C·exp(η·γ); none clipped ⇒ C ← C·exp(−η·(1 − γ)).
        const double eta = 0.2, gamma = 0.3;
        FederatedSimulation Make(IDataset[] users, double c0) => new(Plain, users, new FederatedOptions
        {
            CohortSize = users.Length, Threads = 1, Weighting = FederatedWeighting.ByUser,
            Local = new LocalTrainingOptions { BatchSize = 8, Steps = 1, LearningRate = 0.1 },
            Privacy = new CentralPrivacyOptions
            {
                ClippingBound = c0,
                AdaptiveClipping = new AdaptiveClippingOptions { TargetQuantile = gamma, LearningRate = eta, CountNoiseStdDev = 0 },
            },
        });
        var growing = Make(HugeUsers(3), 0.5);
        var bounds = growing.Run(3).Select(r => r.ClippingBound!.Value).ToArray();
        Assert.That(bounds[1], Is.EqualTo(0.5 * Math.Exp(eta * gamma)).Within(1e-12));
        Assert.That(bounds[2], Is.EqualTo(0.5 * Math.Exp(2 * eta * gamma)).Within(1e-12));

        var shrinking = Make(RegressionUsers(4, 8, 8), 1e6);
        shrinking.Run(2);
        Assert.That(shrinking.ClippingBound, Is.EqualTo(1e6 * Math.Exp(-2 * eta * (1 - gamma))).Within(1e-3));
    }

    [Test]
    public void Adaptive_clipping_raises_the_delta_noise_so_the_pair_costs_what_z_alone_would()
    {
        var sim = new FederatedSimulation(Plain, RegressionUsers(1, 8, 8), new FederatedOptions
        {
            CohortSize = 2, Threads = 1, Weighting = FederatedWeighting.ByUser,
            Privacy = new CentralPrivacyOptions { NoiseMultiplier = 1, AdaptiveClipping = new AdaptiveClippingOptions { CountNoiseStdDev = 1 } },
        });
        Assert.That(sim.DeltaNoiseMultiplier, Is.EqualTo(1 / Math.Sqrt(1 - 0.25)).Within(1e-12), "(z⁻² − (2σ_b)⁻²)^(−½)");
        Assert.That(() => new FederatedSimulation(Plain, RegressionUsers(1, 8, 8), new FederatedOptions
        {
            CohortSize = 2, Weighting = FederatedWeighting.ByUser,
            Privacy = new CentralPrivacyOptions { NoiseMultiplier = 2, AdaptiveClipping = new AdaptiveClippingOptions { CountNoiseStdDev = 1 } },
        }), Throws.ArgumentException.With.Message.Contains("2σ_b > z"));
    }

    [Test]
    public void The_ledger_reports_epsilon_after_each_iteration()
    {
        var sim = new FederatedSimulation(Plain, RegressionUsers(1, 8, 8), new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Weighting = FederatedWeighting.ByUser,
            Privacy = new CentralPrivacyOptions { NoiseMultiplier = 1 },
        }, new PrivacyLedger(t => 0.25 * t));
        Assert.That(sim.Run(3).Select(r => r.Epsilon), Is.EqualTo(new double?[] { 0.25, 0.5, 0.75 }));
    }

    [Test]
    public void A_ledger_for_an_accountant_charges_one_subsampled_gaussian_per_iteration()
    {
        // 8 users, cohort 2: q = 2/8; with a noise cohort of 4 the noise stands for q = 4/8.
        var rdp = new TrainingGen.Federated.Privacy.RdpAccountant();
        var options = new FederatedOptions
        {
            CohortSize = 2, Threads = 1, Weighting = FederatedWeighting.ByUser,
            Privacy = new CentralPrivacyOptions { NoiseMultiplier = 1.5 },
        };
        var sim = new FederatedSimulation(Plain, RegressionUsers(8, 8, 8), options, PrivacyLedger.For(rdp, options, 8, 1e-5));
        var spent = sim.Run(3).Select(r => r.Epsilon!.Value).ToArray();
        for (int t = 1; t <= 3; t++)
            Assert.That(spent[t - 1], Is.EqualTo(rdp.Epsilon(1.5, 0.25, t, 1e-5)), $"after {t} iterations");
        Assert.That(spent, Is.Ordered.Ascending);

        var larger = options with { Privacy = new CentralPrivacyOptions { NoiseMultiplier = 1.5, NoiseCohortSize = 4 } };
        Assert.That(PrivacyLedger.For(rdp, larger, 8, 1e-5).Epsilon(2), Is.EqualTo(rdp.Epsilon(1.5, 0.5, 2, 1e-5)));
        Assert.That(PrivacyLedger.For(rdp, options with { Privacy = new CentralPrivacyOptions() }, 8, 1e-5).Epsilon(1),
            Is.EqualTo(double.PositiveInfinity), "norm clipping alone gives no privacy");
    }

    [Test]
    public void Central_DP_refuses_weighting_by_data_points()
    {
        Assert.That(() => new FederatedSimulation(Plain, RegressionUsers(1, 8, 8), new FederatedOptions
        {
            CohortSize = 1, Weighting = FederatedWeighting.ByDataPoints, Privacy = new CentralPrivacyOptions(),
        }), Throws.ArgumentException.With.Message.Contains("ByUser"));
    }
}

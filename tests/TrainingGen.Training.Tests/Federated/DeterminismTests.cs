using System;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Federated;
using TrainingGen.Training.Tests.Models;
using static TrainingGen.Training.Tests.Federated.FederatedTestUtil;

namespace TrainingGen.Training.Tests.Federated;

/// <summary>The same seed gives bit-identical central parameters whatever the thread count.</summary>
public class DeterminismTests
{
    private static FederatedSimulation Make(Func<int, ITrainer> create, int threads, ulong seed, double? rate = null) =>
        new(create, RegressionUsers(21, Enumerable.Range(0, 20).Select(u => 5 + 3 * u % 17).ToArray()), new FederatedOptions
        {
            CohortSize = 11, SamplingRate = rate, Threads = threads, Seed = seed, Weighting = FederatedWeighting.ByUser,
            Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 2, LearningRate = 0.05, Shuffle = true, ClipGradNorm = 1.0 },
            Privacy = new CentralPrivacyOptions
            {
                ClippingBound = 0.2, NoiseMultiplier = 0.5, NoiseCohortSize = 100,
                AdaptiveClipping = new AdaptiveClippingOptions { TargetQuantile = 0.5 },
            },
        });

    private static readonly Func<int, ITrainer> Momentum = b => SgdNet.CreateTrainer(b, seed: 8);
    private static readonly Func<int, ITrainer> Dropout = b => DropoutNet.CreateTrainer(b, seed: 8);

    [TestCase(2, null)]
    [TestCase(3, null)]
    [TestCase(2, 0.4)]
    public void Same_seed_one_or_more_threads_gives_bit_identical_central_parameters(int threads, double? rate)
    {
        foreach (var create in new[] { Momentum, Dropout })
        {
            var one = Make(create, 1, 5, rate); var many = Make(create, threads, 5, rate);
            var r1 = one.Run(5); var rn = many.Run(5);
            Assert.That(r1.Sum(r => r.Users.Count), Is.GreaterThan(5 * FederatedSimulation.UsersPerBlock), "several blocks per iteration");
            Assert.That(Values(many.Model, p => true), Is.EqualTo(Values(one.Model, p => true)), "bit-identical (exact equality)");
            Assert.That(rn.Select(r => r.ClippingBound), Is.EqualTo(r1.Select(r => r.ClippingBound)));
        }
    }

    [Test]
    public void Another_seed_gives_another_result()
    {
        var a = Make(Momentum, 2, 5); var b = Make(Momentum, 2, 6);
        a.Run(2); b.Run(2);
        Assert.That(MaxAbsDiff(Trainable(a.Model), Trainable(b.Model)), Is.GreaterThan(1e-4));
    }
}

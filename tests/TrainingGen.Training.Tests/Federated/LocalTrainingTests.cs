using System;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Federated;
using static TrainingGen.Training.Tests.Federated.FederatedTestUtil;

namespace TrainingGen.Training.Tests.Federated;

/// <summary>Local steps against epochs, local gradient clipping, and Poisson cohorts' fixed DP denominator, against hand-built references.</summary>
public class LocalTrainingTests
{
    private static readonly Func<int, ITrainer> Plain = b => FedPlainNet.CreateTrainer(b, seed: 3);

    private static double[] Gradient(ITrainer t) => t.Parameters.Where(p => p.Trainable).SelectMany(p => p.Gradient!.Select(v => (double)v)).ToArray();

    [Test]
    public void Steps_that_make_whole_epochs_equal_those_epochs_and_the_rest_continues_into_the_next_one()
    {
        var user = RegressionUsers(13, 8)[0];   // two batches of 4 per epoch
        FederatedSimulation Make(int? steps, int epochs) => new(Plain, new[] { user }, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Local = new LocalTrainingOptions { BatchSize = 4, Steps = steps, Epochs = epochs, LearningRate = 0.05 },
        });
        var byEpochs = Make(null, 2); byEpochs.RunIteration();
        var bySteps = Make(4, 1); bySteps.RunIteration();
        Assert.That(Trainable(bySteps.Model), Is.EqualTo(Trainable(byEpochs.Model)), "4 steps = 2 epochs of 2 batches, bit for bit");

        var three = Make(3, 1);
        Assert.That(three.RunIteration().Users[0].LocalSteps, Is.EqualTo(3));
        var t = Plain(4);
        t.LearningRate = 0.05f;
        var b = new BatchBuffer(user, 4);
        foreach (int first in new[] { 0, 4, 0 }) { b.FillRange(first, 4); t.Step(b.Inputs); }   // the third step starts epoch 2 at batch 0
        Assert.That(MaxAbsDiff(Trainable(three.Model), Trainable(t)), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void Local_gradient_clipping_scales_each_step_to_the_bound()
    {
        // One plain-SGD step: w1 = w0 − η·g·min(1, C/(‖g‖ + 1e-6)), with g and the scale computed here in float64.
        const double lr = 0.1, c = 0.05;
        var user = RegressionUsers(17, 8)[0];
        var sim = new FederatedSimulation(Plain, new[] { user }, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Local = new LocalTrainingOptions { BatchSize = 8, Steps = 1, LearningRate = lr, ClipGradNorm = c },
        });
        var w0 = Trainable(sim.Model);
        sim.RunIteration();

        var t = Plain(8);
        var b = new BatchBuffer(user, 8);
        b.FillRange(0, 8);
        t.ComputeGradients(b.Inputs);
        var g = Gradient(t);
        double norm = Math.Sqrt(g.Sum(v => v * v));
        Assert.That(norm, Is.GreaterThan(10 * c), "the gradient is well above the bound");
        double scale = c / (norm + 1e-6);
        var expected = w0.Select((w, j) => w - lr * scale * g[j]).ToArray();
        Assert.That(MaxAbsDiff(Trainable(sim.Model), expected), Is.LessThanOrEqualTo(1e-6));
        double moved = Math.Sqrt(Trainable(sim.Model).Select((w, j) => (w - w0[j]) * (w - w0[j])).Sum());
        Assert.That(moved, Is.EqualTo(lr * c).Within(1e-5), "the step has length η·C");
    }

    [Test]
    public void With_Poisson_sampling_and_DP_the_mean_divides_by_the_expected_cohort_not_the_sampled_one()
    {
        // q = 0.5 over 10 users: expected cohort 5. Clipping only (z = 0) with a bound no delta reaches,
        // so the central change is Σ Δᵤ / 5 over whichever users were sampled.
        const double q = 0.5;
        var users = RegressionUsers(23, Enumerable.Repeat(4, 10).ToArray());
        var sim = new FederatedSimulation(Plain, users, new FederatedOptions
        {
            SamplingRate = q, Threads = 2, Seed = 3, Weighting = FederatedWeighting.ByUser,
            Local = new LocalTrainingOptions { BatchSize = 4, Steps = 1, LearningRate = 0.05 },
            Privacy = new CentralPrivacyOptions { ClippingBound = 1e6, NoiseMultiplier = 0 },
        });
        var w0 = Trainable(sim.Model);
        var r = sim.RunIteration();
        Assert.That(r.Users.Count, Is.Not.EqualTo(5).And.GreaterThan(0), "this seed samples a cohort other than the expected size");
        Assert.That(r.Users.Select(u => u.Norm), Is.EqualTo(r.Users.Select(u => u.ClippedNorm)), "nothing clipped");

        var sum = new double[w0.Length];
        foreach (var u in r.Users)
        {
            var local = Trainable(TrainLikeAUser(Plain, users[u.User], 4, 1, 0.05));
            for (int j = 0; j < sum.Length; j++) sum[j] += local[j] - w0[j];
        }
        var expected = w0.Select((w, j) => w + sum[j] / (q * users.Length)).ToArray();
        Assert.That(MaxAbsDiff(Trainable(sim.Model), expected), Is.LessThanOrEqualTo(1e-6));
    }
}

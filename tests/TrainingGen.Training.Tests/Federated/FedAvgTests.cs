using System;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Federated;
using TrainingGen.Optimizers;
using TrainingGen.Training.Tests.Models;
using static TrainingGen.Training.Tests.Federated.FederatedTestUtil;

namespace TrainingGen.Training.Tests.Federated;

/// <summary>FedAvg and FedProx against plain trainers run by hand, frozen parameters, BatchNorm buffers, FedAdam.</summary>
public class FedAvgTests
{
    private static readonly Func<int, ITrainer> Momentum = b => SgdNet.CreateTrainer(b, seed: 3);
    private static readonly Func<int, ITrainer> Plain = b => FedPlainNet.CreateTrainer(b, seed: 3);

    [TestCase(8, 8)]   // a full batch
    [TestCase(5, 8)]   // the user's only batch is partial: trained with a trainer built for 5
    public void One_user_one_local_step_equals_one_step_of_the_plain_trainer(int samples, int batch)
    {
        var user = RegressionUsers(7, samples)[0];
        var sim = new FederatedSimulation(Momentum, new[] { user }, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Local = new LocalTrainingOptions { BatchSize = batch, Steps = 1, LearningRate = 0.05 },
        });
        sim.RunIteration();

        var plain = Momentum(samples);
        plain.LearningRate = 0.05f;
        var buffer = new BatchBuffer(user, samples);
        buffer.FillRange(0, samples);
        plain.Step(buffer.Inputs);
        var before = Trainable(Momentum(batch));
        Assert.That(MaxAbsDiff(Trainable(sim.Model), Trainable(plain)), Is.LessThanOrEqualTo(1e-6));
        Assert.That(MaxAbsDiff(Trainable(sim.Model), before), Is.GreaterThan(1e-4), "the step moved the parameters");
    }

    private static readonly Func<int, ITrainer> AdamModel = b => AdamNet.CreateTrainer(b, seed: 3);

    // Adam's state carries over from step to step, so a worker that reused a trainer without
    // resetting it would train the second user from the first one's moments.
    [TestCase(FederatedWeighting.ByDataPoints, "momentum")]
    [TestCase(FederatedWeighting.ByUser, "momentum")]
    [TestCase(FederatedWeighting.ByDataPoints, "adam")]
    public void K_users_with_central_lr_1_give_the_weighted_mean_of_their_local_results(FederatedWeighting weighting, string optimizer)
    {
        var create = optimizer == "adam" ? AdamModel : Momentum;
        int[] sizes = { 8, 16, 4, 12 };
        var users = RegressionUsers(11, sizes);
        var sim = new FederatedSimulation(create, users, new FederatedOptions
        {
            CohortSize = 4, Threads = 2, Weighting = weighting,
            Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 2, LearningRate = 0.05 },
        });
        var result = sim.RunIteration();
        Assert.That(result.Users.Select(u => u.User), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(result.Users.Select(u => u.LocalSteps), Is.EqualTo(new[] { 4, 8, 2, 6 }));

        var locals = users.Select(u => Trainable(TrainLikeAUser(create, u, 4, 2, 0.05))).ToArray();
        double[] w = sizes.Select(n => weighting == FederatedWeighting.ByDataPoints ? (double)n : 1.0).ToArray();
        var expected = new double[locals[0].Length];
        for (int j = 0; j < expected.Length; j++)
            expected[j] = Enumerable.Range(0, users.Length).Sum(u => w[u] * locals[u][j]) / w.Sum();
        Assert.That(MaxAbsDiff(Trainable(sim.Model), expected), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void A_last_partial_batch_is_trained_and_carries_the_local_state_on()
    {
        // 10 samples in batches of 4: 4, 4, then 2 (a trainer built for 2), for two epochs. Plain SGD
        // has no optimizer state, so the reference is trainer.Step on each batch with the parameters
        // copied between a batch-4 and a batch-2 trainer.
        var user = RegressionUsers(5, 10)[0];
        var sim = new FederatedSimulation(Plain, new[] { user }, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 2, LearningRate = 0.05 },
        });
        var r = sim.RunIteration();
        Assert.That(r.Users[0].LocalSteps, Is.EqualTo(6));

        var t4 = Plain(4); var t2 = Plain(2);
        t4.LearningRate = t2.LearningRate = 0.05f;
        var b4 = new BatchBuffer(user, 4); var b2 = new BatchBuffer(user, 2);
        for (int e = 0; e < 2; e++)
        {
            b4.FillRange(0, 4); t4.Step(b4.Inputs);
            b4.FillRange(4, 4); t4.Step(b4.Inputs);
            for (int i = 0; i < t4.Parameters.Count; i++) t4.Parameters[i].Value.AsSpan().CopyTo(t2.Parameters[i].Value);
            b2.FillRange(8, 2); t2.Step(b2.Inputs);
            for (int i = 0; i < t4.Parameters.Count; i++) t2.Parameters[i].Value.AsSpan().CopyTo(t4.Parameters[i].Value);
        }
        Assert.That(MaxAbsDiff(Trainable(sim.Model), Trainable(t4)), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void Local_steps_count_batches_across_epochs()
    {
        var user = RegressionUsers(5, 10)[0];   // 3 batches per epoch (4, 4, 2)
        var sim = new FederatedSimulation(Plain, new[] { user }, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Local = new LocalTrainingOptions { BatchSize = 4, Steps = 5, LearningRate = 0.05 },
        });
        Assert.That(sim.RunIteration().Users[0].LocalSteps, Is.EqualTo(5));
    }

    [Test]
    public void FedProx_adds_mu_times_the_distance_to_the_central_model_to_the_gradient()
    {
        // With η·μ = 1 the second local step is w1 − η(∇L(w1) + μ(w1 − w0)) = w0 − η∇L(w1): the
        // delta after two steps is exactly −η·∇L(w1), with w1 = w0 − η∇L(w0).
        const double lr = 0.05, mu = 1 / lr;
        var user = RegressionUsers(9, 8)[0];
        var sim = new FederatedSimulation(Plain, new[] { user }, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Local = new LocalTrainingOptions { BatchSize = 8, Steps = 2, LearningRate = lr, ProximalMu = mu },
        });
        var w0 = Trainable(sim.Model);
        sim.RunIteration();

        var t = Plain(8);
        t.LearningRate = (float)lr;
        var buffer = new BatchBuffer(user, 8);
        buffer.FillRange(0, 8);
        t.Step(buffer.Inputs);               // w1
        t.ComputeGradients(buffer.Inputs);   // ∇L(w1)
        var g1 = t.Parameters.Where(p => p.Trainable).SelectMany(p => p.Gradient!.Select(v => (double)v)).ToArray();
        var expected = w0.Select((v, j) => v - lr * g1[j]).ToArray();
        Assert.That(MaxAbsDiff(Trainable(sim.Model), expected), Is.LessThanOrEqualTo(1e-6));

        var fedAvg = new FederatedSimulation(Plain, new[] { user }, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Local = new LocalTrainingOptions { BatchSize = 8, Steps = 2, LearningRate = lr },
        });
        fedAvg.RunIteration();
        Assert.That(MaxAbsDiff(Trainable(fedAvg.Model), expected), Is.GreaterThan(1e-5), "μ made a difference");
    }

    [Test]
    public void Frozen_parameters_are_copied_down_never_aggregated()
    {
        Func<int, ITrainer> create = b => FedFrozenNet.CreateTrainer(b, seed: 4);
        var users = RegressionUsers(3, 8, 8);
        var sim = new FederatedSimulation(create, users, new FederatedOptions
        {
            CohortSize = 2, Threads = 2, Local = new LocalTrainingOptions { BatchSize = 8, Steps = 1, LearningRate = 0.1 },
        });
        // The central model's frozen backbone is changed before training: the users must train with it.
        foreach (var p in sim.Model.Parameters.Where(p => !p.Trainable)) for (int j = 0; j < p.Value.Length; j++) p.Value[j] *= 2;
        var frozenBefore = Values(sim.Model, p => !p.Trainable);
        sim.RunIteration();
        Assert.That(Values(sim.Model, p => !p.Trainable), Is.EqualTo(frozenBefore));

        var locals = users.Select(u =>
        {
            var t = create(8);
            foreach (var p in t.Parameters.Where(p => !p.Trainable)) for (int j = 0; j < p.Value.Length; j++) p.Value[j] *= 2;
            t.LearningRate = 0.1f;
            var bb = new BatchBuffer(u, 8); bb.FillRange(0, 8); t.Step(bb.Inputs);
            return Trainable(t);
        }).ToArray();
        var expected = locals[0].Select((v, j) => (v + locals[1][j]) / 2).ToArray();
        Assert.That(MaxAbsDiff(Trainable(sim.Model), expected), Is.LessThanOrEqualTo(1e-6));
    }

    private static IDataset[] BnUsers(params int[] sizes) => sizes.Select((n, u) =>
    {
        var rng = new Rng(40 + (ulong)u);
        var x = new float[n * 8]; var y = new float[n * 3];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextGaussian() * (1 + u) + u);   // users differ in mean and scale
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextGaussian();
        return (IDataset)new InMemoryDataset(x, new[] { 2, 2, 2 }, y, new[] { 3 });
    }).ToArray();

    [Test]
    public void BatchNorm_running_statistics_are_averaged_with_the_users_weights()
    {
        Func<int, ITrainer> create = b => FedBnNet.CreateTrainer(b, seed: 2);
        var users = BnUsers(4, 12);
        var sim = new FederatedSimulation(create, users, new FederatedOptions
        {
            CohortSize = 2, Threads = 1, Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 1, LearningRate = 0.1 },
        });
        sim.RunIteration();
        var locals = users.Select(u => Values(TrainLikeAUser(create, u, 4, 1, 0.1), p => p.IsBuffer)).ToArray();
        var expected = locals[0].Select((v, j) => (4 * v + 12 * locals[1][j]) / 16).ToArray();
        var central = Values(sim.Model, p => p.IsBuffer);
        Assert.That(central, Has.Length.EqualTo(4), "running_mean and running_var of 2 channels");
        Assert.That(MaxAbsDiff(central, expected), Is.LessThanOrEqualTo(1e-6));

        var kept = new FederatedSimulation(create, users, new FederatedOptions
        {
            CohortSize = 2, Threads = 1, Buffers = BufferAggregation.KeepCentral,
            Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 1, LearningRate = 0.1 },
        });
        var initial = Values(kept.Model, p => p.IsBuffer);
        kept.RunIteration();
        Assert.That(Values(kept.Model, p => p.IsBuffer), Is.EqualTo(initial));
    }

    [Test]
    public void FedAdam_first_central_step_moves_each_parameter_by_the_learning_rate_towards_the_delta()
    {
        // Adam's first step is lr·m̂/(√v̂ + ε) = lr·g/(|g| + ε) with g = −Δ: each parameter moves by
        // ≈ lr in the direction of its delta.
        const double centralLr = 0.01;
        var users = RegressionUsers(2, 8);
        var fedAvg = new FederatedSimulation(Plain, users, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, Local = new LocalTrainingOptions { BatchSize = 8, Steps = 1, LearningRate = 0.1 },
        });
        var w0 = Trainable(fedAvg.Model);
        fedAvg.RunIteration();
        var delta = Trainable(fedAvg.Model).Select((v, j) => v - w0[j]).ToArray();
        Assert.That(delta.Min(Math.Abs), Is.GreaterThan(1e-5), "every parameter has a delta well above Adam's ε");

        var fedAdam = new FederatedSimulation(Plain, users, new FederatedOptions
        {
            CohortSize = 1, Threads = 1, CentralOptimizer = new Adam(new AdamOptions(centralLr, Eps: 1e-8)),
            Local = new LocalTrainingOptions { BatchSize = 8, Steps = 1, LearningRate = 0.1 },
        });
        fedAdam.RunIteration();
        var expected = w0.Select((v, j) => v + centralLr * delta[j] / (Math.Abs(delta[j]) + 1e-8)).ToArray();
        Assert.That(MaxAbsDiff(Trainable(fedAdam.Model), expected), Is.LessThanOrEqualTo(1e-6));
    }
}

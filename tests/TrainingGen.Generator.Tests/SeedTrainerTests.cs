using System;
using System.Linq;
using NUnit.Framework;
using QuickStart;

namespace TrainingGen.Tests;

/// <summary>The generated trainer of the seed program against independent float64 references.</summary>
public class SeedTrainerTests
{
    [SetUp] public void Seed() => ParameterInit.ManualSeed(7);

    private static double[][] Params(ModelToExport.Trainer t) => t.Parameters.Select(p => TestUtil.ToDouble(p.Value)).ToArray();

    [TestCase(2, 0)]
    [TestCase(2, 1)]
    [TestCase(5, 2)]
    [TestCase(16, 3)]
    public void Gradients_match_float64_central_finite_differences(int batch, int seed)
    {
        var rng = new Rng((ulong)(100 + seed));
        var trainer = ModelToExport.CreateTrainer(batch, seed);
        var x = TestUtil.RandomTensor(rng, batch, 2);
        var y = TestUtil.RandomTensor(rng, batch, 3);

        float loss = trainer.ComputeGradients(x, y);

        var p = Params(trainer);
        var fd = SeedReference.FiniteDifferences(p, TestUtil.ToDouble(x.Data), TestUtil.ToDouble(y.Data), batch);
        double refLoss = SeedReference.Loss(p, TestUtil.ToDouble(x.Data), TestUtil.ToDouble(y.Data), batch);
        Assert.That(Math.Abs(loss - refLoss) / refLoss, Is.LessThanOrEqualTo(1e-6), "loss");
        for (int i = 0; i < p.Length; i++)
        {
            var grad = TestUtil.ToDouble(trainer.Parameters[i].Gradient!);
            double err = TestUtil.RelativeError(grad, fd[i]);
            Assert.That(err, Is.LessThanOrEqualTo(1e-4), $"{trainer.Parameters[i].Name}: relative error {err:E2}");
        }
    }

    [Test]
    public void First_ten_sgd_momentum_steps_match_torch_optim_sgd_equations()
    {
        // torch.optim.SGD(lr=0.001, momentum=0.9), dampening 0, no weight decay, no Nesterov:
        //   b_1 = g_1;  b_t = μ·b_{t-1} + (1 − τ)·g_t;  p_t = p_{t-1} − γ·b_t
        const double lr = 0.001, mu = 0.9, tau = 0.0;
        const int batch = 2;
        var rng = new Rng(42);
        var trainer = ModelToExport.CreateTrainer(batch, seed: 5);
        var p = Params(trainer);
        var buf = p.Select(t => new double[t.Length]).ToArray();

        for (int step = 1; step <= 10; step++)
        {
            var x = TestUtil.RandomTensor(rng, batch, 2);
            var y = TestUtil.RandomTensor(rng, batch, 3);
            var g = SeedReference.Gradient(p, TestUtil.ToDouble(x.Data), TestUtil.ToDouble(y.Data), batch);
            double refLoss = SeedReference.Loss(p, TestUtil.ToDouble(x.Data), TestUtil.ToDouble(y.Data), batch);
            for (int t = 0; t < p.Length; t++)
                for (int i = 0; i < p[t].Length; i++)
                {
                    buf[t][i] = step == 1 ? g[t][i] : mu * buf[t][i] + (1 - tau) * g[t][i];
                    p[t][i] -= lr * buf[t][i];
                }

            float loss = trainer.Step(x, y);

            Assert.That(Math.Abs(loss - refLoss) / Math.Abs(refLoss), Is.LessThanOrEqualTo(1e-6), $"loss at step {step}");
            var actual = trainer.Parameters.SelectMany(q => TestUtil.ToDouble(q.Value)).ToArray();
            var expected = p.SelectMany(q => q).ToArray();
            double err = TestUtil.RelativeError(actual, expected);
            Assert.That(err, Is.LessThanOrEqualTo(1e-6), $"parameters after step {step}: relative error {err:E2}");
            var momentum = trainer.OptimizerState.SelectMany(q => TestUtil.ToDouble(q.Value)).ToArray();
            Assert.That(TestUtil.RelativeError(momentum, buf.SelectMany(q => q).ToArray()), Is.LessThanOrEqualTo(1e-6), $"momentum after step {step}");
        }
        Assert.That(trainer.StepCount, Is.EqualTo(10));
    }

    [Test]
    public void Generated_forward_matches_the_eager_Forward_run_as_plain_csharp()
    {
        var model = new ModelToExport();
        var trainer = ModelToExport.CreateTrainer(4, seed: 9);
        trainer.CopyFrom(model);
        var rng = new Rng(3);
        var x = TestUtil.RandomTensor(rng, 4, 2);
        var y = TestUtil.RandomTensor(rng, 4, 3);

        var (eagerLoss, eagerPred) = model.Forward(x, y);
        float loss = trainer.Evaluate(x, y);

        Assert.That(TestUtil.RelativeError(trainer.Pred.Data, eagerPred.Data), Is.LessThanOrEqualTo(1e-5));
        Assert.That(Math.Abs(loss - eagerLoss.ToScalar()) / Math.Abs(eagerLoss.ToScalar()), Is.LessThanOrEqualTo(1e-5));
    }

    [Test]
    public void Trainer_parameters_round_trip_through_the_eager_model()
    {
        var a = ModelToExport.CreateTrainer(2, seed: 1);
        var model = new ModelToExport();
        a.CopyTo(model);
        Assert.That(model.Backend.Linear1.Weight.Data, Is.EqualTo(a.Parameters[0].Value));
        Assert.That(model.Backend.Linear2.Bias!.Data, Is.EqualTo(a.Parameters[3].Value));
    }

    [Test]
    public void Parameters_follow_pytorch_state_dict_names_and_layout()
    {
        var t = ModelToExport.CreateTrainer(2);
        Assert.That(t.Parameters.Select(p => p.Name), Is.EqualTo(new[]
            { "backend.linear_1.weight", "backend.linear_1.bias", "backend.linear_2.weight", "backend.linear_2.bias" }));
        Assert.That(t.Parameters.Select(p => string.Join("x", p.Shape)), Is.EqualTo(new[] { "1x2", "1", "3x1", "3" }));
        Assert.That(t.InputNames, Is.EqualTo(new[] { "x", "y" }));
    }

    [Test]
    public void Same_seed_gives_same_parameters_and_different_seeds_differ()
    {
        var a = ModelToExport.CreateTrainer(2, seed: 11);
        var b = ModelToExport.CreateTrainer(8, seed: 11);
        var c = ModelToExport.CreateTrainer(2, seed: 12);
        Assert.That(a.Parameters[0].Value, Is.EqualTo(b.Parameters[0].Value));
        Assert.That(a.Parameters[0].Value, Is.Not.EqualTo(c.Parameters[0].Value));
        // PyTorch's bound for Linear(2, 1): |w| ≤ 1/√2
        Assert.That(a.Parameters[0].Value.All(v => Math.Abs(v) <= 1 / Math.Sqrt(2)), Is.True);
    }

    [Test]
    public void Wrong_input_shape_names_the_tensor_and_both_shapes()
    {
        var t = ModelToExport.CreateTrainer(2);
        var ex = Assert.Throws<ArgumentException>(() => t.Step(new Tensor(3, 2), new Tensor(2, 3)))!;
        Assert.That(ex.Message, Does.Contain("'x'").And.Contain("[3, 2]").And.Contain("[2, 2]"));
        ex = Assert.Throws<ArgumentException>(() => t.Step(new Tensor(2, 2), new Tensor(2, 4)))!;
        Assert.That(ex.Message, Does.Contain("'y'").And.Contain("[2, 4]").And.Contain("[2, 3]"));
    }

    [Test]
    public void A_training_step_allocates_nothing()
    {
        var t = ModelToExport.CreateTrainer(32, seed: 2);
        var rng = new Rng(8);
        var x = TestUtil.RandomTensor(rng, 32, 2);
        var y = TestUtil.RandomTensor(rng, 32, 3);
        for (int i = 0; i < 5; i++) t.Step(x, y); // warm up (JIT, tiering)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) t.Step(x, y);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.EqualTo(0), "bytes allocated by 100 steps");
    }

    [Test]
    public void Loss_falls_over_the_first_hundred_steps_on_fixed_data()
    {
        var t = ModelToExport.CreateTrainer(2, seed: 0);
        var x = Tensor.FromArray(new float[,] { { 1f, 2f }, { 3f, 4f } });
        var y = Tensor.FromArray(new float[,] { { 0.5f, -1f, 2f }, { 1.5f, -2f, 3f } });
        float previous = float.PositiveInfinity;
        for (int i = 0; i < 100; i++)
        {
            float loss = t.Step(x, y);
            Assert.That(loss, Is.LessThan(previous), $"step {i}");
            previous = loss;
        }
    }
}

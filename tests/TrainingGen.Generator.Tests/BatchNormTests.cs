using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;
using TrainingGen.Tests.Models.Bn;
using static TrainingGen.Tests.OpReference;

namespace TrainingGen.Tests;

/// <summary>BatchNorm2d in training and eval mode, through the trainer and the package.</summary>
public class BatchNormTests
{
    [SetUp] public void Seed() => ParameterInit.ManualSeed(17);

    private static Tensor Images(Rng rng, int n) => TestUtil.RandomTensor(rng, n, 1, 8, 8);
    private static Tensor Classes(Rng rng, int n) { var t = new Tensor(n); for (int i = 0; i < n; i++) t.Data[i] = (int)(rng.NextDouble() * 3); return t; }

    [Test]
    public void Parameters_and_buffers_follow_the_state_dict()
    {
        var t = BnCnn.CreateTrainer(4);
        Assert.That(t.Parameters.Select(p => (p.Name, p.Trainable, p.IsBuffer)), Is.EqualTo(new[]
        {
            ("conv.weight", true, false), ("norm.weight", true, false), ("norm.bias", true, false),
            ("norm.running_mean", false, true), ("norm.running_var", false, true), ("head.weight", true, false), ("head.bias", true, false),
        }));
        Assert.That(t.Parameters[4].Value, Is.All.EqualTo(1f), "running_var starts at 1");
    }

    [Test]
    public void Training_and_eval_forward_match_the_eager_model()
    {
        var rng = new Rng(1);
        var model = new BnCnn();
        var trainer = BnCnn.CreateTrainer(4);
        trainer.CopyFrom(model);
        var x = Images(rng, 4); var y = Classes(rng, 4);

        var (loss, logits) = model.Forward(x, y);                 // training mode: batch statistics
        float l = trainer.ComputeGradients(x, y);
        Assert.That(TestUtil.RelativeError(trainer.Logits.Data, logits.Data), Is.LessThanOrEqualTo(1e-5), "training-mode logits");
        Assert.That(Math.Abs(l - loss.ToScalar()) / loss.ToScalar(), Is.LessThanOrEqualTo(1e-5));
        Assert.That(TestUtil.RelativeError(trainer.Parameters[3].Value, model.Norm.RunningMean.Data), Is.LessThanOrEqualTo(1e-6), "running_mean updated alike");
        Assert.That(TestUtil.RelativeError(trainer.Parameters[4].Value, model.Norm.RunningVar.Data), Is.LessThanOrEqualTo(1e-6), "running_var updated alike");

        model.Norm.Training = false;                               // eval mode: running statistics
        var (_, evalLogits) = model.Forward(x, y);
        trainer.Evaluate(x, y);
        Assert.That(TestUtil.RelativeError(trainer.Logits.Data, evalLogits.Data), Is.LessThanOrEqualTo(1e-5), "eval-mode logits");
        Assert.That(TestUtil.RelativeError(trainer.Parameters[3].Value, model.Norm.RunningMean.Data), Is.LessThanOrEqualTo(1e-6), "eval leaves statistics alone");
    }

    [Test]
    public void Training_mode_logits_match_a_float64_reference()
    {
        var rng = new Rng(4);
        var trainer = BnCnn.CreateTrainer(4, seed: 4);
        var p = trainer.Parameters.Select(q => TestUtil.ToDouble(q.Value)).ToArray();
        for (int c = 0; c < 4; c++) { p[1][c] = 0.5 + 0.25 * c; p[2][c] = 0.1 * c - 0.2; }   // non-trivial affine
        for (int c = 0; c < 4; c++) { trainer.Parameters[1].Value[c] = (float)p[1][c]; trainer.Parameters[2].Value[c] = (float)p[2][c]; }
        var x = Images(rng, 4); var y = Classes(rng, 4);
        float loss = trainer.ComputeGradients(x, y);

        // Naive float64: conv, batch-statistics normalisation (biased variance, eps 1e-5), ReLU, 2×2 max-pool, linear.
        var h = Conv2dRef(TestUtil.ToDouble(x.Data), p[0], null, 4, 1, 8, 8, 4, 3, 1, 1, 1);
        for (int c = 0; c < 4; c++)
        {
            var at = Enumerable.Range(0, 4).SelectMany(n => Enumerable.Range((n * 4 + c) * 64, 64)).ToArray();
            double mean = at.Average(i => h[i]), variance = at.Average(i => (h[i] - mean) * (h[i] - mean));
            foreach (int i in at) h[i] = Math.Max(0, (h[i] - mean) / Math.Sqrt(variance + 1e-5) * p[1][c] + p[2][c]);
        }
        var logits = DenseRef(PoolRef(h, 16, 8, 8, 2, max: true), p[5], p[6], 4, 64, 3);
        Assert.That(TestUtil.RelativeError(TestUtil.ToDouble(trainer.Logits.Data), logits), Is.LessThanOrEqualTo(1e-5), "logits");
        double refLoss = CrossEntropyRef(logits, TestUtil.ToDouble(y.Data), 3, 0);
        Assert.That(Math.Abs(loss - refLoss) / refLoss, Is.LessThanOrEqualTo(1e-5), "loss");
    }

    [Test]
    public void Running_statistics_follow_torch_momentum_rule()
    {
        var rng = new Rng(2);
        var trainer = BnCnn.CreateTrainer(3);
        var x = Images(rng, 3); var y = Classes(rng, 3);
        trainer.ComputeGradients(x, y);
        // conv output per channel, from the float64 reference
        var p = trainer.Parameters.Select(q => TestUtil.ToDouble(q.Value)).ToArray();
        var conv = Conv2dRef(TestUtil.ToDouble(x.Data), p[0], null, 3, 1, 8, 8, 4, 3, 1, 1, 1);
        for (int c = 0; c < 4; c++)
        {
            var values = Enumerable.Range(0, 3).SelectMany(n => conv.Skip((n * 4 + c) * 64).Take(64)).ToArray();
            double mean = values.Average(), unbiased = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
            Assert.That(trainer.Parameters[3].Value[c], Is.EqualTo(0.1 * mean).Within(1e-6), $"running_mean[{c}] = 0.9·0 + 0.1·mean");
            Assert.That(trainer.Parameters[4].Value[c], Is.EqualTo(0.9 + 0.1 * unbiased).Within(1e-5), $"running_var[{c}] = 0.9·1 + 0.1·var_unbiased");
        }
    }

    [Test]
    public void Gradients_match_float64_finite_differences_in_training_mode()
    {
        var rng = new Rng(3);
        var trainer = BnCnn.CreateTrainer(3, seed: 5);
        foreach (var i in Enumerable.Range(0, 4)) { trainer.Parameters[1].Value[i] += (float)(0.3 * rng.NextGaussian()); trainer.Parameters[2].Value[i] += (float)(0.3 * rng.NextGaussian()); }
        var x = Images(rng, 3); var y = Classes(rng, 3);
        var p = trainer.Parameters.Select(q => TestUtil.ToDouble(q.Value)).ToArray();
        trainer.ComputeGradients(x, y);
        var xd = TestUtil.ToDouble(x.Data); var yd = TestUtil.ToDouble(y.Data);
        double Loss()
        {
            var conv = Conv2dRef(xd, p[0], null, 3, 1, 8, 8, 4, 3, 1, 1, 1);
            var bn = new double[conv.Length];
            for (int c = 0; c < 4; c++)
            {
                var idx = Enumerable.Range(0, 3).SelectMany(n => Enumerable.Range((n * 4 + c) * 64, 64)).ToArray();
                double mean = idx.Average(i => conv[i]), var = idx.Average(i => (conv[i] - mean) * (conv[i] - mean));
                foreach (var i in idx) bn[i] = (conv[i] - mean) / Math.Sqrt(var + 1e-5) * p[1][c] + p[2][c];
            }
            var pooled = PoolRef(bn.Select(v => Math.Max(v, 0)).ToArray(), 12, 8, 8, 2, max: true);
            return CrossEntropyRef(DenseRef(pooled, p[5], p[6], 3, 64, 3), yd, 3, 0);
        }
        double modelScale = trainer.Parameters.Where(q => q.Gradient is not null).Max(q => q.Gradient!.Max(v => Math.Abs((double)v)));
        foreach (int t in new[] { 0, 1, 2, 5, 6 })
        {
            var g = trainer.Parameters[t].Gradient!;
            double scale = Math.Max(g.Max(v => Math.Abs((double)v)), 1e-3 * modelScale);
            foreach (int i in Enumerable.Range(0, 8).Select(_ => (int)(rng.NextDouble() * p[t].Length)).Distinct())
            {
                double keep = p[t][i], eps = 1e-5;
                p[t][i] = keep + eps; double up = Loss();
                p[t][i] = keep - eps; double down = Loss();
                p[t][i] = keep;
                Assert.That(Math.Abs(g[i] - (up - down) / (2 * eps)) / scale, Is.LessThanOrEqualTo(1e-4), $"{trainer.Parameters[t].Name}[{i}]");
            }
        }
    }

    [Test]
    public void With_momentum_null_the_package_train_step_keeps_the_cumulative_average_like_the_trainer()
    {
        var trainer = CumulativeBnCnn.CreateTrainer(4, seed: 6);
        using var ev = Evaluator.FromSpec(trainer.BuildPackage());
        var state = new Dictionary<string, MilTensor>();
        foreach (var t in trainer.Parameters.Concat(trainer.OptimizerState)) state[t.MilName] = TestUtil.Mil(t.Shape, t.Value);
        state["norm_num_batches_tracked"] = MilTensor.Int32(new[] { 1 }, new[] { 0 });
        var rng = new Rng(8);
        var seen = new List<double[]>();   // per step, each channel's conv-output mean, from the trainer's own statistics
        for (int step = 0; step < 3; step++)
        {
            var x = Images(rng, 4); var y = Classes(rng, 4);
            var outputs = ev.Run("train_step", new Dictionary<string, MilTensor>(state)
            {
                ["x"] = TestUtil.Mil(x), ["y"] = TestUtil.Mil(y),
                ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { trainer.LearningRate }),
                ["step"] = MilTensor.Int32(new[] { 1 }, new[] { step }),
            });
            var p = trainer.Parameters.Select(q => TestUtil.ToDouble(q.Value)).ToArray();
            var conv = Conv2dRef(TestUtil.ToDouble(x.Data), p[0], null, 4, 1, 8, 8, 4, 3, 1, 1, 1);
            seen.Add(Enumerable.Range(0, 4).Select(c => Enumerable.Range(0, 4).SelectMany(n => conv.Skip((n * 4 + c) * 64).Take(64)).Average()).ToArray());
            trainer.Step(x, y);
            foreach (var t in trainer.Parameters.Where(q => q.Trainable || q.IsBuffer).Concat(trainer.OptimizerState))
            {
                var v = outputs.Single(o => o.Key == TrainingNames.Updated(t.MilName)).Value.Floats!;
                Assert.That(TestUtil.RelativeError(v, t.Value), Is.LessThanOrEqualTo(1e-5), $"{t.Name} after step {step}");
                state[t.MilName] = TestUtil.Mil(t.Shape, v);
            }
            state["norm_num_batches_tracked"] = outputs.Single(o => o.Key == "norm_num_batches_tracked_new").Value;
        }
        // Cumulative average: running_mean = (0 + Σ batch means) / 3 after three passes from zero, not 0.1-momentum's.
        for (int c = 0; c < 4; c++)
            Assert.That(trainer.Parameters[3].Value[c], Is.EqualTo(seen.Average(m => m[c])).Within(1e-5), $"running_mean[{c}]");
        Assert.That(trainer.IntegerBuffers.Single().Value[0], Is.EqualTo(3L));
        Assert.That(state["norm_num_batches_tracked"].Ints, Is.EqualTo(new[] { 3 }));
    }

    [Test]
    public void Package_train_step_updates_parameters_state_and_running_statistics_like_the_trainer()
    {
        var trainer = BnCnn.CreateTrainer(4, seed: 6);
        using var ev = Evaluator.FromSpec(trainer.BuildPackage());
        var state = new Dictionary<string, MilTensor>();
        foreach (var t in trainer.Parameters.Concat(trainer.OptimizerState)) state[t.MilName] = TestUtil.Mil(t.Shape, t.Value);
        var counter = trainer.IntegerBuffers.Single();
        state[counter.MilName] = MilTensor.Int32(new[] { 1 }, new[] { 0 });
        var rng = new Rng(7);
        for (int step = 0; step < 3; step++)
        {
            var x = Images(rng, 4); var y = Classes(rng, 4);
            var feed = new Dictionary<string, MilTensor>(state)
            {
                ["x"] = TestUtil.Mil(x), ["y"] = TestUtil.Mil(y),
                ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { trainer.LearningRate }),
                ["step"] = MilTensor.Int32(new[] { 1 }, new[] { step }),
            };
            var outputs = ev.Run("train_step", feed);
            float loss = trainer.Step(x, y);
            Assert.That(Math.Abs(outputs[0].Value.Floats![0] - loss) / loss, Is.LessThanOrEqualTo(1e-5), $"loss at step {step}");
            foreach (var t in trainer.Parameters.Where(p => p.Trainable || p.IsBuffer).Concat(trainer.OptimizerState))
            {
                var v = outputs.Single(o => o.Key == TrainingNames.Updated(t.MilName)).Value.Floats!;
                Assert.That(TestUtil.RelativeError(v, t.Value), Is.LessThanOrEqualTo(1e-5), $"{t.Name} after step {step}");
                state[t.MilName] = TestUtil.Mil(t.Shape, v);
            }
            var counted = outputs.Single(o => o.Key == TrainingNames.Updated(counter.MilName)).Value;
            Assert.That((counted.DType, counted.Ints![0], counter.Value[0]), Is.EqualTo((MilDType.Int32, step + 1, (long)(step + 1))), "num_batches_tracked counts the step in both");
            state[counter.MilName] = counted;
        }
        // main uses the running statistics, as Predict does
        var probe = Images(rng, 4);
        var main = ev.Run("main", new Dictionary<string, MilTensor> { ["x"] = TestUtil.Mil(probe) });
        using var trained = Evaluator.FromSpec(trainer.BuildPackage());
        var fresh = trained.Run("main", new Dictionary<string, MilTensor> { ["x"] = TestUtil.Mil(probe) });
        Assert.That(TestUtil.RelativeError(fresh[0].Value.Floats!, trainer.Predict(probe).Data), Is.LessThanOrEqualTo(1e-5), "main (eval mode) equals Predict");
        var manifest = TrainingManifest.FromJson(trained.Metadata[TrainingManifest.MetadataKey]);
        Assert.That(manifest.Parameters.Single(q => q.Name == "norm.running_var").Buffer, Is.True);
        Assert.That(manifest.Functions["train_step"].Outputs.Single(o => o.Name == "norm_running_var_new").Role, Is.EqualTo("updated_buffer"));
        var tracked = manifest.Parameters.Single(q => q.Name == "norm.num_batches_tracked");
        Assert.That((tracked.Input, tracked.DType, tracked.Buffer, tracked.Updated), Is.EqualTo(("norm_num_batches_tracked", "int32", true, "norm_num_batches_tracked_new")));
        Assert.That(manifest.Functions["train_step"].Inputs.Single(o => o.Name == "norm_num_batches_tracked").Role, Is.EqualTo("buffer"));
        Assert.That(manifest.Functions["init"].Outputs.Select(o => o.Name), Does.Contain("norm_num_batches_tracked"));
        _ = main;
    }
}

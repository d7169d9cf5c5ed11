using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Benchmarks.Models;
using TrainingGen.CoreML.Mil;
using static TrainingGen.Tests.OpReference;

namespace TrainingGen.Tests;

/// <summary>Whole-model checks of the benchmark models (benchmarks.md).</summary>
public class BenchmarkModelTests
{
    [SetUp] public void Seed() => ParameterInit.ManualSeed(20261129);

    private static Tensor Images(Rng rng, params int[] shape) => TestUtil.RandomTensor(rng, shape);

    private static Tensor Classes(Rng rng, int n, int classes)
    {
        var t = new Tensor(n);
        for (int i = 0; i < n; i++) t.Data[i] = (int)(rng.NextDouble() * classes);
        return t;
    }

    /// <summary>
    /// The generated forward equals an independent float64 reference (naive loops in
    /// <see cref="OpReference"/>, not the runtime's kernels) and the eager Forward run as plain C#
    /// on the same parameters (the user's reference path, which shares the kernels).
    /// </summary>
    private static void ForwardMatchesReferenceAndEager(ITrainer trainer, Action<ITrainer> copyFromEager, Func<(Tensor Loss, Tensor Logits)> eager,
        Func<double[][], double[], double[]> referenceLogits, IReadOnlyList<Tensor> inputs)
    {
        copyFromEager(trainer);
        var (loss, logits) = eager();
        float l = trainer.Evaluate(inputs);
        var pred = trainer.Predict(inputs.Take(trainer.FeatureNames.Count).ToList())[0];

        var p = trainer.Parameters.Select(q => TestUtil.ToDouble(q.Value)).ToArray();
        var refLogits = referenceLogits(p, TestUtil.ToDouble(inputs[0].Data));
        int classes = pred.Shape[^1];
        double refLoss = CrossEntropyRef(refLogits, TestUtil.ToDouble(inputs[1].Data), classes, 0);
        Assert.That(TestUtil.RelativeError(TestUtil.ToDouble(pred.Data), refLogits), Is.LessThanOrEqualTo(1e-5), "logits vs float64 reference");
        Assert.That(Math.Abs(l - refLoss) / Math.Abs(refLoss), Is.LessThanOrEqualTo(1e-5), "loss vs float64 reference");

        Assert.That(TestUtil.RelativeError(pred.Data, logits.Data), Is.LessThanOrEqualTo(1e-5), "logits vs eager");
        Assert.That(Math.Abs(l - loss.ToScalar()) / Math.Abs(loss.ToScalar()), Is.LessThanOrEqualTo(1e-5), "loss vs eager");
    }

    /// <summary>A stack of Linear layers with ReLU between them, in float64 (parameters as weight, bias pairs).</summary>
    private static double[] DenseStackRef(double[][] p, double[] x, params int[] features)
    {
        int n = x.Length / features[0];
        var h = x;
        for (int layer = 0; layer + 1 < features.Length; layer++)
        {
            h = DenseRef(h, p[2 * layer], p[2 * layer + 1], n, features[layer], features[layer + 1]);
            if (layer + 2 < features.Length) h = Map(h, v => Math.Max(v, 0));
        }
        return h;
    }

    /// <summary>The package's train_step on the interpreter follows the trainer step by step.</summary>
    private static void TrainStepMatchesInterpreter(ITrainer trainer, Func<Rng, IReadOnlyList<Tensor>> batch, int steps)
    {
        using var ev = Evaluator.FromSpec(trainer.BuildPackage());
        var state = new Dictionary<string, MilTensor>();
        foreach (var p in trainer.Parameters) state[p.MilName] = TestUtil.Mil(p.Shape, p.Value);
        foreach (var s in trainer.OptimizerState) state[s.MilName] = TestUtil.Mil(s.Shape, s.Value);
        var rng = new Rng(99);
        for (int step = 0; step < steps; step++)
        {
            var inputs = batch(rng);
            var feed = new Dictionary<string, MilTensor>(state)
            {
                ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { trainer.LearningRate }),
                ["step"] = MilTensor.Int32(new[] { 1 }, new[] { (int)trainer.StepCount }),
            };
            for (int k = 0; k < inputs.Count; k++) feed[trainer.InputNames[k]] = TestUtil.Mil(inputs[k]);
            var outputs = ev.Run("train_step", feed);
            float loss = trainer.Step(inputs);
            Assert.That(Math.Abs(outputs[0].Value.Floats![0] - loss) / Math.Abs(loss), Is.LessThanOrEqualTo(1e-5), $"loss at step {step}");
            foreach (var t in trainer.Parameters.Where(p => p.Trainable).Concat(trainer.OptimizerState))
            {
                var updated = outputs.Single(o => o.Key == TrainingNames.Updated(t.MilName)).Value.Floats!;
                Assert.That(TestUtil.RelativeError(updated, t.Value), Is.LessThanOrEqualTo(1e-5), $"{t.Name} after step {step}");
                state[t.MilName] = TestUtil.Mil(t.Shape, updated);
            }
        }
    }

    /// <summary>Steps after warm-up allocate nothing (GEMM packing buffers, scratch and all).</summary>
    private static void AssertStepsAllocateNothing(ITrainer trainer, IReadOnlyList<Tensor> inputs)
    {
        for (int i = 0; i < 3; i++) trainer.Step(inputs);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) trainer.Step(inputs);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0), "bytes allocated by 10 steps");
    }

    [TestCase(1)]
    [TestCase(5)]
    public void Main_accepts_any_batch_size_and_is_described_with_a_shape_range(int batch)
    {
        var rng = new Rng(13);
        var trainer = Cnn.CreateTrainer(3, seed: 1);                // packages are built at batch 3...
        var other = Cnn.CreateTrainer(batch, seed: 1);              // ...and run at another batch
        using var ev = Evaluator.FromSpec(trainer.BuildInferencePackage());
        var x = Images(rng, batch, 1, 28, 28);
        var outputs = ev.Run("main", new Dictionary<string, MilTensor> { ["x"] = TestUtil.Mil(x) });
        Assert.That(outputs[0].Value.Shape, Is.EqualTo(new[] { batch, 10 }));
        Assert.That(TestUtil.RelativeError(outputs[0].Value.Floats!, other.Predict(x).Data), Is.LessThanOrEqualTo(1e-5));
        var input = ev.Describe("main").Inputs.Single();
        Assert.That(input.ShapeRanges, Is.EqualTo(new[] { (1L, -1L), (1L, 1L), (28L, 28L), (28L, 28L) }));
        Assert.That(input.Shape, Is.EqualTo(new long[] { 1, 1, 28, 28 }), "the default shape lies inside the ranges");
    }

    [Test]
    public void Benchmark_models_train_without_allocating()
    {
        var rng = new Rng(12);
        AssertStepsAllocateNothing(Mlp.CreateTrainer(16), new[] { Images(rng, 16, 784), Classes(rng, 16, 10) });
        AssertStepsAllocateNothing(MlpBig.CreateTrainer(4), new[] { Images(rng, 4, 1024), Classes(rng, 4, 10) });
        AssertStepsAllocateNothing(Cnn.CreateTrainer(8), new[] { Images(rng, 8, 1, 28, 28), Classes(rng, 8, 10) });
        AssertStepsAllocateNothing(Head.CreateTrainer(16), new[] { Images(rng, 16, 512), Classes(rng, 16, 10) });
    }

    [Test]
    public void Mlp_forward_matches_eager_and_package_follows_trainer()
    {
        var rng = new Rng(1);
        var model = new Mlp();
        var trainer = Mlp.CreateTrainer(8, seed: 1);
        var x = Images(rng, 8, 784); var y = Classes(rng, 8, 10);
        ForwardMatchesReferenceAndEager(trainer, t => ((Mlp.Trainer)t).CopyFrom(model), () => model.Forward(x, y),
            (p, xd) => DenseStackRef(p, xd, 784, 256, 10), new[] { x, y });
        TrainStepMatchesInterpreter(trainer, r => new[] { Images(r, 8, 784), Classes(r, 8, 10) }, 3);
    }

    [Test]
    public void MlpBig_with_adam_package_follows_trainer()
    {
        var rng = new Rng(2);
        var model = new MlpBig();
        var trainer = MlpBig.CreateTrainer(4, seed: 2);
        var x = Images(rng, 4, 1024); var y = Classes(rng, 4, 10);
        ForwardMatchesReferenceAndEager(trainer, t => ((MlpBig.Trainer)t).CopyFrom(model), () => model.Forward(x, y),
            (p, xd) => DenseStackRef(p, xd, 1024, 1024, 1024, 10), new[] { x, y });
        Assert.That(trainer.Optimizer.Kind, Is.EqualTo("adam"));
        TrainStepMatchesInterpreter(trainer, r => new[] { Images(r, 4, 1024), Classes(r, 4, 10) }, 2);
    }

    [Test]
    public void Cnn_forward_matches_eager_and_package_follows_trainer()
    {
        var rng = new Rng(3);
        var model = new Cnn();
        var trainer = Cnn.CreateTrainer(3, seed: 3);
        var x = Images(rng, 3, 1, 28, 28); var y = Classes(rng, 3, 10);
        ForwardMatchesReferenceAndEager(trainer, t => ((Cnn.Trainer)t).CopyFrom(model), () => model.Forward(x, y),
            (p, xd) => LeNetLogits(p, xd, 3), new[] { x, y });
        TrainStepMatchesInterpreter(trainer, r => new[] { Images(r, 3, 1, 28, 28), Classes(r, 3, 10) }, 2);
    }

    [Test]
    public void Cnn_gradients_match_float64_finite_differences_through_the_whole_network()
    {
        var rng = new Rng(4);
        var trainer = Cnn.CreateTrainer(2, seed: 4);
        var x = Images(rng, 2, 1, 28, 28); var y = Classes(rng, 2, 10);
        trainer.ComputeGradients(x, y);
        var p = trainer.Parameters.Select(q => TestUtil.ToDouble(q.Value)).ToArray();
        var xd = TestUtil.ToDouble(x.Data); var yd = TestUtil.ToDouble(y.Data);
        double Loss() => LeNetLoss(p, xd, yd, 2);
        // 12 sampled coordinates of every parameter tensor (a full sweep is 44k forward passes).
        for (int t = 0; t < p.Length; t++)
        {
            var idx = Enumerable.Range(0, 12).Select(_ => (int)(rng.NextDouble() * p[t].Length)).Distinct().ToArray();
            var fd = idx.Select(i =>
            {
                double keep = p[t][i], eps = 1e-5;
                p[t][i] = keep + eps; double up = Loss();
                p[t][i] = keep - eps; double down = Loss();
                p[t][i] = keep;
                return (up - down) / (2 * eps);
            }).ToArray();
            var g = idx.Select(i => (double)trainer.Parameters[t].Gradient![i]).ToArray();
            double scale = Math.Max(TestUtil.ToDouble(trainer.Parameters[t].Gradient!).Select(Math.Abs).Max(), 1e-8);
            for (int k = 0; k < idx.Length; k++)
                Assert.That(Math.Abs(g[k] - fd[k]) / scale, Is.LessThanOrEqualTo(1e-4), $"{trainer.Parameters[t].Name}[{idx[k]}]: {g[k]} vs {fd[k]}");
        }
    }

    /// <summary>LeNet + cross-entropy in float64 from the op references.</summary>
    private static double LeNetLoss(double[][] p, double[] x, double[] y, int n) => CrossEntropyRef(LeNetLogits(p, x, n), y, 10, 0);

    /// <summary>LeNet's logits in float64 from the op references.</summary>
    private static double[] LeNetLogits(double[][] p, double[] x, int n)
    {
        double[] Relu(double[] a) => Map(a, v => Math.Max(v, 0));
        var h = PoolRef(Relu(Conv2dRef(x, p[0], p[1], n, 1, 28, 28, 6, 5, 1, 0, 1)), n * 6, 24, 24, 2, max: true);
        h = PoolRef(Relu(Conv2dRef(h, p[2], p[3], n, 6, 12, 12, 16, 5, 1, 0, 1)), n * 16, 8, 8, 2, max: true);
        return DenseStackRef(new[] { p[4], p[5], p[6], p[7], p[8], p[9] }, h, 256, 120, 84, 10);
    }

    [Test]
    public void Head_with_a_frozen_backbone_has_no_gradient_or_state_for_it()
    {
        var rng = new Rng(5);
        var trainer = Head.CreateTrainer(4, seed: 5);
        Assert.That(trainer.Parameters.Select(p => (p.Name, p.Trainable, HasGradient: p.Gradient is not null)), Is.EqualTo(new[]
        {
            ("backbone.weight", false, false), ("backbone.bias", false, false), ("classifier.weight", true, true), ("classifier.bias", true, true),
        }));
        var frozen = trainer.Parameters[0].Value.ToArray();
        var x = Images(rng, 4, 512); var y = Classes(rng, 4, 10);
        trainer.Step(x, y);
        Assert.That(trainer.Parameters[0].Value, Is.EqualTo(frozen), "the frozen backbone does not move");

        var spec = trainer.BuildPackage();
        var backward = TrainingPackage.Describe(spec.Program.Function("backward"));
        Assert.That(backward.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "loss", "classifier_weight_grad", "classifier_bias_grad" }));
        // No backward work for the backbone: no op in backward computes a gradient of its input or weight.
        var ops = spec.Program.Function("backward").Operations.Count;
        var forwardOps = spec.Program.Function("forward").Operations.Count;
        Assert.That(ops - forwardOps, Is.LessThan(30), "backward adds only the head's gradient ops");
        TrainStepMatchesInterpreter(trainer, r => new[] { Images(r, 4, 512), Classes(r, 4, 10) }, 2);
    }
}

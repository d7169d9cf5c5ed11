using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;
using TrainingGen.Tests.Models.Transformer;
using static TrainingGen.Tests.OpReference;

namespace TrainingGen.Tests;

/// <summary>The 2-layer transformer encoder classifier, checked as a whole.</summary>
public class TransformerTests
{
    [SetUp] public void Seed() => ParameterInit.ManualSeed(11);

    private static Tensor Tokens(Rng rng, int n) { var t = new Tensor(n, 6); for (int i = 0; i < t.Count; i++) t.Data[i] = (int)(rng.NextDouble() * 20); return t; }
    private static Tensor Labels(Rng rng, int n) { var t = new Tensor(n); for (int i = 0; i < n; i++) t.Data[i] = (int)(rng.NextDouble() * 4); return t; }

    [Test]
    public void Parameters_follow_state_dict_order()
    {
        var t = TransformerClassifier.CreateTrainer(2);
        Assert.That(t.Parameters.Select(p => p.Name).Take(6), Is.EqualTo(new[]
            { "tokens.weight", "positions", "layer_1.norm_1.weight", "layer_1.norm_1.bias", "layer_1.query.weight", "layer_1.query.bias" }));
        Assert.That(t.Parameters.Count, Is.EqualTo(2 + 2 * 15 + 2 + 2));
        Assert.That(t.Parameters.Select(p => p.Name), Has.None.EqualTo("layer_1.key.bias"));
        Assert.That(t.Parameters.Single(p => p.Name == "layer_1.norm_1.weight").Value, Is.All.EqualTo(1f), "LayerNorm weight starts at 1");
    }

    [Test]
    public void Generated_forward_matches_eager()
    {
        var rng = new Rng(1);
        var model = new TransformerClassifier();
        var trainer = TransformerClassifier.CreateTrainer(3);
        trainer.CopyFrom(model);
        var x = Tokens(rng, 3); var y = Labels(rng, 3);
        var (loss, logits) = model.Forward(x, y);
        float l = trainer.Evaluate(x, y);
        Assert.That(TestUtil.RelativeError(trainer.Logits.Data, logits.Data), Is.LessThanOrEqualTo(1e-5));
        Assert.That(Math.Abs(l - loss.ToScalar()) / loss.ToScalar(), Is.LessThanOrEqualTo(1e-5));
        // And against the independent float64 reference (naive loops, not the runtime's kernels).
        double reference = Reference(trainer.Parameters.Select(p => TestUtil.ToDouble(p.Value)).ToArray(),
            trainer.Parameters.Select(p => p.Name).ToArray(), TestUtil.ToDouble(x.Data), TestUtil.ToDouble(y.Data), 3);
        Assert.That(Math.Abs(l - reference) / reference, Is.LessThanOrEqualTo(1e-5), "loss vs float64 reference");
    }

    [Test]
    public void Gradients_match_float64_finite_differences()
    {
        var rng = new Rng(2);
        var trainer = TransformerClassifier.CreateTrainer(2, seed: 3);
        // Non-trivial norms: perturb LayerNorm weights/biases away from 1/0.
        foreach (var p in trainer.Parameters.Where(p => p.Name.Contains("norm")))
            for (int i = 0; i < p.Value.Length; i++) p.Value[i] += (float)(0.3 * rng.NextGaussian());
        var x = Tokens(rng, 2); var y = Labels(rng, 2);
        trainer.ComputeGradients(x, y);
        var p64 = trainer.Parameters.Select(p => TestUtil.ToDouble(p.Value)).ToArray();
        var names = trainer.Parameters.Select(p => p.Name).ToArray();
        double Loss() => Reference(p64, names, TestUtil.ToDouble(x.Data), TestUtil.ToDouble(y.Data), 2);
        Assert.That(Math.Abs(trainer.Loss - Loss()) / Loss(), Is.LessThanOrEqualTo(1e-5), "loss");
        // Errors are measured against the model's gradient scale: some gradients are exactly zero in
        // exact arithmetic (a key bias shifts every score of a row equally; softmax ignores it), and
        // float32 leaves ~1e-10 of rounding there.
        double modelScale = trainer.Parameters.Max(q => q.Gradient!.Max(v => Math.Abs((double)v)));
        for (int t = 0; t < p64.Length; t++)
        {
            var g = trainer.Parameters[t].Gradient!;
            double scale = Math.Max(g.Select(v => Math.Abs((double)v)).Max(), 1e-3 * modelScale);
            var idx = Enumerable.Range(0, 6).Select(_ => (int)(rng.NextDouble() * p64[t].Length)).Distinct();
            foreach (int i in idx)
            {
                double keep = p64[t][i], eps = 1e-5;
                p64[t][i] = keep + eps; double up = Loss();
                p64[t][i] = keep - eps; double down = Loss();
                p64[t][i] = keep;
                double fd = (up - down) / (2 * eps);
                Assert.That(Math.Abs(g[i] - fd) / scale, Is.LessThanOrEqualTo(1e-4), $"{names[t]}[{i}]: {g[i]} vs {fd}");
            }
        }
    }

    [Test]
    public void Package_train_step_follows_the_trainer()
    {
        var trainer = TransformerClassifier.CreateTrainer(2, seed: 4);
        using var ev = Evaluator.FromSpec(trainer.BuildPackage());
        var state = new Dictionary<string, MilTensor>();
        foreach (var t in trainer.Parameters.Concat(trainer.OptimizerState)) state[t.MilName] = TestUtil.Mil(t.Shape, t.Value);
        var rng = new Rng(5);
        for (int step = 0; step < 3; step++)
        {
            var x = Tokens(rng, 2); var y = Labels(rng, 2);
            var feed = new Dictionary<string, MilTensor>(state)
            {
                ["tokens"] = TestUtil.Mil(x), ["label"] = TestUtil.Mil(y),
                ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { trainer.LearningRate }),
                ["step"] = MilTensor.Int32(new[] { 1 }, new[] { step }),
            };
            var outputs = ev.Run("train_step", feed);
            float loss = trainer.Step(x, y);
            Assert.That(Math.Abs(outputs[0].Value.Floats![0] - loss) / loss, Is.LessThanOrEqualTo(1e-5), $"loss at step {step}");
            var updated = trainer.Parameters.Concat(trainer.OptimizerState)
                .Select(t => (t, v: outputs.Single(o => o.Key == TrainingNames.Updated(t.MilName)).Value.Floats!)).ToList();
            double err = TestUtil.RelativeError(updated.SelectMany(u => TestUtil.ToDouble(u.v)).ToArray(),
                updated.SelectMany(u => TestUtil.ToDouble(u.t.Value)).ToArray());
            string worst = string.Join("; ", updated.Select(u => (u.t.Name, e: TestUtil.RelativeError(u.v, u.t.Value))).OrderByDescending(z => z.e).Take(4).Select(z => $"{z.Name} {z.e:E1}"));
            Assert.That(err, Is.LessThanOrEqualTo(1e-5), $"parameters and state after step {step}; worst tensors: {worst}");
            foreach (var (t, v) in updated) state[t.MilName] = TestUtil.Mil(t.Shape, v);
        }
    }

    /// <summary>The classifier's loss in float64, written from the architecture.</summary>
    private static double Reference(double[][] p, string[] names, double[] tokens, double[] labels, int n)
    {
        double[] P(string name) => p[Array.IndexOf(names, name)];
        double[]? Optional(string name) => Array.IndexOf(names, name) is var i and >= 0 ? p[i] : null;
        const int T = 6, D = 16;
        var x = new double[n * T * D];
        for (int i = 0; i < n * T; i++)
            for (int d = 0; d < D; d++) x[i * D + d] = P("tokens.weight")[(int)tokens[i] * D + d] + P("positions")[(i % T) * D + d];
        foreach (var layer in new[] { "layer_1", "layer_2" })
        {
            double[] L(string s) => P($"{layer}.{s}");
            var h = LayerNormRef(x, L("norm_1.weight"), L("norm_1.bias"), D, 1e-5);
            var q = DenseRef(h, L("query.weight"), L("query.bias"), n * T, D, D);
            var k = DenseRef(h, L("key.weight"), Optional($"{layer}.key.bias"), n * T, D, D);
            var v = DenseRef(h, L("value.weight"), L("value.bias"), n * T, D, D);
            var merged = new double[n * T * D];
            for (int b = 0; b < n; b++)
                for (int head = 0; head < 2; head++)
                {
                    var scores = new double[T * T];
                    for (int i = 0; i < T; i++)
                        for (int j = 0; j < T; j++)
                        {
                            double s = 0;
                            for (int e = 0; e < 8; e++) s += q[(b * T + i) * D + head * 8 + e] * k[(b * T + j) * D + head * 8 + e];
                            scores[i * T + j] = s * 0.35355339f;
                        }
                    var attn = SoftmaxRows(scores, T, log: false);
                    for (int i = 0; i < T; i++)
                        for (int e = 0; e < 8; e++)
                        {
                            double s = 0;
                            for (int j = 0; j < T; j++) s += attn[i * T + j] * v[(b * T + j) * D + head * 8 + e];
                            merged[(b * T + i) * D + head * 8 + e] = s;
                        }
                }
            var o = DenseRef(merged, L("output.weight"), L("output.bias"), n * T, D, D);
            for (int i = 0; i < x.Length; i++) x[i] += o[i];
            var up = DenseRef(LayerNormRef(x, L("norm_2.weight"), L("norm_2.bias"), D, 1e-5), L("up.weight"), L("up.bias"), n * T, D, 32);
            var gelu = up.Select(u => 0.5 * u * (1 + Erf(u / Math.Sqrt(2)))).ToArray();
            var down = DenseRef(gelu, L("down.weight"), L("down.bias"), n * T, 32, D);
            for (int i = 0; i < x.Length; i++) x[i] += down[i];
        }
        var normed = LayerNormRef(x, P("norm.weight"), P("norm.bias"), D, 1e-5);
        var pooled = new double[n * D];
        for (int b = 0; b < n; b++)
            for (int d = 0; d < D; d++) { double s = 0; for (int t = 0; t < T; t++) s += normed[(b * T + t) * D + d]; pooled[b * D + d] = s / T; }
        return CrossEntropyRef(DenseRef(pooled, P("head.weight"), P("head.bias"), n, D, 4), labels, 4, 0);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;
using TrainingGen.Tests.Models.OpChecks;
using static TrainingGen.Tests.OpReference;

namespace TrainingGen.Tests;

/// <summary>
/// Every op's VJP, as generated, against float64 central finite differences of an independent
/// float64 reference of the op (<see cref="OpReference"/>); and the exported package's
/// <c>backward</c>, run by the MIL interpreter, against the trainer's gradients.
/// </summary>
public class OpGradientTests
{
    /// <summary>Loss in float64 from the parameters (state_dict order) and the inputs.</summary>
    private delegate double LossFn(double[][] p, double[][] inputs);

    private static void Check(ITrainer t, LossFn reference, ulong seed, Func<Rng, int[], Tensor>? makeInput = null, bool positiveOnly = false)
    {
        var rng = new Rng(seed);
        // Parameters at fresh random values (away from relu's kink: |a| ≥ 0.05).
        foreach (var p in t.Parameters)
            for (int i = 0; i < p.Value.Length; i++)
            {
                double v = rng.NextGaussian();
                if (Math.Abs(v) < 0.05) v = 0.05 * Math.Sign(v == 0 ? 1 : v);
                p.Value[i] = (float)(positiveOnly ? Math.Abs(v) : v);
            }
        var inputs = t.InputNames.Select((_, k) => (makeInput ?? ((r, s) => TestUtil.RandomTensor(r, s)))(rng, InputShape(t, k))).ToList();

        float loss = t.ComputeGradients(inputs);

        var pd = t.Parameters.Select(p => TestUtil.ToDouble(p.Value)).ToArray();
        var id = inputs.Select(x => TestUtil.ToDouble(x.Data)).ToArray();
        double refLoss = reference(pd, id);
        Assert.That(Math.Abs(loss - refLoss), Is.LessThanOrEqualTo(1e-5 * Math.Max(1, Math.Abs(refLoss))), $"loss {loss} vs reference {refLoss}");
        for (int k = 0; k < pd.Length; k++)
        {
            var fd = new double[pd[k].Length];
            for (int i = 0; i < fd.Length; i++)
            {
                double keep = pd[k][i], eps = 1e-6 * Math.Max(1, Math.Abs(keep));
                pd[k][i] = keep + eps; double up = reference(pd, id);
                pd[k][i] = keep - eps; double down = reference(pd, id);
                pd[k][i] = keep;
                fd[i] = (up - down) / (2 * eps);
            }
            double err = TestUtil.RelativeError(TestUtil.ToDouble(t.Parameters[k].Gradient!), fd);
            Assert.That(err, Is.LessThanOrEqualTo(1e-4), $"{t.Parameters[k].Name}: relative error {err:E2} against finite differences");
        }
        CheckPackageBackward(t, inputs);
    }

    private static int[] InputShape(ITrainer t, int k)
    {
        // The package's description knows every input's shape.
        var f = TrainingPackage.Describe(t.BuildPackage().Program.Function("forward"));
        return f.Inputs.Single(i => i.Name == t.InputNames[k]).Shape.Select(d => (int)d).ToArray();
    }

    /// <summary>The package's backward, run by the interpreter, equals the trainer's gradients.</summary>
    private static void CheckPackageBackward(ITrainer t, IReadOnlyList<Tensor> inputs)
    {
        using var ev = Evaluator.FromSpec(t.BuildPackage());
        var feed = new Dictionary<string, MilTensor>();
        for (int k = 0; k < inputs.Count; k++) feed[t.InputNames[k]] = TestUtil.Mil(inputs[k]);
        foreach (var p in t.Parameters) feed[p.MilName] = TestUtil.Mil(p.Shape, p.Value);
        var outputs = ev.Run("backward", feed);
        float loss = t.ComputeGradients(inputs);
        Assert.That(Math.Abs(outputs[0].Value.Floats![0] - loss), Is.LessThanOrEqualTo(1e-5 * Math.Max(1, Math.Abs(loss))), "package loss");
        foreach (var p in t.Parameters)
        {
            var g = outputs.Single(o => o.Key == TrainingNames.Gradient(p.MilName)).Value.Floats!;
            Assert.That(TestUtil.RelativeError(g, p.Gradient!), Is.LessThanOrEqualTo(1e-5), $"package gradient of {p.Name}");
        }
    }

    private static double Project(double[] y, double[] w) { double s = 0; for (int i = 0; i < y.Length; i++) s += y[i] * w[i]; return s; }

    [Test] public void Relu() => Check(ReluCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], v => Math.Max(v, 0)), x[0]), 1);
    [Test] public void Sigmoid() => Check(SigmoidCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], Sig), x[0]), 2);
    [Test] public void Tanh() => Check(TanhCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], Math.Tanh), x[0]), 3);
    [Test] public void Exp_sigmoid_log() => Check(ExpLogCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], v => Math.Log(Sig(Math.Exp(v)) + 0.5)), x[0]), 4);
    [Test] public void Sqrt() => Check(SqrtCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], v => Math.Sqrt(v * v + 1)), x[0]), 5);
    [Test] public void Silu() => Check(SiluCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], v => v * Sig(v)), x[0]), 6);
    [Test] public void LeakyRelu() => Check(LeakyReluCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], v => v > 0 ? v : 0.2 * v), x[0]), 7);
    [Test] public void Gelu_exact() => Check(GeluCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)))), x[0]), 8);
    [Test] public void Gelu_tanh() => Check(GeluTanhCheck.CreateTrainer(1),
        (p, x) => Project(Map(p[0], v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))), x[0]), 9);
    [Test] public void Softmax_last_axis() => Check(SoftmaxCheck.CreateTrainer(1), (p, x) => Project(SoftmaxRows(p[0], 4, log: false), x[0]), 10);
    [Test] public void LogSoftmax_last_axis() => Check(LogSoftmaxCheck.CreateTrainer(1), (p, x) => Project(SoftmaxRows(p[0], 5, log: true), x[0]), 11);

    /// <summary>torch's softplus (β = 1, threshold 20), from its definition.</summary>
    private static double SoftplusRef(double v) => v > 20 ? v : Math.Log(1 + Math.Exp(v));

    [Test] public void Softplus() => CheckWithTrainStep(SoftplusCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], v => SoftplusRef(8 * v)), x[0]), 32);
    [Test] public void Mish() => CheckWithTrainStep(MishCheck.CreateTrainer(1), (p, x) => Project(Map(p[0], v => 3 * v * Math.Tanh(Math.Log(1 + Math.Exp(3 * v)))), x[0]), 33);

    [Test]
    public void Softplus_and_mish_kernels_in_the_tails_and_at_torchs_threshold()
    {
        var x = new[] { -100f, -30f, -5f, -0.5f, 0f, 1.5f, 19.5f, 20f, 20.5f, 100f };
        // log(1 + u) = u − u²/2 + u³/3 − … for u = e^v small enough that 1 + u loses its digits
        double SpExact(double v) { double u = Math.Exp(v); return v < -15 ? u * (1 - u / 2 + u * u / 3) : Math.Log(1 + u); }
        double Sp(double v) => v > 20 ? v : SpExact(v); // mish has no threshold; softplus has
        var input = new Tensor(x.Length);
        x.CopyTo(input.Data, 0);
        var y = Ops.Softplus(input).Data;
        var m = Ops.Mish(input).Data;
        var g = Enumerable.Repeat(1f, x.Length).ToArray();
        var dy = new float[x.Length]; var dm = new float[x.Length];
        Kernels.Unary.SoftplusBackward(g, x, dy);
        Kernels.Unary.MishBackward(g, x, dm);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i], t = Math.Tanh(SpExact(v));
            Assert.That(y[i], Is.EqualTo(Sp(v)).Within(2e-5).Percent.Or.EqualTo(Sp(v)).Within(1e-44), $"softplus({v})");
            Assert.That(dy[i], Is.EqualTo(v > 20 ? 1 : Sig(v)).Within(2e-5).Percent.Or.EqualTo(Sig(v)).Within(1e-44), $"softplus'({v})");
            Assert.That(m[i], Is.EqualTo(v * t).Within(2e-5).Percent.Or.EqualTo(v * t).Within(1e-44), $"mish({v})");
            Assert.That(dm[i], Is.EqualTo(t + v * Sig(v) * (1 - t * t)).Within(2e-5).Percent.Or.EqualTo(0).Within(1e-40), $"mish'({v})");
        }
    }

    /// <summary><see cref="Check"/>, then one <c>train_step</c> of the package, run by the interpreter, against the trainer's Step.</summary>
    private static void CheckWithTrainStep(ITrainer t, LossFn reference, ulong seed)
    {
        Check(t, reference, seed);
        var rng = new Rng(seed + 100);
        var inputs = t.InputNames.Select((_, k) => TestUtil.RandomTensor(rng, InputShape(t, k))).ToList();
        using var ev = Evaluator.FromSpec(t.BuildPackage());
        var feed = new Dictionary<string, MilTensor>
        {
            ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { t.LearningRate }),
            ["step"] = MilTensor.Int32(new[] { 1 }, new[] { 0 }),
        };
        for (int k = 0; k < inputs.Count; k++) feed[t.InputNames[k]] = TestUtil.Mil(inputs[k]);
        foreach (var p in t.Parameters.Concat(t.OptimizerState)) feed[p.MilName] = TestUtil.Mil(p.Shape, p.Value);
        var outputs = ev.Run("train_step", feed);
        float loss = t.Step(inputs);
        Assert.That(Math.Abs(outputs[0].Value.Floats![0] - loss), Is.LessThanOrEqualTo(1e-5 * Math.Max(1, Math.Abs(loss))), "train_step loss");
        foreach (var p in t.Parameters)
        {
            var updated = outputs.Single(o => o.Key == TrainingNames.Updated(p.MilName)).Value.Floats!;
            Assert.That(TestUtil.RelativeError(updated, p.Value), Is.LessThanOrEqualTo(1e-5), $"train_step update of {p.Name}");
        }
    }

    internal static Tensor Labels(Rng rng, int[] shape, int classes)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Count; i++) t.Data[i] = (int)(rng.NextDouble() * classes);
        return t;
    }

    [Test] public void CrossEntropy() => Check(CrossEntropyCheck.CreateTrainer(1), (p, x) => CrossEntropyRef(p[0], x[0], 5, 0), 12, (r, s) => Labels(r, s, 5));
    [Test] public void CrossEntropy_with_label_smoothing() =>
        Check(SmoothedCrossEntropyCheck.CreateTrainer(1), (p, x) => CrossEntropyRef(p[0], x[0], 4, 0.1), 13, (r, s) => Labels(r, s, 4));

    [Test]
    public void Broadcast_arithmetic() => Check(BroadcastArithmeticCheck.CreateTrainer(1), (p, x) =>
    {
        var y = new double[12];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
            {
                double a = p[0][i * 4 + j], b = p[1][j], c = p[2][i];
                y[i * 4 + j] = (a + b) * c - a / (c * c + 2);
            }
        return Project(y, x[0]);
    }, 14);

    [Test]
    public void Sum_and_mean_over_an_axis() => Check(ReduceAxisCheck.CreateTrainer(1), (p, x) =>
    {
        var a = p[0]; // [2,3,4]
        double total = 0, all = a.Sum() / a.Length;
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 4; k++) { double s = 0; for (int j = 0; j < 3; j++) s += a[(i * 3 + j) * 4 + k]; total += s * x[0][i * 4 + k]; }
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) { double m = 0; for (int k = 0; k < 4; k++) m += a[(i * 3 + j) * 4 + k]; total += m / 4 * x[1][i * 3 + j]; }
        return total - all;
    }, 15);

    [Test]
    public void Transpose_reshape_flatten() => Check(LayoutCheck.CreateTrainer(1), (p, x) =>
    {
        var a = p[0]; // [2,3,4] → transpose(0,2) → [4,3,2] → reshape [4,6]
        var t = new double[24];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) t[(k * 3 + j) * 2 + i] = a[(i * 3 + j) * 4 + k];
        return Project(t, x[0]) + Project(a.Select(v => v * v).ToArray(), x[1]);
    }, 16);

    [Test]
    public void Batched_matmul_with_a_shared_weight() => Check(MatMulCheck.CreateTrainer(1), (p, x) =>
    {
        var ab = new double[2 * 3 * 5];
        for (int t = 0; t < 2; t++) for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++)
        { double s = 0; for (int k = 0; k < 4; k++) s += p[0][(t * 3 + i) * 4 + k] * p[1][(t * 4 + k) * 5 + j]; ab[(t * 3 + i) * 5 + j] = s; }
        var y = new double[2 * 3 * 2];
        for (int r = 0; r < 6; r++) for (int j = 0; j < 2; j++) { double s = 0; for (int k = 0; k < 5; k++) s += ab[r * 5 + k] * p[2][k * 2 + j]; y[r * 2 + j] = s; }
        return Project(y, x[0]);
    }, 17);

    [Test]
    public void Conv2d_with_stride_and_padding() => Check(ConvCheck.CreateTrainer(1), (p, x) =>
        Project(Conv2dRef(p[0], p[1], p[2], n: 2, ci: 2, h: 7, w_: 7, co: 4, k: 3, stride: 2, pad: 1, groups: 1), x[0]), 19);

    [Test]
    public void Direct_conv_with_fused_relu_and_pool() => Check(DirectConvCheck.CreateTrainer(1), (p, x) =>
    {
        var y = Conv2dRef(p[0], p[1], p[2], n: 2, ci: 3, h: 9, w_: 11, co: 5, k: 3, stride: 1, pad: 1, groups: 1);
        for (int i = 0; i < y.Length; i++) y[i] = Math.Max(y[i], 0);
        return Project(PoolGeneralRef(y, 10, 9, 11, 2, 2, 0, max: true), x[0]);
    }, 41);

    [Test]
    public void Direct_conv_without_bias() => Check(DirectConvNoBiasCheck.CreateTrainer(1), (p, x) =>
        Project(Conv2dRef(p[0], p[1], null, n: 1, ci: 2, h: 6, w_: 12, co: 7, k: 5, stride: 1, pad: 2, groups: 1), x[0]), 42);

    [Test]
    public void Conv2d_grouped_without_bias() => Check(GroupedConvCheck.CreateTrainer(1), (p, x) =>
        Project(Conv2dRef(p[0], p[1], null, n: 1, ci: 4, h: 5, w_: 5, co: 6, k: 3, stride: 1, pad: 0, groups: 2), x[0]), 20);

    [Test]
    public void Conv2d_dilated() => Check(DilatedConvCheck.CreateTrainer(1), (p, x) =>
        Project(Conv2dRef(p[0], p[1], p[2], n: 1, ci: 2, h: 9, w_: 9, co: 3, k: 3, stride: 2, pad: 2, groups: 1, dilation: 2), x[0]), 29);

    [Test]
    public void Max_avg_and_global_pooling() => Check(PoolCheck.CreateTrainer(1), (p, x) =>
        Project(PoolRef(p[0], 6, 5, 5, 2, max: true), x[0]) + Project(PoolRef(p[0], 6, 5, 5, 2, max: false), x[1]) +
        Project(Enumerable.Range(0, 6).Select(c => p[0].Skip(c * 25).Take(25).Average()).ToArray(), x[2]), 21);

    [Test]
    public void LayerNorm_last_axis() => Check(LayerNormCheck.CreateTrainer(1), (p, x) => Project(LayerNormRef(p[0], p[1], p[2], 5, 1e-5), x[0]), 22);

    [Test]
    public void Embedding_lookup() => Check(EmbeddingCheck.CreateTrainer(1), (p, x) =>
    {
        var y = x[0].SelectMany(i => p[0].Skip((int)i * 4).Take(4)).ToArray();
        return Project(y, x[1]);
    }, 23, (r, s) => s.Length == 2 ? Labels(r, s, 7) : TestUtil.RandomTensor(r, s));

    [Test]
    public void Linear_on_rank3_input() => Check(Rank3LinearCheck.CreateTrainer(1), (p, x) => Project(DenseRef(p[0], p[1], p[2], 6, 4, 5), x[0]), 24);

    [Test]
    public void L1_huber_smooth_l1_and_bce_with_logits() => Check(PointwiseLossCheck.CreateTrainer(1), (p, x) =>
    {
        double l1 = 0, huber = 0, smooth = 0, bce = 0;
        for (int i = 0; i < 12; i++)
        {
            double a = p[0][i], t = x[0][i], d = a - t, d2 = 2 * a - t;
            l1 += Math.Abs(d);
            huber += Math.Abs(d2) < 0.5 ? 0.5 * d2 * d2 : 0.5 * (Math.Abs(d2) - 0.25);
            smooth += Math.Abs(d) < 0.7 ? 0.5 * d * d / 0.7 : Math.Abs(d) - 0.35;
            bce += Math.Max(a, 0) - a * t + Math.Log(1 + Math.Exp(-Math.Abs(a)));
        }
        return l1 / 12 + huber / 12 + smooth + bce / 12;
    }, 25);

    [Test]
    public void Nll_with_sum_reduction() => Check(NllCheck.CreateTrainer(1), (p, x) =>
    {
        var logp = SoftmaxRows(p[0], 3, log: true);
        return -Enumerable.Range(0, 4).Sum(r => logp[r * 3 + (int)x[0][r]]);
    }, 26, (r, s) => Labels(r, s, 3));

    [Test]
    public void Concat_then_slice() => Check(ConcatSliceCheck.CreateTrainer(1), (p, x) =>
    {
        var y = new double[8];
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 4; c++) { int col = c + 2; y[r * 4 + c] = col < 3 ? p[0][r * 3 + col] : p[1][r * 5 + col - 3]; }
        return Project(y, x[0]);
    }, 27);

    [Test]
    public void Permute_and_sum_reductions() => Check(PermuteSumLossCheck.CreateTrainer(1), (p, x) =>
    {
        var a = p[0]; // [2,3,4] → permute(2,0,1) → [4,2,3]
        var y = new double[24];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) y[(k * 2 + i) * 3 + j] = a[(i * 3 + j) * 4 + k];
        double mse = y.Select((v, i) => (v - x[0][i]) * (v - x[0][i])).Sum();
        return mse + 8 * CrossEntropyRef(y, new double[8], 3, 0);   // labels are all class 0, summed over 8 rows
    }, 28);

    [Test]
    public void Overlapping_padded_pooling() => Check(OverlappingPoolCheck.CreateTrainer(1), (p, x) =>
        Project(PoolGeneralRef(p[0], 2, 7, 7, 3, 2, 1, max: true), x[0]) + Project(PoolGeneralRef(p[0], 2, 7, 7, 3, 2, 1, max: false), x[1]), 30);

    [Test]
    public void CrossEntropy_sum_over_a_symbolic_batch() => Check(CrossEntropySumCheck.CreateTrainer(5), (p, x) =>
        5 * CrossEntropyRef(DenseRef(x[0], p[0], p[1], 5, 4, 3), x[1], 3, 0.05), 31, (r, s) => s.Length == 1 ? Labels(r, s, 3) : TestUtil.RandomTensor(r, s));

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(7)]
    public void Elementwise_softmax_and_broadcasting_for_several_batch_sizes(int batch) => Check(BatchedOpsCheck.CreateTrainer(batch), (p, x) =>
    {
        var z = DenseRef(x[0], p[0], p[1], batch, 5, 6);
        for (int i = 0; i < z.Length; i++) z[i] += p[2][i % 6];
        var soft = SoftmaxRows(z, 6, log: false); var logSoft = SoftmaxRows(z, 6, log: true);
        double total = 0;
        for (int i = 0; i < z.Length; i++)
        {
            double v = z[i];
            double gelu = 0.5 * v * (1 + Erf(v / Math.Sqrt(2)));
            double y = Math.Max(v, 0) + Sig(v) * Math.Tanh(v) - gelu / (Math.Exp(v) + 1) + soft[i] * v * Sig(v) + (v > 0 ? v : 0.1 * v) - logSoft[i];
            total += y * x[1][i];
        }
        for (int r = 0; r < batch; r++)
        {
            double mean = 0, wsum = 0;
            for (int c = 0; c < 6; c++) { mean += z[r * 6 + c]; wsum += x[1][r * 6 + c]; }
            total += mean / 6 * wsum;
        }
        return total;
    }, (ulong)(40 + batch));

    [Test]
    public void Mse_loss_and_negation() => Check(MseCheck.CreateTrainer(1), (p, x) =>
    {
        double s = 0;
        for (int i = 0; i < 6; i++) { double d = -p[0][i] - x[0][i]; s += d * d; }
        return s / 6;
    }, 18);
}

/// <summary>Float64 reference implementations of ops, written from their definitions.</summary>
internal static class OpReference
{
    public static double[] Map(double[] a, Func<double, double> f) => a.Select(f).ToArray();
    public static double Sig(double v) => 1 / (1 + Math.Exp(-v));

    public static double[] SoftmaxRows(double[] a, int n, bool log)
    {
        var y = new double[a.Length];
        for (int r = 0; r < a.Length / n; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int i = 0; i < n; i++) max = Math.Max(max, a[r * n + i]);
            for (int i = 0; i < n; i++) sum += Math.Exp(a[r * n + i] - max);
            for (int i = 0; i < n; i++)
                y[r * n + i] = log ? a[r * n + i] - max - Math.Log(sum) : Math.Exp(a[r * n + i] - max) / sum;
        }
        return y;
    }

    /// <summary>torch's cross_entropy: mean over rows of −Σ_c target_c·log p_c, target = (1 − ε)·onehot + ε/C.</summary>
    public static double CrossEntropyRef(double[] logits, double[] labels, int classes, double smoothing)
    {
        var logp = SoftmaxRows(logits, classes, log: true);
        double total = 0;
        for (int r = 0; r < labels.Length; r++)
            for (int c = 0; c < classes; c++)
                total -= ((c == (int)labels[r] ? 1 - smoothing : 0) + smoothing / classes) * logp[r * classes + c];
        return total / labels.Length;
    }

    /// <summary>LayerNorm over the last axis (biased variance).</summary>
    public static double[] LayerNormRef(double[] x, double[]? w, double[]? b, int n, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) mean += x[r * n + i];
            mean /= n;
            for (int i = 0; i < n; i++) var += (x[r * n + i] - mean) * (x[r * n + i] - mean);
            var /= n;
            for (int i = 0; i < n; i++) y[r * n + i] = (x[r * n + i] - mean) / Math.Sqrt(var + eps) * (w?[i] ?? 1) + (b?[i] ?? 0);
        }
        return y;
    }

    /// <summary>x·Wᵀ + b over rows.</summary>
    public static double[] DenseRef(double[] x, double[] w, double[]? b, int rows, int inF, int outF)
    {
        var y = new double[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b?[o] ?? 0;
                for (int k = 0; k < inF; k++) s += x[r * inF + k] * w[o * inF + k];
                y[r * outF + o] = s;
            }
        return y;
    }

    /// <summary>Direct 2-D convolution, NCHW, square kernel, symmetric zero padding, groups.</summary>
    public static double[] Conv2dRef(double[] x, double[] w, double[]? b, int n, int ci, int h, int w_, int co, int k, int stride, int pad, int groups, int dilation = 1)
    {
        int span = dilation * (k - 1) + 1;
        int oh = (h + 2 * pad - span) / stride + 1, ow = (w_ + 2 * pad - span) / stride + 1, cig = ci / groups, cog = co / groups;
        var y = new double[n * co * oh * ow];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < co; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double s = b?[o] ?? 0;
                        int g = o / cog;
                        for (int c = 0; c < cig; c++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int iy = oy * stride - pad + ky * dilation, ix = ox * stride - pad + kx * dilation;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w_) continue;
                                    s += x[((i * ci + g * cig + c) * h + iy) * w_ + ix] * w[((o * cig + c) * k + ky) * k + kx];
                                }
                        y[((i * co + o) * oh + oy) * ow + ox] = s;
                    }
        return y;
    }

    /// <summary>k×k pooling with any stride and padding (max ignores padding; avg divides by k², counting it).</summary>
    public static double[] PoolGeneralRef(double[] x, int planes, int h, int w, int k, int stride, int pad, bool max)
    {
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        var y = new double[planes * oh * ow];
        for (int c = 0; c < planes; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    double m = double.NegativeInfinity, s = 0;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                        {
                            int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            double v = x[(c * h + iy) * w + ix];
                            m = Math.Max(m, v); s += v;
                        }
                    y[(c * oh + oy) * ow + ox] = max ? m : s / (k * k);
                }
        return y;
    }

    /// <summary>k×k pooling with stride k, no padding.</summary>
    public static double[] PoolRef(double[] x, int planes, int h, int w, int k, bool max)
    {
        int oh = h / k, ow = w / k;
        var y = new double[planes * oh * ow];
        for (int c = 0; c < planes; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    double m = double.NegativeInfinity, s = 0;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                        {
                            double v = x[(c * h + oy * k + ky) * w + ox * k + kx];
                            m = Math.Max(m, v); s += v;
                        }
                    y[(c * oh + oy) * ow + ox] = max ? m : s / (k * k);
                }
        return y;
    }

    /// <summary>erf by its Maclaurin series (|x| here is small), independent of the runtime's.</summary>
    public static double Erf(double x)
    {
        double term = x, sum = x;
        for (int n = 1; n < 100; n++)
        {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}

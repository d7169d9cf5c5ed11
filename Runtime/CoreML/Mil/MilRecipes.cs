using System;
using System.Linq;

namespace TrainingGen.CoreML.Mil;

/// <summary>
/// Compositions of MIL ops that generated packages use for one IR op (a loss, an activation's
/// derivative). Written once here so every package spells them the same way.
/// </summary>
public static class MilRecipes
{
    /// <summary>log_softmax over the last axis: x − logsumexp(x).</summary>
    public static MilVar LogSoftmax(MilFunctionBuilder b, MilVar x, string? name = null) =>
        b.Sub(x, b.Op("reduce_log_sum_exp", KeepLast(x.Type), null, ("x", x), ("axes", MilTensor.Vector(-1)), ("keep_dims", MilTensor.Scalar(true))), name);

    /// <summary>The smoothed one-hot target (1 − ε)·onehot(labels) + ε/C for fp32 class indices [batch].</summary>
    public static MilVar Target(MilFunctionBuilder b, MilVar labels, int classes, float smoothing)
    {
        var indices = Int32Indices(b, labels);
        var oneHot = b.Op("one_hot", new MilTensorType(MilDType.Float32, new[] { labels.Shape[0], (long)classes }), null,
            ("indices", indices), ("one_hot_vector_size", MilTensor.Scalar(classes)), ("axis", MilTensor.Scalar(-1)),
            ("on_value", MilTensor.Scalar(1f - smoothing + smoothing / classes)), ("off_value", MilTensor.Scalar(smoothing / classes)));
        return oneHot;
    }

    /// <summary>Mean over the batch of −Σ target·log_softmax(logits): torch's cross_entropy with label smoothing.</summary>
    public static MilVar CrossEntropy(MilFunctionBuilder b, MilVar logits, MilVar labels, float smoothing, string? name = null, bool sum = false)
    {
        var logp = LogSoftmax(b, logits);
        var target = Target(b, labels, checked((int)logits.Shape[1]), smoothing);
        var perSample = b.ReduceSum(b.Mul(target, logp), new[] { 1 }, false);
        var reduced = sum ? b.ReduceSum(perSample, new[] { 0 }, false) : b.ReduceMean(perSample, new[] { 0 }, false);
        return b.Mul(reduced, b.Scalar(-1f), name);
    }

    /// <summary>d(cross_entropy)/dlogits = (softmax(logits) − target)·g/batch.</summary>
    public static MilVar CrossEntropyGrad(MilFunctionBuilder b, MilVar g, MilVar logits, MilVar labels, float smoothing, string? name = null, bool sum = false)
    {
        var target = Target(b, labels, checked((int)logits.Shape[1]), smoothing);
        var scale = sum ? g : b.Mul(g, b.Scalar(1f / logits.Shape[0]));
        return b.Mul(b.Sub(b.Softmax(logits, -1), target), scale, name);
    }

    /// <summary>d(x·σ(x))/dx·g = g·σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static MilVar SiluGrad(MilFunctionBuilder b, MilVar g, MilVar x, string? name = null)
    {
        var s = b.Sigmoid(x);
        return b.Mul(b.Mul(g, s), b.Add(b.Scalar(1f), b.Mul(x, b.Sub(b.Scalar(1f), s))), name);
    }

    /// <summary>d gelu(x)/dx = Φ(x) + x·φ(x) = 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π).</summary>
    public static MilVar GeluExactDerivative(MilFunctionBuilder b, MilVar x)
    {
        var cdf = b.Mul(b.Add(b.Scalar(1f), b.Unary("erf", b.Mul(x, b.Scalar((float)(1 / Math.Sqrt(2)))))), b.Scalar(0.5f));
        var pdf = b.Mul(b.Exp(b.Mul(b.Mul(x, x), b.Scalar(-0.5f))), b.Scalar((float)(1 / Math.Sqrt(2 * Math.PI))));
        return b.Add(cdf, b.Mul(x, pdf));
    }

    /// <summary>Derivative of 0.5·x·(1 + tanh(c·(x + 0.044715·x³))), c = √(2/π).</summary>
    public static MilVar GeluTanhDerivative(MilFunctionBuilder b, MilVar x)
    {
        float c = (float)Math.Sqrt(2 / Math.PI);
        var x2 = b.Mul(x, x);
        var u = b.Mul(b.Add(x, b.Mul(b.Mul(x2, x), b.Scalar(0.044715f))), b.Scalar(c));
        var t = b.Tanh(u);
        var du = b.Mul(b.Add(b.Scalar(1f), b.Mul(x2, b.Scalar(3 * 0.044715f))), b.Scalar(c));
        var left = b.Mul(b.Add(b.Scalar(1f), t), b.Scalar(0.5f));
        var right = b.Mul(b.Mul(b.Mul(x, b.Sub(b.Scalar(1f), b.Mul(t, t))), du), b.Scalar(0.5f));
        return b.Add(left, right);
    }

    // ------------------------------------------------------------------ losses, slicing

    private static MilVar Reduce(MilFunctionBuilder b, MilVar v, bool sum, string? name) =>
        sum ? b.ReduceSum(v, Enumerable.Range(0, v.Rank).ToArray(), false, name) : b.ReduceMean(v, Enumerable.Range(0, v.Rank).ToArray(), false, name);

    /// <summary>The per-element values of l1_loss, huber_loss, smooth_l1_loss or bce_with_logits, reduced.</summary>
    public static MilVar PointwiseLoss(MilFunctionBuilder b, string kind, MilVar p, MilVar t, float param, bool sum, string? name = null)
    {
        MilVar values;
        if (kind == "bce_with_logits")
        {
            // max(z, 0) − z·y + log(1 + e^−|z|)
            var absZ = b.Unary("abs", p);
            values = b.Add(b.Sub(b.Maximum(p, b.Scalar(0f)), b.Mul(p, t)), b.Log(b.Add(b.Scalar(1f), b.Exp(b.Mul(absZ, b.Scalar(-1f))))));
        }
        else
        {
            var d = b.Sub(p, t);
            var a = b.Unary("abs", d);
            values = kind switch
            {
                "l1_loss" => a,
                "huber_loss" => b.Select(b.Less(a, b.Scalar(param)), b.Mul(b.Mul(d, d), b.Scalar(0.5f)), b.Mul(b.Sub(a, b.Scalar(0.5f * param)), b.Scalar(param))),
                _ => b.Select(b.Less(a, b.Scalar(param)), b.Mul(b.Mul(d, d), b.Scalar(0.5f / param)), b.Sub(a, b.Scalar(0.5f * param))),
            };
        }
        return Reduce(b, values, sum, name);
    }

    /// <summary>g·d(loss)/d(prediction) per element (negated for the target of a difference-based loss).</summary>
    public static MilVar PointwiseLossGrad(MilFunctionBuilder b, string kind, MilVar g, MilVar p, MilVar t, float param, bool sum, bool negate, string? name = null)
    {
        MilVar dv;
        if (kind == "bce_with_logits") dv = b.Sub(b.Sigmoid(p), t);
        else
        {
            var d = b.Sub(p, t);
            var a = b.Unary("abs", d);
            var sign = b.Unary("sign", d);
            dv = kind switch
            {
                "l1_loss" => sign,
                "huber_loss" => b.Select(b.Less(a, b.Scalar(param)), d, b.Mul(sign, b.Scalar(param))),
                _ => b.Select(b.Less(a, b.Scalar(param)), b.Mul(d, b.Scalar(1f / param)), sign),
            };
        }
        long count = p.Shape.Aggregate(1L, (x, y) => x * y);
        float scale = (sum ? 1f : 1f / count) * (negate ? -1f : 1f);
        return b.Mul(dv, b.Mul(g, b.Scalar(scale)), name);
    }

    /// <summary>nll_loss: −Σ onehot(label)·logp, mean or sum over the batch.</summary>
    public static MilVar Nll(MilFunctionBuilder b, MilVar logp, MilVar labels, bool sum, string? name = null)
    {
        var picked = b.ReduceSum(b.Mul(Target(b, labels, checked((int)logp.Shape[1]), 0f), logp), new[] { 1 }, false);
        return b.Mul(sum ? b.ReduceSum(picked, new[] { 0 }, false) : b.ReduceMean(picked, new[] { 0 }, false), b.Scalar(-1f), name);
    }

    public static MilVar NllGrad(MilFunctionBuilder b, MilVar g, MilVar labels, int classes, bool sum, string? name = null) =>
        b.Mul(Target(b, labels, classes, 0f), b.Mul(g, b.Scalar(sum ? -1f : -1f / labels.Shape[0])), name);

    /// <summary>Elements [start, end) of one axis.</summary>
    public static MilVar Slice(MilFunctionBuilder b, MilVar x, int axis, int start, int end, string? name = null)
    {
        var begin = new long[x.Rank]; var stop = (long[])x.Shape.Clone();
        begin[axis] = start; stop[axis] = end;
        var shape = (long[])x.Shape.Clone(); shape[axis] = end - start;
        var none = MilTensor.Bool(new[] { x.Rank }, new bool[x.Rank]);
        return b.Op("slice_by_index", new MilTensorType(x.Type.DType, shape), name, ("x", x),
            ("begin", MilTensor.Vector(begin.Select(v => checked((int)v)).ToArray())), ("end", MilTensor.Vector(stop.Select(v => checked((int)v)).ToArray())),
            ("stride", MilTensor.Vector(Enumerable.Repeat(1, x.Rank).ToArray())), ("begin_mask", none), ("end_mask", none), ("squeeze_mask", none));
    }

    /// <summary>Zero padding of <paramref name="before"/>/<paramref name="after"/> elements on one axis (the adjoint of a slice).</summary>
    public static MilVar PadAxis(MilFunctionBuilder b, MilVar x, int axis, int before, int after, string? name = null)
    {
        int trailing = x.Rank - axis;
        var pad = new int[2 * trailing];
        pad[0] = before; pad[1] = after;
        var shape = (long[])x.Shape.Clone(); shape[axis] += before + after;
        return b.Op("pad", new MilTensorType(x.Type.DType, shape), name, ("x", x), ("pad", MilTensor.Vector(pad)),
            ("mode", MilTensor.Scalar("constant")), ("constant_val", MilTensor.Scalar(0f)));
    }

    // ------------------------------------------------------------------ normalisation and embeddings

    private static MilVar LastAxisMean(MilFunctionBuilder b, MilVar x) => b.ReduceMean(x, new[] { -1 }, true);

    /// <summary>(x̂, 1/√(σ² + ε)) over the last axis, with the biased variance.</summary>
    private static (MilVar XHat, MilVar Rstd) Normalise(MilFunctionBuilder b, MilVar x, float eps)
    {
        var xc = b.Sub(x, LastAxisMean(b, x));
        var variance = LastAxisMean(b, b.Mul(xc, xc));
        var rstd = b.Op("rsqrt", variance.Type, null, ("x", variance), ("epsilon", MilTensor.Scalar(eps)));
        return (b.Mul(xc, rstd), rstd);
    }

    /// <summary>Layer norm decomposed (layer_norm's gamma/beta must be constants; ours are trainable).</summary>
    public static MilVar LayerNorm(MilFunctionBuilder b, MilVar x, MilVar? w, MilVar? bias, float eps, string? name = null)
    {
        var (xh, _) = Normalise(b, x, eps);
        if (w is null) return bias is null ? b.Identity(xh, name) : b.Add(xh, bias, name);
        return bias is null ? b.Mul(xh, w, name) : b.Add(b.Mul(xh, w), bias, name);
    }

    /// <summary>dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·w.</summary>
    public static MilVar LayerNormInputGrad(MilFunctionBuilder b, MilVar g, MilVar x, MilVar? w, float eps, string? name = null)
    {
        var (xh, rstd) = Normalise(b, x, eps);
        var gh = w is null ? g : b.Mul(g, w);
        var inner = b.Sub(b.Sub(gh, LastAxisMean(b, gh)), b.Mul(xh, LastAxisMean(b, b.Mul(gh, xh))));
        return b.Mul(inner, rstd, name);
    }

    /// <summary>dw = Σ over all but the last axis of g·x̂.</summary>
    public static MilVar LayerNormWeightGrad(MilFunctionBuilder b, MilVar g, MilVar x, float eps, string? name = null)
    {
        var (xh, _) = Normalise(b, x, eps);
        return b.ReduceSum(b.Mul(g, xh), Enumerable.Range(0, x.Rank - 1).ToArray(), false, name);
    }

    private static readonly int[] ChannelAxes = { 0, 2, 3 };
    private static MilVar PerChannel(MilFunctionBuilder b, MilVar v) => b.Reshape(v, new[] { 1, v.Shape[0], 1, 1 });

    /// <summary>(x̂, 1/√(σ² + ε)) with per-channel batch statistics (biased variance), kept as [1, C, 1, 1].</summary>
    private static (MilVar XHat, MilVar Rstd, MilVar Mean, MilVar Var) ChannelNormalise(MilFunctionBuilder b, MilVar x, float eps)
    {
        var mean = b.ReduceMean(x, ChannelAxes, true);
        var xc = b.Sub(x, mean);
        var variance = b.ReduceMean(b.Mul(xc, xc), ChannelAxes, true);
        var rstd = b.Op("rsqrt", variance.Type, null, ("x", variance), ("epsilon", MilTensor.Scalar(eps)));
        return (b.Mul(xc, rstd), rstd, mean, variance);
    }

    /// <summary>Training-mode batch norm, decomposed (batch_norm's statistics must be constants).</summary>
    public static MilVar BatchNormTrain(MilFunctionBuilder b, MilVar x, MilVar w, MilVar bias, float eps, string? name = null)
    {
        var (xh, _, _, _) = ChannelNormalise(b, x, eps);
        return b.Add(b.Mul(xh, PerChannel(b, w)), PerChannel(b, bias), name);
    }

    /// <summary>Eval-mode batch norm with the running statistics.</summary>
    public static MilVar BatchNormEval(MilFunctionBuilder b, MilVar x, MilVar w, MilVar bias, MilVar runningMean, MilVar runningVar, float eps, string? name = null)
    {
        var rv = PerChannel(b, runningVar);
        var rstd = b.Op("rsqrt", rv.Type, null, ("x", rv), ("epsilon", MilTensor.Scalar(eps)));
        var xh = b.Mul(b.Sub(x, PerChannel(b, runningMean)), rstd);
        return b.Add(b.Mul(xh, PerChannel(b, w)), PerChannel(b, bias), name);
    }

    /// <summary>dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) per channel, ĝ = g·w.</summary>
    public static MilVar BatchNormInputGrad(MilFunctionBuilder b, MilVar g, MilVar x, MilVar w, float eps, string? name = null)
    {
        var (xh, rstd, _, _) = ChannelNormalise(b, x, eps);
        var gh = b.Mul(g, PerChannel(b, w));
        var inner = b.Sub(b.Sub(gh, b.ReduceMean(gh, ChannelAxes, true)), b.Mul(xh, b.ReduceMean(b.Mul(gh, xh), ChannelAxes, true)));
        return b.Mul(inner, rstd, name);
    }

    public static MilVar BatchNormWeightGrad(MilFunctionBuilder b, MilVar g, MilVar x, float eps, string? name = null)
    {
        var (xh, _, _, _) = ChannelNormalise(b, x, eps);
        return b.ReduceSum(b.Mul(g, xh), ChannelAxes, false, name);
    }

    /// <summary>running ← (1 − m)·running + m·batch (unbiased variance), as torch updates them in training mode.</summary>
    public static MilVar[] BatchNormRunning(MilFunctionBuilder b, MilVar x, MilVar runningMean, MilVar runningVar, float momentum, string meanName, string varName)
    {
        var (_, _, mean, variance) = ChannelNormalise(b, x, 0f);
        long count = x.Shape[0] * x.Shape[2] * x.Shape[3];
        var m = b.Reshape(mean, new[] { x.Shape[1] });
        var v = b.Mul(b.Reshape(variance, new[] { x.Shape[1] }), b.Scalar(count > 1 ? (float)count / (count - 1) : 1f));
        return new[]
        {
            b.Add(b.Mul(runningMean, b.Scalar(1 - momentum)), b.Mul(m, b.Scalar(momentum)), meanName),
            b.Add(b.Mul(runningVar, b.Scalar(1 - momentum)), b.Mul(v, b.Scalar(momentum)), varName),
        };
    }

    /// <summary>
    /// Indices for one_hot / gather / scatter, which take int32: an int32 input (an IntTensor of the
    /// model) as it is, float-stored indices through a cast.
    /// </summary>
    public static MilVar Int32Indices(MilFunctionBuilder b, MilVar indices) =>
        indices.Type.DType == MilDType.Int32 ? indices : b.Cast(indices, MilDType.Int32);

    /// <summary>
    /// The running statistics moved by a factor computed in the program (torch's momentum=None:
    /// 1/num_batches_tracked, see <see cref="CumulativeFactor"/>): running + f·(batch − running).
    /// </summary>
    public static MilVar[] BatchNormRunning(MilFunctionBuilder b, MilVar x, MilVar runningMean, MilVar runningVar, MilVar factor, string meanName, string varName)
    {
        var (_, _, mean, variance) = ChannelNormalise(b, x, 0f);
        long count = x.Shape[0] * x.Shape[2] * x.Shape[3];
        var m = b.Reshape(mean, new[] { x.Shape[1] });
        var v = b.Mul(b.Reshape(variance, new[] { x.Shape[1] }), b.Scalar(count > 1 ? (float)count / (count - 1) : 1f));
        return new[]
        {
            b.Add(runningMean, b.Mul(b.Sub(m, runningMean), factor), meanName),
            b.Add(runningVar, b.Mul(b.Sub(v, runningVar), factor), varName),
        };
    }

    /// <summary>num_batches_tracked + 1 (int32 [1]): a BatchNorm counts a training pass, as torch's does.</summary>
    public static MilVar CountPass(MilFunctionBuilder b, MilVar counter, string? name = null) =>
        b.Add(counter, b.Const(MilTensor.Int32(new[] { 1 }, new[] { 1 })), name);

    /// <summary>torch's cumulative-average factor 1/num_batches_tracked (fp32 [1], broadcast over the channels), from the counter after this pass.</summary>
    public static MilVar CumulativeFactor(MilFunctionBuilder b, MilVar counted) =>
        b.RealDiv(b.Scalar(1f), b.Cast(counted, MilDType.Float32));

    /// <summary>gather rows of the table at the (float-stored) indices.</summary>
    public static MilVar Embedding(MilFunctionBuilder b, MilVar indices, MilVar table, string? name = null)
    {
        var idx = Int32Indices(b, indices);
        var shape = indices.Shape.Concat(new[] { table.Shape[1] }).ToArray();
        return b.Op("gather", new MilTensorType(table.Type.DType, shape), name, ("x", table), ("indices", idx),
            ("axis", MilTensor.Scalar(0)), ("batch_dims", MilTensor.Scalar(0)), ("validate_indices", MilTensor.Scalar(false)));
    }

    /// <summary>dW: the adjoint rows scatter-added into a zero table at the indices.</summary>
    public static MilVar EmbeddingWeightGrad(MilFunctionBuilder b, MilVar g, MilVar indices, int rows, string? name = null)
    {
        long count = indices.Shape.Aggregate(1L, (a, d) => a * d), dim = g.Shape[^1];
        var idx = b.Reshape(Int32Indices(b, indices), new[] { count });
        var updates = b.Reshape(g, new[] { count, dim });
        return b.Op("scatter", new MilTensorType(g.Type.DType, new[] { (long)rows, dim }), name, ("data", b.Fill(new[] { (long)rows, dim }, 0f)),
            ("indices", idx), ("updates", updates), ("axis", MilTensor.Scalar(0)), ("mode", MilTensor.Scalar("add")), ("validate_indices", MilTensor.Scalar(false)));
    }

    // ------------------------------------------------------------------ convolution and pooling

    private static MilTensor Pair(int v) => MilTensor.Vector(v, v);
    private static MilTensor Quad(int v) => MilTensor.Vector(v, v, v, v);
    private static long OutSize(long size, int k, int s, int p, int d) => (size + 2 * p - d * (k - 1) - 1) / s + 1;

    /// <summary>
    /// A k×k kernel dilated by d as an explicit ((k−1)d+1)² kernel with zeros between the taps:
    /// Core ML only accepts dilations = 1 when the weight is a runtime value. The taps are spread
    /// as [co·ci, k, d, k, d] (each tap followed by d − 1 zeros), which stays within Core ML's rank 5.
    /// </summary>
    public static MilVar DilateKernel(MilFunctionBuilder b, MilVar w, int dilation)
    {
        if (dilation == 1) return w;
        var ws = w.Shape;
        long co = ws[0], ci = ws[1], k = ws[2], kd = (k - 1) * dilation + 1;
        var five = b.Reshape(w, new[] { co * ci, k, 1, k, 1 });
        var padded = b.Op("pad", new MilTensorType(w.Type.DType, new[] { co * ci, k, (long)dilation, k, (long)dilation }), null, ("x", five),
            ("pad", MilTensor.Vector(0, 0, 0, dilation - 1, 0, 0, 0, dilation - 1)), ("mode", MilTensor.Scalar("constant")), ("constant_val", MilTensor.Scalar(0f)));
        var spread = b.Reshape(padded, new[] { co, ci, k * dilation, k * dilation });
        return Slice(b, spread, new long[] { 0, 0, 0, 0 }, new[] { co, ci, kd, kd }, new[] { 1, 1, 1, 1 });
    }

    /// <summary>
    /// conv, then the bias added as [1, C, 1, 1]. A constant weight (main, inference packages) uses
    /// conv's own dilations; a runtime weight (training functions) is dilated explicitly, since
    /// Core ML needs dilations = 1 there.
    /// </summary>
    public static MilVar Conv2d(MilFunctionBuilder b, MilVar x, MilVar w, MilVar? bias, int stride, int padding, int dilation, int groups, string? name = null)
    {
        int convDilation = b.IsConst(w) ? dilation : 1;
        if (convDilation == 1) w = DilateKernel(b, w, dilation);
        var xs = x.Shape; var ws = w.Shape;
        int k = checked((int)ws[2]);
        var type = new MilTensorType(x.Type.DType, new[] { xs[0], ws[0], OutSize(xs[2], k, stride, padding, convDilation), OutSize(xs[3], k, stride, padding, convDilation) });
        var conv = b.Op("conv", type, bias is null ? name : null, ("x", x), ("weight", w), ("strides", Pair(stride)), ("pad_type", MilTensor.Scalar("custom")),
            ("pad", Quad(padding)), ("dilations", Pair(convDilation)), ("groups", MilTensor.Scalar(groups)));
        return bias is null ? conv : b.Add(conv, b.Reshape(bias, new[] { 1, ws[0], 1, 1 }), name);
    }

    /// <summary>dx of a convolution: conv_transpose of dy with the same weight, padded back to x's size.</summary>
    public static MilVar Conv2dInputGrad(MilFunctionBuilder b, MilVar dy, MilVar w, long[] xShape, int stride, int padding, int groups, string? name = null, int dilation = 1)
    {
        w = DilateKernel(b, w, dilation);
        var ds = dy.Shape; var ws = w.Shape;
        int k = checked((int)ws[2]);
        long oh = (ds[2] - 1) * stride + (k - 1) + 1 - 2 * padding, ow = (ds[3] - 1) * stride + (k - 1) + 1 - 2 * padding;
        bool short_ = oh < xShape[2] || ow < xShape[3];
        var type = new MilTensorType(dy.Type.DType, new[] { ds[0], xShape[1], oh, ow });
        var t = b.Op("conv_transpose", type, short_ ? null : name, ("x", dy), ("weight", w), ("pad_type", MilTensor.Scalar("custom")), ("pad", Quad(padding)),
            ("strides", Pair(stride)), ("dilations", Pair(1)), ("groups", MilTensor.Scalar(groups)));
        if (!short_) return t;
        // Rows/columns the strided forward never read get no gradient: pad them with zeros.
        return b.Op("pad", new MilTensorType(dy.Type.DType, xShape), name, ("x", t),
            ("pad", MilTensor.Vector(0, checked((int)(xShape[2] - oh)), 0, checked((int)(xShape[3] - ow)))),
            ("mode", MilTensor.Scalar("constant")), ("constant_val", MilTensor.Scalar(0f)));
    }

    /// <summary>
    /// dW of a convolution: for each kernel offset (ky, kx) the strided slice of padded x that the
    /// offset touched, contracted with dy over batch and positions; the k·k results are stacked.
    /// </summary>
    public static MilVar Conv2dWeightGrad(MilFunctionBuilder b, MilVar dy, MilVar x, int k, int stride, int padding, int groups, string? name = null, int dilation = 1)
    {
        if (dilation != 1)
        {
            // The gradient of the explicit dilated kernel, then every d-th tap of it.
            int kd = (k - 1) * dilation + 1;
            var full = Conv2dWeightGrad(b, dy, x, kd, stride, padding, groups);
            var fs = full.Shape;
            var picked = b.Op("slice_by_index", new MilTensorType(full.Type.DType, new[] { fs[0], fs[1], (long)k, k }), name, ("x", full),
                ("begin", MilTensor.Vector(0, 0, 0, 0)), ("end", MilTensor.Vector(checked((int)fs[0]), checked((int)fs[1]), kd, kd)),
                ("stride", MilTensor.Vector(1, 1, dilation, dilation)),
                ("begin_mask", MilTensor.Bool(new[] { 4 }, new bool[4])), ("end_mask", MilTensor.Bool(new[] { 4 }, new bool[4])),
                ("squeeze_mask", MilTensor.Bool(new[] { 4 }, new bool[4])));
            return picked;
        }
        var xs = x.Shape; var ds = dy.Shape;
        long n = xs[0], ci = xs[1], co = ds[1], oh = ds[2], ow = ds[3];
        long cig = ci / groups, cog = co / groups;
        var xp = padding == 0 ? x : b.Op("pad", new MilTensorType(x.Type.DType, new[] { n, ci, xs[2] + 2 * padding, xs[3] + 2 * padding }), null,
            ("x", x), ("pad", Quad(padding)), ("mode", MilTensor.Scalar("constant")), ("constant_val", MilTensor.Scalar(0f)));
        var perGroup = new MilVar[groups];
        for (int g = 0; g < groups; g++)
        {
            var dyg = groups == 1 ? dy : Slice(b, dy, new long[] { 0, g * cog, 0, 0 }, new[] { n, (g + 1) * cog, oh, ow }, new[] { 1, 1, 1, 1 });
            var dy3 = b.Reshape(dyg, new[] { n, cog, oh * ow });                         // [n, co/g, P]
            var offsets = new MilVar[k * k];
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                {
                    var begin = new long[] { 0, g * cig, ky, kx };
                    var end = new long[] { n, (g + 1) * cig, ky + (oh - 1) * stride + 1, kx + (ow - 1) * stride + 1 };
                    var patch = Slice(b, xp, begin, end, new[] { 1, 1, stride, stride });     // [n, ci/g, oh, ow]
                    var x3 = b.Reshape(patch, new[] { n, cig, oh * ow });
                    var prod = b.MatMul(dy3, x3, transposeY: true);                           // [n, co/g, ci/g]
                    offsets[ky * k + kx] = b.ReduceSum(prod, new[] { 0 }, false);            // [co/g, ci/g]
                }
            var stacked = b.Op("stack", new MilTensorType(dy.Type.DType, new[] { cog, cig, (long)k * k }), null,
                ("values", offsets), ("axis", MilTensor.Scalar(2)));
            perGroup[g] = b.Reshape(stacked, new[] { cog, cig, (long)k, k }, groups == 1 ? name : null);
        }
        return groups == 1 ? perGroup[0] : b.Op("concat", new MilTensorType(dy.Type.DType, new[] { co, cig, (long)k, k }), name,
            ("values", perGroup), ("axis", MilTensor.Scalar(0)), ("interleave", MilTensor.Scalar(false)));
    }

    /// <summary>max_pool / avg_pool (avg counts padding, as torch's default).</summary>
    public static MilVar Pool2d(MilFunctionBuilder b, MilVar x, bool max, int k, int stride, int padding, string? name = null)
    {
        var xs = x.Shape;
        var type = new MilTensorType(x.Type.DType, new[] { xs[0], xs[1], OutSize(xs[2], k, stride, padding, 1), OutSize(xs[3], k, stride, padding, 1) });
        var common = new (string, object)[]
        {
            ("x", x), ("kernel_sizes", Pair(k)), ("strides", Pair(stride)), ("pad_type", MilTensor.Scalar("custom")),
            ("pad", Quad(padding)), ("ceil_mode", MilTensor.Scalar(false)),
        };
        return max
            ? b.Op("max_pool", type, name, common)
            : b.Op("avg_pool", type, name, common.Concat(new (string, object)[] { ("exclude_padding_from_average", MilTensor.Scalar(false)) }).ToArray());
    }

    /// <summary>
    /// Pooling adjoints for any kernel, stride and padding. Average: a depthwise conv_transpose of g
    /// with a 1/k² kernel. Max: for each window offset (row-major, as the trainer scans), the
    /// positions where that offset holds the window's first maximum receive g, placed back by a
    /// depthwise conv_transpose with a one-hot kernel — so ties go to the first maximum, as in torch.
    /// </summary>
    public static MilVar Pool2dGrad(MilFunctionBuilder b, MilVar g, MilVar x, MilVar? y, bool max, int k, int stride, int padding, string? name = null)
    {
        var xs = x.Shape; var gs = g.Shape;
        long n = gs[0], c = gs[1], oh = gs[2], ow = gs[3];
        if (!max)
            return PlaceBack(b, b.Mul(g, b.Scalar(1f / (k * k))), Kernel(c, k, -1), xs, k, stride, padding, name);
        var xp = padding == 0 ? x : b.Op("pad", new MilTensorType(x.Type.DType, new[] { n, c, xs[2] + 2 * padding, xs[3] + 2 * padding }), null,
            ("x", x), ("pad", Quad(padding)), ("mode", MilTensor.Scalar("constant")), ("constant_val", MilTensor.Scalar(float.NegativeInfinity)));
        MilVar? taken = null, total = null;
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
            {
                var at = Slice(b, xp, new long[] { 0, 0, ky, kx }, new[] { n, c, ky + (oh - 1) * stride + 1, kx + (ow - 1) * stride + 1 }, new[] { 1, 1, stride, stride });
                var isMax = b.Cast(b.Equal(at, y!), MilDType.Float32);
                var first = taken is null ? isMax : b.Mul(isMax, b.Sub(b.Scalar(1f), taken));
                taken = taken is null ? first : b.Add(taken, first);
                var placed = PlaceBack(b, b.Mul(g, first), Kernel(c, k, ky * k + kx), xs, k, stride, padding, null);
                total = total is null ? placed : b.Add(total, placed);
            }
        return b.Identity(total!, name);
    }

    /// <summary>A depthwise [C, 1, k, k] kernel: all ones when <paramref name="hot"/> &lt; 0, else one-hot at that tap.</summary>
    private static MilTensor Kernel(long channels, int k, int hot)
    {
        var data = new float[channels * k * k];
        for (int ch = 0; ch < channels; ch++)
            for (int t = 0; t < k * k; t++) data[ch * k * k + t] = hot < 0 || t == hot ? 1f : 0f;
        return MilTensor.Float32(new[] { checked((int)channels), 1, k, k }, data);
    }

    /// <summary>Depthwise conv_transpose of [n, C, oh, ow] back onto x's grid (padded with zeros where the windows never reached).</summary>
    private static MilVar PlaceBack(MilFunctionBuilder b, MilVar v, MilTensor kernel, long[] xShape, int k, int stride, int padding, string? name)
    {
        var w = b.Const(kernel);
        var vs = v.Shape;
        long h = (vs[2] - 1) * stride + k - 2 * padding, wd = (vs[3] - 1) * stride + k - 2 * padding;
        bool short_ = h < xShape[2] || wd < xShape[3];
        var t = b.Op("conv_transpose", new MilTensorType(v.Type.DType, new[] { vs[0], vs[1], h, wd }), short_ ? null : name, ("x", v), ("weight", w),
            ("pad_type", MilTensor.Scalar("custom")), ("pad", Quad(padding)), ("strides", Pair(stride)), ("dilations", Pair(1)),
            ("groups", MilTensor.Scalar(checked((int)vs[1]))));
        if (!short_) return t;
        return b.Op("pad", new MilTensorType(v.Type.DType, xShape), name, ("x", t),
            ("pad", MilTensor.Vector(0, checked((int)(xShape[2] - h)), 0, checked((int)(xShape[3] - wd)))),
            ("mode", MilTensor.Scalar("constant")), ("constant_val", MilTensor.Scalar(0f)));
    }

    /// <summary>The adjoint of global average pooling: g [n, c] spread over h·w, divided by h·w.</summary>
    public static MilVar GlobalAvgPoolGrad(MilFunctionBuilder b, MilVar g, long[] xShape, string? name = null) =>
        b.Mul(b.Fill(xShape, 1f / (xShape[2] * xShape[3])), b.Reshape(g, new[] { xShape[0], xShape[1], 1, 1 }), name);

    private static MilVar Slice(MilFunctionBuilder b, MilVar x, long[] begin, long[] end, int[] stride)
    {
        var shape = begin.Select((bg, i) => (end[i] - bg + stride[i] - 1) / stride[i]).ToArray();
        return b.Op("slice_by_index", new MilTensorType(x.Type.DType, shape), null, ("x", x),
            ("begin", MilTensor.Vector(begin.Select(v => checked((int)v)).ToArray())), ("end", MilTensor.Vector(end.Select(v => checked((int)v)).ToArray())),
            ("stride", MilTensor.Vector(stride)),
            ("begin_mask", MilTensor.Bool(new[] { begin.Length }, new bool[begin.Length])), ("end_mask", MilTensor.Bool(new[] { begin.Length }, new bool[begin.Length])),
            ("squeeze_mask", MilTensor.Bool(new[] { begin.Length }, new bool[begin.Length])));
    }

    /// <summary>The type of x with its last dimension reduced to 1.</summary>
    public static MilTensorType KeepLast(MilTensorType t) =>
        new(t.DType, t.Shape!.Select((d, i) => i == t.Shape!.Length - 1 ? 1L : d).ToArray());
}

using System;
using System.Linq;
using System.Numerics.Tensors;
using TrainingGen.Kernels;

namespace TrainingGen;

/// <summary>
/// Eager tensor ops usable in <c>Forward</c>. Each carries <see cref="OpAttribute"/> naming its
/// entry in the op table, which is how the generator recognises the call.
/// </summary>
public static class Ops
{
    [Op("add")] public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Add, "add");
    [Op("sub")] public static Tensor Sub(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Sub, "sub");
    [Op("mul")] public static Tensor Mul(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Mul, "mul");
    [Op("div")] public static Tensor Div(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Div, "div");

    [Op("neg")]
    public static Tensor Neg(Tensor a)
    {
        var y = new Tensor(a.Shape);
        TensorPrimitives.Negate(a.Data, y.Data);
        return y;
    }

    [Op("relu")]
    public static Tensor Relu(Tensor a)
    {
        var y = new Tensor(a.Shape);
        TensorPrimitives.Max(a.Data, 0f, y.Data);
        return y;
    }

    [Op("sigmoid")] public static Tensor Sigmoid(Tensor a) => Map(a, Unary.Sigmoid);
    [Op("tanh")] public static Tensor Tanh(Tensor a) => Map(a, Unary.Tanh);
    [Op("exp")] public static Tensor Exp(Tensor a) => Map(a, Unary.Exp);
    [Op("log")] public static Tensor Log(Tensor a) => Map(a, Unary.Log);
    [Op("sqrt")] public static Tensor Sqrt(Tensor a) => Map(a, Unary.Sqrt);
    [Op("silu")] public static Tensor Silu(Tensor a) => Map(a, Unary.Silu);

    /// <summary>Softplus log(1 + eˣ) like torch's <c>F.softplus</c> with β = 1 and threshold 20 (x itself above 20).</summary>
    [Op("softplus")] public static Tensor Softplus(Tensor a) => Map(a, Unary.Softplus);

    /// <summary>Mish x·tanh(softplus(x)) like torch's <c>F.mish</c>.</summary>
    [Op("mish")] public static Tensor Mish(Tensor a) => Map(a, Unary.Mish);

    /// <summary>LeakyReLU with torch's default slope 0.01.</summary>
    [Op("leaky_relu")]
    public static Tensor LeakyRelu(Tensor a, float negativeSlope = 0.01f)
    {
        var y = new Tensor(a.Shape);
        Unary.LeakyRelu(a.Data, negativeSlope, y.Data);
        return y;
    }

    /// <summary>GELU: exact (<c>approximate='none'</c>) or the tanh approximation.</summary>
    [Op("gelu")]
    public static Tensor Gelu(Tensor a, bool tanhApproximation = false)
    {
        var y = new Tensor(a.Shape);
        Unary.Gelu(a.Data, tanhApproximation, y.Data);
        return y;
    }

    /// <summary>Softmax over the last axis.</summary>
    [Op("softmax")]
    public static Tensor Softmax(Tensor a)
    {
        var y = new Tensor(a.Shape);
        Kernels.Softmax.Forward(a.Data, y.Data, a.Shape[^1]);
        return y;
    }

    /// <summary>Log-softmax over the last axis.</summary>
    [Op("log_softmax")]
    public static Tensor LogSoftmax(Tensor a)
    {
        var y = new Tensor(a.Shape);
        Kernels.Softmax.LogForward(a.Data, y.Data, a.Shape[^1]);
        return y;
    }

    /// <summary>
    /// Cross-entropy from logits [batch, classes] and integer class labels [batch] stored as
    /// floats (exact below 2²⁴; the <see cref="IntTensor"/> overload takes int32), mean over the batch, with optional label smoothing — torch.nn.functional.cross_entropy.
    /// </summary>
    [Op("cross_entropy", IsLoss = true)]
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, float labelSmoothing = 0f, Reduction reduction = Reduction.Mean)
    {
        if (logits.Rank != 2 || labels.Rank != 1 || labels.Shape[0] != logits.Shape[0])
            throw new ArgumentException($"cross_entropy: logits {ShapeUtil.Format(logits.Shape)} need labels [{(logits.Rank > 0 ? logits.Shape[0] : 0)}], got {ShapeUtil.Format(labels.Shape)}.");
        var p = new float[logits.Count];
        float mean = Kernels.Softmax.CrossEntropy(logits.Data, labels.Data, p, logits.Shape[1], labelSmoothing);
        return Tensor.Scalar(reduction == Reduction.Sum ? mean * logits.Shape[0] : mean);
    }

    /// <summary>
    /// Cross-entropy from logits [batch, classes] and int32 class labels [batch], mean over the batch,
    /// with optional label smoothing — torch.nn.functional.cross_entropy with torch's integer targets.
    /// In a training model, <c>[Shape(Dim.Batch)] IntTensor labels</c> makes the package's label input int32.
    /// </summary>
    [Op("cross_entropy", IsLoss = true)]
    public static Tensor CrossEntropy(Tensor logits, IntTensor labels, float labelSmoothing = 0f, Reduction reduction = Reduction.Mean)
    {
        if (logits.Rank != 2 || labels.Rank != 1 || labels.Shape[0] != logits.Shape[0])
            throw new ArgumentException($"cross_entropy: logits {ShapeUtil.Format(logits.Shape)} need labels [{(logits.Rank > 0 ? logits.Shape[0] : 0)}], got {ShapeUtil.Format(labels.Shape)}.");
        var p = new float[logits.Count];
        float mean = Kernels.Softmax.CrossEntropy(logits.Data, labels.Data, p, logits.Shape[1], labelSmoothing);
        return Tensor.Scalar(reduction == Reduction.Sum ? mean * logits.Shape[0] : mean);
    }

    /// <summary>
    /// Dropout with drop probability <paramref name="p"/> (torch's <c>nn.Dropout</c>). A generated
    /// trainer applies it in Step/ComputeGradients with masks from its own seeded generator and
    /// skips it in Evaluate/Predict; run eagerly (the inference reference path) it is the identity.
    /// </summary>
    [Op("dropout")]
    public static Tensor Dropout(Tensor x, float p)
    {
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        return x.Clone();
    }

    /// <summary>Mean absolute error, like <c>F.l1_loss</c>.</summary>
    [Op("l1_loss", IsLoss = true)]
    public static Tensor L1Loss(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean) =>
        Pointwise(LossKind.L1, prediction, target, 0f, reduction);

    /// <summary>Huber loss with threshold δ (default 1), like <c>F.huber_loss</c>.</summary>
    [Op("huber_loss", IsLoss = true)]
    public static Tensor HuberLoss(Tensor prediction, Tensor target, float delta = 1f, Reduction reduction = Reduction.Mean) =>
        Pointwise(LossKind.Huber, prediction, target, delta, reduction);

    /// <summary>Smooth L1 loss with β (default 1), like <c>F.smooth_l1_loss</c>.</summary>
    [Op("smooth_l1_loss", IsLoss = true)]
    public static Tensor SmoothL1Loss(Tensor prediction, Tensor target, float beta = 1f, Reduction reduction = Reduction.Mean) =>
        Pointwise(LossKind.SmoothL1, prediction, target, beta, reduction);

    /// <summary>Binary cross-entropy from logits against targets in [0, 1], like <c>F.binary_cross_entropy_with_logits</c>.</summary>
    [Op("bce_with_logits", IsLoss = true)]
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean) =>
        Pointwise(LossKind.BceWithLogits, logits, target, 0f, reduction);

    /// <summary>Negative log-likelihood of log-probabilities [batch, classes] at class indices [batch], like <c>F.nll_loss</c>.</summary>
    [Op("nll_loss", IsLoss = true)]
    public static Tensor NllLoss(Tensor logProbabilities, Tensor labels, Reduction reduction = Reduction.Mean)
    {
        if (logProbabilities.Rank != 2 || labels.Rank != 1 || labels.Shape[0] != logProbabilities.Shape[0])
            throw new ArgumentException($"nll_loss: {ShapeUtil.Format(logProbabilities.Shape)} needs labels [{logProbabilities.Shape[0]}], got {ShapeUtil.Format(labels.Shape)}.");
        return Tensor.Scalar(PointwiseLoss.Nll(logProbabilities.Data, labels.Data, logProbabilities.Shape[1], reduction));
    }

    /// <summary>Negative log-likelihood of log-probabilities [batch, classes] at int32 class indices [batch], like <c>F.nll_loss</c>.</summary>
    [Op("nll_loss", IsLoss = true)]
    public static Tensor NllLoss(Tensor logProbabilities, IntTensor labels, Reduction reduction = Reduction.Mean)
    {
        if (logProbabilities.Rank != 2 || labels.Rank != 1 || labels.Shape[0] != logProbabilities.Shape[0])
            throw new ArgumentException($"nll_loss: {ShapeUtil.Format(logProbabilities.Shape)} needs labels [{logProbabilities.Shape[0]}], got {ShapeUtil.Format(labels.Shape)}.");
        return Tensor.Scalar(PointwiseLoss.Nll(logProbabilities.Data, labels.Data, logProbabilities.Shape[1], reduction));
    }

    private static Tensor Pointwise(LossKind kind, Tensor p, Tensor t, float param, Reduction reduction)
    {
        if (!p.Shape.AsSpan().SequenceEqual(t.Shape))
            throw new ArgumentException($"{kind}: prediction {ShapeUtil.Format(p.Shape)} and target {ShapeUtil.Format(t.Shape)} differ.");
        return Tensor.Scalar(PointwiseLoss.Forward(kind, p.Data, t.Data, param, reduction, new float[p.Count]));
    }

    /// <summary>Concatenates two tensors along an axis, like <c>torch.cat([a, b], dim)</c>.</summary>
    [Op("concat")]
    public static Tensor Concat(Tensor a, Tensor b, int axis)
    {
        int r = a.Rank, ax = axis < 0 ? axis + r : axis;
        if (b.Rank != r || ax < 0 || ax >= r) throw new ArgumentException($"concat: {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} along {axis}.");
        var shape = (int[])a.Shape.Clone();
        shape[ax] += b.Shape[ax];
        var y = new Tensor(shape);
        Layout.Concat(a.Data, a.Shape, b.Data, b.Shape, ax, y.Data);
        return y;
    }

    /// <summary>Elements [start, end) of one axis, like <c>x.narrow(dim, start, end − start)</c>.</summary>
    [Op("slice")]
    public static Tensor Slice(Tensor a, int axis, int start, int end)
    {
        int r = a.Rank, ax = axis < 0 ? axis + r : axis;
        if (ax < 0 || ax >= r || start < 0 || end > a.Shape[ax] || start >= end) throw new ArgumentException($"slice: [{start}, {end}) of axis {axis} of {ShapeUtil.Format(a.Shape)}.");
        var shape = (int[])a.Shape.Clone();
        shape[ax] = end - start;
        var y = new Tensor(shape);
        Layout.Slice(a.Data, a.Shape, ax, start, y.Data, shape);
        return y;
    }

    /// <summary>Sum over one axis (negative counts from the end), like <c>x.sum(dim, keepdim)</c>.</summary>
    [Op("sum_axis")] public static Tensor Sum(Tensor a, int axis, bool keepDim = false) => ReduceAxis(a, axis, keepDim, false);

    /// <summary>Mean over one axis, like <c>x.mean(dim, keepdim)</c>.</summary>
    [Op("mean_axis")] public static Tensor Mean(Tensor a, int axis, bool keepDim = false) => ReduceAxis(a, axis, keepDim, true);

    /// <summary>Flattens every dimension after the first: [n, ...] → [n, rest].</summary>
    [Op("flatten")]
    public static Tensor Flatten(Tensor a) => new(new[] { a.Shape[0], a.Count / Math.Max(a.Shape[0], 1) }, a.Data);

    /// <summary>A view with a new shape (same element count), like <c>x.reshape(...)</c>; <see cref="Dim.Batch"/> keeps the first dimension.</summary>
    [Op("reshape")]
    public static Tensor Reshape(Tensor a, params int[] shape)
    {
        var s = (int[])shape.Clone();
        for (int i = 0; i < s.Length; i++) if (s[i] == Dim.Batch) s[i] = a.Shape[0];
        if (ShapeUtil.Count(s) != a.Count) throw new ArgumentException($"reshape: {ShapeUtil.Format(a.Shape)} cannot become {ShapeUtil.Format(s)}.");
        return new Tensor(s, a.Data);
    }

    /// <summary>Reorders the dimensions, like <c>x.permute(dims)</c>: result dim i is input dim <paramref name="dims"/>[i].</summary>
    [Op("permute")]
    public static Tensor Permute(Tensor a, params int[] dims)
    {
        if (dims.Length != a.Rank || dims.Distinct().Count() != dims.Length || dims.Any(d => d < 0 || d >= a.Rank))
            throw new ArgumentException($"permute: ({string.Join(", ", dims)}) is not a permutation of the {a.Rank} dimensions of {ShapeUtil.Format(a.Shape)}.");
        var y = new Tensor(dims.Select(d => a.Shape[d]).ToArray());
        Layout.Permute(a.Data, a.Shape, dims, y.Data);
        return y;
    }

    /// <summary>Swaps two dimensions, like <c>x.transpose(d0, d1)</c>.</summary>
    [Op("transpose")]
    public static Tensor Transpose(Tensor a, int dim0, int dim1)
    {
        int r = a.Rank;
        dim0 = dim0 < 0 ? dim0 + r : dim0; dim1 = dim1 < 0 ? dim1 + r : dim1;
        var perm = new int[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        (perm[dim0], perm[dim1]) = (perm[dim1], perm[dim0]);
        var shape = new int[r];
        for (int i = 0; i < r; i++) shape[i] = a.Shape[perm[i]];
        var y = new Tensor(shape);
        Layout.Permute(a.Data, a.Shape, perm, y.Data);
        return y;
    }

    /// <summary>Batched matrix product [.., m, k]·[.., k, n] with broadcasting of a missing batch, like <c>torch.matmul</c>.</summary>
    [Op("matmul")]
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank < 2 || b.Rank < 2 || a.Shape[^1] != b.Shape[^2])
            throw new ArgumentException($"matmul: {ShapeUtil.Format(a.Shape)} · {ShapeUtil.Format(b.Shape)} do not multiply.");
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        int ba = a.Count / (m * k), bb = b.Count / (k * n), batch = Math.Max(ba, bb);
        var shape = (int[])(a.Rank >= b.Rank ? a.Shape : b.Shape).Clone();
        shape[^2] = m; shape[^1] = n;
        var y = new Tensor(shape);
        Kernels.MatMul.Forward(a.Data, b.Data, y.Data, batch, ba, bb, m, k, n);
        return y;
    }

    /// <summary>Max pooling over k×k windows of NCHW input (stride defaults to k), like <c>F.max_pool2d</c>.</summary>
    [Op("max_pool2d")]
    public static Tensor MaxPool2d(Tensor x, int kernelSize, int stride = 0, int padding = 0) => Pool(x, kernelSize, stride, padding, max: true);

    /// <summary>Average pooling over k×k windows (padding counted, torch's default), like <c>F.avg_pool2d</c>.</summary>
    [Op("avg_pool2d")]
    public static Tensor AvgPool2d(Tensor x, int kernelSize, int stride = 0, int padding = 0) => Pool(x, kernelSize, stride, padding, max: false);

    /// <summary>Mean over the spatial dimensions: [n, c, h, w] → [n, c] (adaptive_avg_pool2d(1) + flatten).</summary>
    [Op("global_avg_pool")]
    public static Tensor GlobalAvgPool(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"global_avg_pool needs [n, c, h, w], got {ShapeUtil.Format(x.Shape)}.");
        var y = new Tensor(x.Shape[0], x.Shape[1]);
        Layout.ReduceAxis(x.Data, y.Data, x.Shape[0] * x.Shape[1], x.Shape[2] * x.Shape[3], 1, mean: true);
        return y;
    }

    private static Tensor Pool(Tensor x, int k, int stride, int pad, bool max)
    {
        if (x.Rank != 4) throw new ArgumentException($"pooling needs [n, c, h, w], got {ShapeUtil.Format(x.Shape)}.");
        if (stride == 0) stride = k;
        int h = x.Shape[2], w = x.Shape[3];
        var y = new Tensor(x.Shape[0], x.Shape[1], Pool2d.OutSize(h, k, stride, pad), Pool2d.OutSize(w, k, stride, pad));
        if (max) Pool2d.MaxForward(x.Data, y.Data, x.Shape[0] * x.Shape[1], h, w, k, stride, pad);
        else Pool2d.AvgForward(x.Data, y.Data, x.Shape[0] * x.Shape[1], h, w, k, stride, pad);
        return y;
    }

    private static Tensor ReduceAxis(Tensor a, int axis, bool keepDim, bool mean)
    {
        int r = a.Rank;
        int ax = axis < 0 ? axis + r : axis;
        if (ax < 0 || ax >= r) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Axis out of range for {ShapeUtil.Format(a.Shape)}.");
        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= a.Shape[i];
        for (int i = ax + 1; i < r; i++) inner *= a.Shape[i];
        var shape = new System.Collections.Generic.List<int>(a.Shape);
        if (keepDim) shape[ax] = 1; else shape.RemoveAt(ax);
        var y = new Tensor(shape.ToArray());
        Layout.ReduceAxis(a.Data, y.Data, outer, a.Shape[ax], inner, mean);
        return y;
    }

    private delegate void UnaryKernel(ReadOnlySpan<float> x, Span<float> y);

    private static Tensor Map(Tensor a, UnaryKernel k)
    {
        var y = new Tensor(a.Shape);
        k(a.Data, y.Data);
        return y;
    }

    /// <summary>Mean over all elements (a scalar), like <c>torch.mean(x)</c>.</summary>
    [Op("mean")] public static Tensor Mean(Tensor a) => Tensor.Scalar(a.Count == 0 ? float.NaN : TensorPrimitives.Sum(a.Data) / a.Count);

    /// <summary>Sum over all elements (a scalar), like <c>torch.sum(x)</c>.</summary>
    [Op("sum")] public static Tensor Sum(Tensor a) => Tensor.Scalar(TensorPrimitives.Sum(a.Data));

    /// <summary>Mean squared error with mean reduction, like <c>torch.nn.functional.mse_loss</c>.</summary>
    [Op("mse_loss", IsLoss = true)]
    public static Tensor MseLoss(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        if (!prediction.Shape.AsSpan().SequenceEqual(target.Shape))
            throw new ArgumentException($"mse_loss: prediction {ShapeUtil.Format(prediction.Shape)} and target {ShapeUtil.Format(target.Shape)} differ.");
        var d = Sub(prediction, target);
        return reduction == Reduction.Sum ? Sum(Mul(d, d)) : Mean(Mul(d, d));
    }

    private static Tensor Binary(Tensor a, Tensor b, BinaryOp op, string name)
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape, name);
        var y = new Tensor(shape);
        Elementwise.Binary(op, a.Data, a.Shape, b.Data, b.Shape, y.Data, shape);
        return y;
    }
}

// One tiny training model per op: a learnable Parameter goes through the op, and the loss is a
// random projection Σ w·op(A) (w is the "label" input), so dLoss/dA is exactly the op's VJP
// applied to w. Tests compare it with finite differences of an independent float64 reference.
using TrainingGen;

namespace TrainingGen.Tests.Models.OpChecks;

public static class Projections
{
    /// <summary>Σ y·w: a random linear functional of y, so d/dy = w.</summary>
    [Loss] public static Tensor Project(Tensor y, Tensor w) => Ops.Sum(y * w);
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class ReluCheck
{
    public Parameter A { get; } = new(3, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 4)] Tensor w) { var y = Ops.Relu(A.Forward()); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class SigmoidCheck
{
    public Parameter A { get; } = new(2, 5);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 5)] Tensor w) { var y = Ops.Sigmoid(A.Forward()); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class TanhCheck
{
    public Parameter A { get; } = new(4, 3);
    public (Tensor Loss, Tensor Y) Forward([Shape(4, 3)] Tensor w) { var y = Ops.Tanh(A.Forward()); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class ExpLogCheck
{
    public Parameter A { get; } = new(3, 3);
    // log(σ(exp(a)) + 1/2) exercises exp, sigmoid and log with a positive argument
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 3)] Tensor w) { var y = Ops.Log(Ops.Sigmoid(Ops.Exp(A.Forward())) + 0.5f); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class SqrtCheck
{
    public Parameter A { get; } = new(2, 3);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 3)] Tensor w) { var a = A.Forward(); var y = Ops.Sqrt(a * a + 1f); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class SiluCheck
{
    public Parameter A { get; } = new(3, 5);
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 5)] Tensor w) { var y = Ops.Silu(A.Forward()); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class LeakyReluCheck
{
    public Parameter A { get; } = new(4, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(4, 4)] Tensor w) { var y = Ops.LeakyRelu(A.Forward(), 0.2f); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class GeluCheck
{
    public Parameter A { get; } = new(3, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 4)] Tensor w) { var y = Ops.Gelu(A.Forward()); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class GeluTanhCheck
{
    public Parameter A { get; } = new(3, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 4)] Tensor w) { var y = Ops.Gelu(A.Forward(), tanhApproximation: true); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class SoftmaxCheck
{
    public Parameter A { get; } = new(2, 3, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 3, 4)] Tensor w) { var y = Ops.Softmax(A.Forward()); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class LogSoftmaxCheck
{
    public Parameter A { get; } = new(3, 5);
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 5)] Tensor w) { var y = Ops.LogSoftmax(A.Forward()); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class CrossEntropyCheck
{
    public Parameter A { get; } = new(4, 5);
    public (Tensor Loss, Tensor Logits) Forward([Shape(4)] Tensor labels) { var z = A.Forward(); return (Ops.CrossEntropy(z, labels), z); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class SmoothedCrossEntropyCheck
{
    public Parameter A { get; } = new(3, 4);
    public (Tensor Loss, Tensor Logits) Forward([Shape(3)] Tensor labels) { var z = A.Forward(); return (Ops.CrossEntropy(z, labels, 0.1f), z); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class BroadcastArithmeticCheck
{
    public Parameter A { get; } = new(3, 4);
    public Parameter B { get; } = new(4);
    public Parameter C { get; } = new(3, 1);
    // (a + b) * c − a / (c·c + 2), broadcasting [3,4] with [4] and [3,1]
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 4)] Tensor w)
    {
        var a = A.Forward(); var c = C.Forward();
        var y = (a + B.Forward()) * c - a / (c * c + 2f);
        return (Projections.Project(y, w), y);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class ReduceAxisCheck
{
    public Parameter A { get; } = new(2, 3, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 4)] Tensor w, [Shape(2, 3, 1)] Tensor v)
    {
        var a = A.Forward();
        var s = Ops.Sum(a, 1);                       // [2, 4]
        var m = Ops.Mean(a, -1, keepDim: true);      // [2, 3, 1]
        return (Projections.Project(s, w) + Projections.Project(m, v) - Ops.Mean(a), s);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class LayoutCheck
{
    public Parameter A { get; } = new(2, 3, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(4, 6)] Tensor w, [Shape(2, 12)] Tensor v)
    {
        var a = A.Forward();
        var t = Ops.Reshape(Ops.Transpose(a, 0, 2), 4, 6);   // [4, 3, 2] → [4, 6]
        var f = Ops.Flatten(a);                               // [2, 12]
        return (Projections.Project(t, w) + Projections.Project(f * f, v), t);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class MatMulCheck
{
    public Parameter A { get; } = new(2, 3, 4);
    public Parameter B { get; } = new(2, 4, 5);
    public Parameter W { get; } = new(5, 2);
    // batched [2,3,4]·[2,4,5], then a shared (unbatched) weight [5,2]
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 3, 2)] Tensor proj)
    {
        var y = Ops.MatMul(Ops.MatMul(A.Forward(), B.Forward()), W.Forward());
        return (Projections.Project(y, proj), y);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class MseCheck
{
    public Parameter A { get; } = new(3, 2);
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 2)] Tensor t) { var a = A.Forward(); return (Ops.MseLoss(-a, t), a); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class ConvCheck
{
    public Parameter X { get; } = new(2, 2, 7, 7);
    public Conv2d Conv { get; } = new(2, 4, 3, stride: 2, padding: 1);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 4, 4, 4)] Tensor proj) { var y = Conv.Forward(X.Forward()); return (Projections.Project(y, proj), y); }
}

/// <summary>
/// The direct kernels and both fusions: conv (stride 1, padding 1, 11 columns: not a multiple of 8; 5
/// channels: not a multiple of either tile) → relu (stored by the conv) → 2×2 max pool over an odd 9×11
/// plane (backward fused with the relu's); x is a parameter, so dx runs too.
/// </summary>
[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class DirectConvCheck
{
    public Parameter X { get; } = new(2, 3, 9, 11);
    public Conv2d Conv { get; } = new(3, 5, 3, padding: 1);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 5, 4, 5)] Tensor proj)
    {
        var y = Ops.MaxPool2d(Ops.Relu(Conv.Forward(X.Forward())), 2);
        return (Projections.Project(y, proj), y);
    }
}

/// <summary>The direct kernels without bias or fusion: batch 1, k = 5, "same" padding, 7 output channels.</summary>
[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class DirectConvNoBiasCheck
{
    public Parameter X { get; } = new(1, 2, 6, 12);
    public Conv2d Conv { get; } = new(2, 7, 5, padding: 2, bias: false);
    public (Tensor Loss, Tensor Y) Forward([Shape(1, 7, 6, 12)] Tensor proj) { var y = Conv.Forward(X.Forward()); return (Projections.Project(y, proj), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class GroupedConvCheck
{
    public Parameter X { get; } = new(1, 4, 5, 5);
    public Conv2d Conv { get; } = new(4, 6, 3, groups: 2, bias: false);
    public (Tensor Loss, Tensor Y) Forward([Shape(1, 6, 3, 3)] Tensor proj) { var y = Conv.Forward(X.Forward()); return (Projections.Project(y, proj), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class PoolCheck
{
    public Parameter X { get; } = new(2, 3, 5, 5);
    // 5×5 with k = 2: the last row and column are never read, so their gradient is zero.
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 3, 2, 2)] Tensor p, [Shape(2, 3, 2, 2)] Tensor q, [Shape(2, 3)] Tensor r)
    {
        var x = X.Forward();
        var m = Ops.MaxPool2d(x, 2);
        var a = Ops.AvgPool2d(x, 2);
        var g = Ops.GlobalAvgPool(x);
        return (Projections.Project(m, p) + Projections.Project(a, q) + Projections.Project(g, r), m);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class LayerNormCheck
{
    public Parameter X { get; } = new(2, 3, 5);
    public LayerNorm Norm { get; } = new(5);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 3, 5)] Tensor proj) { var y = Norm.Forward(X.Forward()); return (Projections.Project(y, proj), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class EmbeddingCheck
{
    public Embedding Table { get; } = new(7, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 3)] Tensor tokens, [Shape(2, 3, 4)] Tensor proj) { var y = Table.Forward(tokens); return (Projections.Project(y, proj), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class Rank3LinearCheck
{
    public Parameter X { get; } = new(2, 3, 4);
    public Linear Fc { get; } = new(4, 5);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 3, 5)] Tensor proj) { var y = Fc.Forward(X.Forward()); return (Projections.Project(y, proj), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class PointwiseLossCheck
{
    public Parameter P { get; } = new(3, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 4)] Tensor t)
    {
        var p = P.Forward();
        var loss = Ops.L1Loss(p, t) + Ops.HuberLoss(p * 2f, t, 0.5f) + Ops.SmoothL1Loss(p, t, 0.7f, Reduction.Sum) + Ops.BinaryCrossEntropyWithLogits(p, t);
        return (loss, p * 1f);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class NllCheck
{
    public Parameter Z { get; } = new(4, 3);
    public (Tensor Loss, Tensor Y) Forward([Shape(4)] Tensor labels)
    {
        var logp = Ops.LogSoftmax(Z.Forward());
        return (Ops.NllLoss(logp, labels, Reduction.Sum), logp);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class ConcatSliceCheck
{
    public Parameter A { get; } = new(2, 3);
    public Parameter B { get; } = new(2, 5);
    public (Tensor Loss, Tensor Y) Forward([Shape(2, 4)] Tensor proj)
    {
        var y = Ops.Slice(Ops.Concat(A.Forward(), B.Forward(), 1), 1, 2, 6);   // columns 2..5 of [a | b]
        return (Projections.Project(y, proj), y);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class DropoutCheck
{
    public Parameter P { get; } = new(4, 50);
    public (Tensor Loss, Tensor Y) Forward([Shape(4, 50)] Tensor proj) { var y = Ops.Dropout(P.Forward(), 0.3f); return (Projections.Project(y, proj), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class PermuteSumLossCheck
{
    public Parameter A { get; } = new(2, 3, 4);
    public (Tensor Loss, Tensor Y) Forward([Shape(4, 2, 3)] Tensor t)
    {
        var y = Ops.Permute(A.Forward(), 2, 0, 1);                 // [4, 2, 3]
        return (Ops.MseLoss(y, t, Reduction.Sum) + Ops.CrossEntropy(Ops.Reshape(y, 8, 3), Ops.Reshape(Ops.Sum(t, 2), 8) * 0f, 0f, Reduction.Sum), y);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class DilatedConvCheck
{
    public Parameter X { get; } = new(1, 2, 9, 9);
    public Conv2d Conv { get; } = new(2, 3, 3, stride: 2, padding: 2, dilation: 2);
    public (Tensor Loss, Tensor Y) Forward([Shape(1, 3, 5, 5)] Tensor proj) { var y = Conv.Forward(X.Forward()); return (Projections.Project(y, proj), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class OverlappingPoolCheck
{
    public Parameter X { get; } = new(1, 2, 7, 7);
    // 3×3 windows, stride 2, padding 1: overlapping and padded (avg counts the padding, as torch).
    public (Tensor Loss, Tensor Y) Forward([Shape(1, 2, 4, 4)] Tensor p, [Shape(1, 2, 4, 4)] Tensor q)
    {
        var x = X.Forward();
        var m = Ops.MaxPool2d(x, 3, 2, 1);
        var a = Ops.AvgPool2d(x, 3, 2, 1);
        return (Projections.Project(m, p) + Projections.Project(a, q), m);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class CrossEntropySumCheck
{
    public Linear Fc { get; } = new(4, 3);
    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 4)] Tensor x, [Shape(Dim.Batch)] Tensor labels)
    {
        var z = Fc.Forward(x);
        return (Ops.CrossEntropy(z, labels, 0.05f, Reduction.Sum), z);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class BatchedOpsCheck
{
    public Linear Fc { get; } = new(5, 6);
    public Parameter Shift { get; } = new(1, 6);
    // Elementwise ops, softmax and broadcasting on a [batch, 6] value, for several batch sizes.
    public (Tensor Loss, Tensor Y) Forward([Shape(Dim.Batch, 5)] Tensor x, [Shape(Dim.Batch, 6)] Tensor w)
    {
        var z = Fc.Forward(x) + Shift.Forward();
        var y = Ops.Relu(z) + Ops.Sigmoid(z) * Ops.Tanh(z) - Ops.Gelu(z) / (Ops.Exp(z) + 1f) + Ops.Softmax(z) * Ops.Silu(z) + Ops.LeakyRelu(z, 0.1f) - Ops.LogSoftmax(z);
        return (Projections.Project(y, w) + Projections.Project(Ops.Mean(z, 1, keepDim: true), Ops.Sum(w, 1, keepDim: true)), y);
    }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class SoftplusCheck
{
    public Parameter A { get; } = new(3, 4);
    // 8·a spreads the arguments past ±20, so both sides of torch's threshold are differentiated
    public (Tensor Loss, Tensor Y) Forward([Shape(3, 4)] Tensor w) { var y = Ops.Softplus(A.Forward() * 8f); return (Projections.Project(y, w), y); }
}

[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class MishCheck
{
    public Parameter A { get; } = new(4, 3);
    public (Tensor Loss, Tensor Y) Forward([Shape(4, 3)] Tensor w) { var y = Ops.Mish(A.Forward() * 3f); return (Projections.Project(y, w), y); }
}

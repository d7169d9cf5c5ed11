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
        var indices = b.Cast(labels, MilDType.Int32);
        var oneHot = b.Op("one_hot", new MilTensorType(MilDType.Float32, new[] { labels.Shape[0], (long)classes }), null,
            ("indices", indices), ("one_hot_vector_size", MilTensor.Scalar(classes)), ("axis", MilTensor.Scalar(-1)),
            ("on_value", MilTensor.Scalar(1f - smoothing + smoothing / classes)), ("off_value", MilTensor.Scalar(smoothing / classes)));
        return oneHot;
    }

    /// <summary>Mean over the batch of −Σ target·log_softmax(logits): torch's cross_entropy with label smoothing.</summary>
    public static MilVar CrossEntropy(MilFunctionBuilder b, MilVar logits, MilVar labels, float smoothing, string? name = null)
    {
        var logp = LogSoftmax(b, logits);
        var target = Target(b, labels, checked((int)logits.Shape[1]), smoothing);
        var perSample = b.ReduceSum(b.Mul(target, logp), new[] { 1 }, false);
        return b.Mul(b.ReduceMean(perSample, new[] { 0 }, false), b.Scalar(-1f), name);
    }

    /// <summary>d(cross_entropy)/dlogits = (softmax(logits) − target)·g/batch.</summary>
    public static MilVar CrossEntropyGrad(MilFunctionBuilder b, MilVar g, MilVar logits, MilVar labels, float smoothing, string? name = null)
    {
        var target = Target(b, labels, checked((int)logits.Shape[1]), smoothing);
        var scale = b.Mul(g, b.Scalar(1f / logits.Shape[0]));
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

    /// <summary>The type of x with its last dimension reduced to 1.</summary>
    public static MilTensorType KeepLast(MilTensorType t) =>
        new(t.DType, t.Shape!.Select((d, i) => i == t.Shape!.Length - 1 ? 1L : d).ToArray());
}

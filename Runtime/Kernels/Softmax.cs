using System;
using System.Numerics.Tensors;

namespace TrainingGen.Kernels;

/// <summary>
/// Softmax-family kernels over the last axis of a [rows, n] view, plus the fused softmax +
/// cross-entropy used by classification losses (stable: subtract the row max).
/// </summary>
public static class Softmax
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int n)
    {
        for (int r = 0; r < x.Length / n; r++)
        {
            var xr = x.Slice(r * n, n); var yr = y.Slice(r * n, n);
            TensorPrimitives.Subtract(xr, TensorPrimitives.Max(xr), yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Divide(yr, TensorPrimitives.Sum(yr), yr);
        }
    }

    /// <summary>dx = y ⊙ (g − Σ g⊙y) per row.</summary>
    public static void Backward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx, int n)
    {
        for (int r = 0; r < y.Length / n; r++)
        {
            var gr = g.Slice(r * n, n); var yr = y.Slice(r * n, n); var dr = dx.Slice(r * n, n);
            float dot = TensorPrimitives.Dot(gr, yr);
            for (int i = 0; i < n; i++) dr[i] = yr[i] * (gr[i] - dot);
        }
    }

    public static void LogForward(ReadOnlySpan<float> x, Span<float> y, int n)
    {
        for (int r = 0; r < x.Length / n; r++)
        {
            var xr = x.Slice(r * n, n); var yr = y.Slice(r * n, n);
            float max = TensorPrimitives.Max(xr);
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Exp(xr[i] - max);
            TensorPrimitives.Subtract(xr, (float)(max + Math.Log(sum)), yr);
        }
    }

    /// <summary>dx = g − exp(y)·Σ g per row, for y = log_softmax(x).</summary>
    public static void LogBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx, int n)
    {
        for (int r = 0; r < y.Length / n; r++)
        {
            var gr = g.Slice(r * n, n); var yr = y.Slice(r * n, n); var dr = dx.Slice(r * n, n);
            float sum = TensorPrimitives.Sum(gr);
            for (int i = 0; i < n; i++) dr[i] = gr[i] - MathF.Exp(yr[i]) * sum;
        }
    }

    /// <summary>
    /// Mean cross-entropy of logits [rows, n] against class indices, with label smoothing ε
    /// (target = (1 − ε)·onehot + ε/n), like torch.nn.functional.cross_entropy. Writes the
    /// softmax probabilities to <paramref name="probabilities"/> for the backward pass.
    /// </summary>
    public static float CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> labels, Span<float> probabilities, int n, float smoothing) =>
        CrossEntropyCore(logits, labels, probabilities, n, smoothing);

    /// <summary><see cref="CrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, float)"/> with int32 class labels.</summary>
    public static float CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, int n, float smoothing) =>
        CrossEntropyCore(logits, labels, probabilities, n, smoothing);

    private static float CrossEntropyCore<TLabel>(ReadOnlySpan<float> logits, ReadOnlySpan<TLabel> labels, Span<float> probabilities, int n, float smoothing)
        where TLabel : unmanaged, System.Numerics.INumberBase<TLabel>
    {
        int rows = logits.Length / n;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var xr = logits.Slice(r * n, n);
            int label = ClassIndex.Of(labels[r], n, r, "cross_entropy");
            float max = TensorPrimitives.Max(xr);
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Exp(xr[i] - max);
            double logZ = max + Math.Log(sum);
            var pr = probabilities.Slice(r * n, n);
            double meanLogP = 0;
            for (int i = 0; i < n; i++)
            {
                double lp = xr[i] - logZ;
                pr[i] = (float)Math.Exp(lp);
                meanLogP += lp;
            }
            meanLogP /= n;
            total += -(1 - smoothing) * (xr[label] - logZ) - smoothing * meanLogP;
        }
        return (float)(total / rows);
    }

    /// <summary>dlogits = g·(p − target)/rows.</summary>
    public static void CrossEntropyBackward(float g, ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels, Span<float> dx, int n, float smoothing) =>
        CrossEntropyBackwardCore(g, probabilities, labels, dx, n, smoothing);

    /// <summary><see cref="CrossEntropyBackward(float, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, float)"/> with int32 class labels.</summary>
    public static void CrossEntropyBackward(float g, ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, Span<float> dx, int n, float smoothing) =>
        CrossEntropyBackwardCore(g, probabilities, labels, dx, n, smoothing);

    private static void CrossEntropyBackwardCore<TLabel>(float g, ReadOnlySpan<float> probabilities, ReadOnlySpan<TLabel> labels, Span<float> dx, int n, float smoothing)
        where TLabel : unmanaged, System.Numerics.INumberBase<TLabel>
    {
        int rows = probabilities.Length / n;
        float scale = g / rows, off = smoothing / n;
        for (int r = 0; r < rows; r++)
        {
            int label = ClassIndex.Of(labels[r], n, r, "cross_entropy");
            for (int i = 0; i < n; i++)
                dx[r * n + i] = scale * (probabilities[r * n + i] - off - (i == label ? 1f - smoothing : 0f));
        }
    }
}

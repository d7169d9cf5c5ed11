using System;
using System.Numerics.Tensors;

namespace TrainingGen.Kernels;

/// <summary>
/// Kernels of a fully connected layer <c>y = x·Wᵀ + b</c> with <c>x [rows, in]</c>,
/// <c>W [out, in]</c>, <c>b [out]</c>, <c>y [rows, out]</c>, and its three adjoints.
/// Rows of W and x are contiguous, so every inner loop is a TensorPrimitives dot or axpy.
/// </summary>
public static class Dense
{
    public static void LinearForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        Span<float> y, int rows, int inFeatures, int outFeatures)
    {
        Check(x.Length, rows * inFeatures, "x"); Check(w.Length, outFeatures * inFeatures, "weight"); Check(y.Length, rows * outFeatures, "y");
        for (int i = 0; i < rows; i++)
        {
            var xi = x.Slice(i * inFeatures, inFeatures);
            var yi = y.Slice(i * outFeatures, outFeatures);
            for (int o = 0; o < outFeatures; o++)
                yi[o] = TensorPrimitives.Dot(xi, w.Slice(o * inFeatures, inFeatures)) + (b.IsEmpty ? 0f : b[o]);
        }
    }

    /// <summary><c>dW = dyᵀ·x</c> (overwrites <paramref name="dw"/>).</summary>
    public static void LinearWeightGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw,
        int rows, int inFeatures, int outFeatures)
    {
        dw.Clear();
        for (int i = 0; i < rows; i++)
        {
            var xi = x.Slice(i * inFeatures, inFeatures);
            for (int o = 0; o < outFeatures; o++)
            {
                float g = dy[i * outFeatures + o];
                if (g != 0f) TensorPrimitives.MultiplyAdd(xi, g, dw.Slice(o * inFeatures, inFeatures), dw.Slice(o * inFeatures, inFeatures));
            }
        }
    }

    /// <summary><c>db = Σ_rows dy</c> (overwrites <paramref name="db"/>).</summary>
    public static void LinearBiasGrad(ReadOnlySpan<float> dy, Span<float> db, int rows, int outFeatures)
    {
        db.Clear();
        for (int i = 0; i < rows; i++) TensorPrimitives.Add(db, dy.Slice(i * outFeatures, outFeatures), db);
    }

    /// <summary><c>dx = dy·W</c> (overwrites <paramref name="dx"/>).</summary>
    public static void LinearInputGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx,
        int rows, int inFeatures, int outFeatures)
    {
        dx.Clear();
        for (int i = 0; i < rows; i++)
        {
            var dxi = dx.Slice(i * inFeatures, inFeatures);
            for (int o = 0; o < outFeatures; o++)
            {
                float g = dy[i * outFeatures + o];
                if (g != 0f) TensorPrimitives.MultiplyAdd(w.Slice(o * inFeatures, inFeatures), g, dxi, dxi);
            }
        }
    }

    private static void Check(int actual, int expected, string what)
    {
        if (actual != expected) throw new ArgumentException($"Linear kernel: '{what}' has {actual} elements, expected {expected}.");
    }
}

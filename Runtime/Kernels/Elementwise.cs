using System;
using System.Numerics.Tensors;

namespace TrainingGen.Kernels;

public enum BinaryOp { Add, Sub, Mul, Div }

/// <summary>
/// Elementwise kernels with NumPy broadcasting. Same-shape and scalar cases go straight to
/// TensorPrimitives (vectorised); the general case walks the output with stack-allocated
/// strides, so no call allocates.
/// </summary>
public static class Elementwise
{
    private const int MaxRank = 8;

    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<int> aShape,
        ReadOnlySpan<float> b, ReadOnlySpan<int> bShape, Span<float> y, ReadOnlySpan<int> yShape)
    {
        if (a.Length == y.Length && b.Length == y.Length) { Same(op, a, b, y); return; }
        if (b.Length == 1 && a.Length == y.Length) { ScalarRight(op, a, b[0], y); return; }
        if (a.Length == 1 && b.Length == y.Length) { ScalarLeft(op, a[0], b, y); return; }

        int r = yShape.Length;
        if (r > MaxRank) throw new NotSupportedException($"Broadcasting supports rank ≤ {MaxRank}.");
        Span<int> sa = stackalloc int[MaxRank], sb = stackalloc int[MaxRank], idx = stackalloc int[MaxRank];
        BroadcastStrides(aShape, yShape, sa);
        BroadcastStrides(bShape, yShape, sb);
        idx.Clear();
        int ia = 0, ib = 0;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = Apply(op, a[ia], b[ib]);
            for (int d = r - 1; d >= 0; d--)
            {
                idx[d]++; ia += sa[d]; ib += sb[d];
                if (idx[d] < yShape[d]) break;
                ia -= sa[d] * yShape[d]; ib -= sb[d] * yShape[d]; idx[d] = 0;
            }
        }
    }

    /// <summary>
    /// Sums <paramref name="g"/> (shape <paramref name="gShape"/>) down to <paramref name="xShape"/>:
    /// the adjoint of broadcasting. <paramref name="x"/> is overwritten.
    /// </summary>
    public static void SumToShape(ReadOnlySpan<float> g, ReadOnlySpan<int> gShape, Span<float> x, ReadOnlySpan<int> xShape)
    {
        if (g.Length == x.Length) { g.CopyTo(x); return; }
        if (x.Length == 1) { x[0] = TensorPrimitives.Sum(g); return; }
        int r = gShape.Length;
        Span<int> sx = stackalloc int[MaxRank], idx = stackalloc int[MaxRank];
        BroadcastStrides(xShape, gShape, sx);
        idx.Clear();
        x.Clear();
        int ix = 0;
        for (int i = 0; i < g.Length; i++)
        {
            x[ix] += g[i];
            for (int d = r - 1; d >= 0; d--)
            {
                idx[d]++; ix += sx[d];
                if (idx[d] < gShape[d]) break;
                ix -= sx[d] * gShape[d]; idx[d] = 0;
            }
        }
    }

    // Strides of `shape` laid against the (right-aligned) output shape; 0 where broadcast.
    private static void BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> outShape, Span<int> strides)
    {
        int r = outShape.Length, off = r - shape.Length, s = 1;
        for (int d = r - 1; d >= 0; d--)
        {
            int dim = d >= off ? shape[d - off] : 1;
            strides[d] = dim == 1 ? 0 : s;
            s *= dim;
        }
    }

    private static float Apply(BinaryOp op, float x, float z) => op switch
    {
        BinaryOp.Add => x + z,
        BinaryOp.Sub => x - z,
        BinaryOp.Mul => x * z,
        _ => x / z,
    };

    private static void Same(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, y); break;
            default: TensorPrimitives.Divide(a, b, y); break;
        }
    }

    private static void ScalarRight(BinaryOp op, ReadOnlySpan<float> a, float s, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(a, s, y); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(a, s, y); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(a, s, y); break;
            default: TensorPrimitives.Divide(a, s, y); break;
        }
    }

    private static void ScalarLeft(BinaryOp op, float s, ReadOnlySpan<float> b, Span<float> y)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(b, s, y); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(s, b, y); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(b, s, y); break;
            default: TensorPrimitives.Divide(s, b, y); break;
        }
    }
}

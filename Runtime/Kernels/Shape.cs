using System;

namespace TrainingGen.Kernels;

/// <summary>Layout kernels: axis reductions and transposes on row-major data (no allocation).</summary>
public static class Layout
{
    /// <summary>Sums [outer, axis, inner] over the middle axis into [outer, inner]; mean divides by axis.</summary>
    public static void ReduceAxis(ReadOnlySpan<float> x, Span<float> y, int outer, int axis, int inner, bool mean)
    {
        y.Clear();
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < axis; a++)
            {
                var src = x.Slice((o * axis + a) * inner, inner);
                var dst = y.Slice(o * inner, inner);
                for (int i = 0; i < inner; i++) dst[i] += src[i];
            }
        if (mean) for (int i = 0; i < y.Length; i++) y[i] /= axis;
    }

    /// <summary>The adjoint of <see cref="ReduceAxis"/>: broadcasts [outer, inner] back over the axis.</summary>
    public static void ReduceAxisBackward(ReadOnlySpan<float> g, Span<float> dx, int outer, int axis, int inner, bool mean)
    {
        float scale = mean ? 1f / axis : 1f;
        for (int o = 0; o < outer; o++)
            for (int a = 0; a < axis; a++)
            {
                var src = g.Slice(o * inner, inner);
                var dst = dx.Slice((o * axis + a) * inner, inner);
                for (int i = 0; i < inner; i++) dst[i] = src[i] * scale;
            }
    }

    /// <summary>y = x with dimensions permuted: y.shape[i] = x.shape[perm[i]].</summary>
    public static void Permute(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, ReadOnlySpan<int> perm, Span<float> y)
    {
        int r = shape.Length;
        Span<int> xStrides = stackalloc int[8], yShape = stackalloc int[8], idx = stackalloc int[8], step = stackalloc int[8];
        int s = 1;
        for (int d = r - 1; d >= 0; d--) { xStrides[d] = s; s *= shape[d]; }
        for (int d = 0; d < r; d++) { yShape[d] = shape[perm[d]]; step[d] = xStrides[perm[d]]; idx[d] = 0; }
        int src = 0;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = x[src];
            for (int d = r - 1; d >= 0; d--)
            {
                idx[d]++; src += step[d];
                if (idx[d] < yShape[d]) break;
                src -= step[d] * yShape[d]; idx[d] = 0;
            }
        }
    }
}

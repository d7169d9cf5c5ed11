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

    private static (int Outer, int Inner) Around(ReadOnlySpan<int> shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, inner);
    }

    /// <summary>y = [a | b] along <paramref name="axis"/>.</summary>
    public static void Concat(ReadOnlySpan<float> a, ReadOnlySpan<int> aShape, ReadOnlySpan<float> b, ReadOnlySpan<int> bShape, int axis, Span<float> y)
    {
        var (outer, inner) = Around(aShape, axis);
        int ca = aShape[axis] * inner, cb = bShape[axis] * inner;
        for (int o = 0; o < outer; o++)
        {
            a.Slice(o * ca, ca).CopyTo(y.Slice(o * (ca + cb), ca));
            b.Slice(o * cb, cb).CopyTo(y.Slice(o * (ca + cb) + ca, cb));
        }
    }

    /// <summary>The adjoint of concat: g split back into its two parts (either may be empty to skip it).</summary>
    public static void ConcatBackward(ReadOnlySpan<float> g, ReadOnlySpan<int> aShape, ReadOnlySpan<int> bShape, int axis, Span<float> da, Span<float> db)
    {
        var (outer, inner) = Around(aShape, axis);
        int ca = aShape[axis] * inner, cb = bShape[axis] * inner;
        for (int o = 0; o < outer; o++)
        {
            if (!da.IsEmpty) g.Slice(o * (ca + cb), ca).CopyTo(da.Slice(o * ca, ca));
            if (!db.IsEmpty) g.Slice(o * (ca + cb) + ca, cb).CopyTo(db.Slice(o * cb, cb));
        }
    }

    /// <summary>y = x[..., start:start+len, ...] along <paramref name="axis"/>.</summary>
    public static void Slice(ReadOnlySpan<float> x, ReadOnlySpan<int> xShape, int axis, int start, Span<float> y, ReadOnlySpan<int> yShape)
    {
        var (outer, inner) = Around(xShape, axis);
        int cx = xShape[axis] * inner, cy = yShape[axis] * inner;
        for (int o = 0; o < outer; o++) x.Slice(o * cx + start * inner, cy).CopyTo(y.Slice(o * cy, cy));
    }

    /// <summary>The adjoint of a slice: g placed back, zeros elsewhere.</summary>
    public static void SliceBackward(ReadOnlySpan<float> g, ReadOnlySpan<int> gShape, int axis, int start, Span<float> dx, ReadOnlySpan<int> xShape)
    {
        var (outer, inner) = Around(xShape, axis);
        int cx = xShape[axis] * inner, cy = gShape[axis] * inner;
        dx.Clear();
        for (int o = 0; o < outer; o++) g.Slice(o * cy, cy).CopyTo(dx.Slice(o * cx + start * inner, cy));
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

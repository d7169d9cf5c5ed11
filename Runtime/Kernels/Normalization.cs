using System;

namespace TrainingGen.Kernels;

/// <summary>
/// Layer normalisation over the last axis of [rows, n]: y = (x − μ)/√(σ² + ε)·w + b, with the
/// biased variance as torch uses. The forward keeps μ and 1/√(σ² + ε) per row for the adjoint.
/// </summary>
public static class LayerNorm
{
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y,
        Span<float> stats, int n, float eps)
    {
        int rows = x.Length / n;
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n); var yr = y.Slice(r * n, n);
            double mean = 0;
            for (int i = 0; i < n; i++) mean += xr[i];
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) { double d = xr[i] - mean; var += d * d; }
            var /= n;
            float rstd = (float)(1 / Math.Sqrt(var + eps));
            stats[2 * r] = (float)mean; stats[2 * r + 1] = rstd;
            for (int i = 0; i < n; i++)
                yr[i] = (float)((xr[i] - mean) * rstd) * (w.IsEmpty ? 1f : w[i]) + (b.IsEmpty ? 0f : b[i]);
        }
    }

    /// <summary>dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·w.</summary>
    public static void InputGrad(ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> stats, Span<float> dx, int n)
    {
        int rows = x.Length / n;
        for (int r = 0; r < rows; r++)
        {
            float mean = stats[2 * r], rstd = stats[2 * r + 1];
            double sg = 0, sgx = 0;
            for (int i = 0; i < n; i++)
            {
                double gh = g[r * n + i] * (w.IsEmpty ? 1f : w[i]);
                double xh = (x[r * n + i] - mean) * rstd;
                sg += gh; sgx += gh * xh;
            }
            sg /= n; sgx /= n;
            for (int i = 0; i < n; i++)
            {
                double gh = g[r * n + i] * (w.IsEmpty ? 1f : w[i]);
                double xh = (x[r * n + i] - mean) * rstd;
                dx[r * n + i] = (float)(rstd * (gh - sg - xh * sgx));
            }
        }
    }

    /// <summary>dw = Σ_rows g·x̂ (overwrites).</summary>
    public static void WeightGrad(ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> stats, Span<float> dw, int n)
    {
        int rows = x.Length / n;
        dw.Clear();
        for (int r = 0; r < rows; r++)
        {
            float mean = stats[2 * r], rstd = stats[2 * r + 1];
            for (int i = 0; i < n; i++) dw[i] += g[r * n + i] * (x[r * n + i] - mean) * rstd;
        }
    }

    /// <summary>db = Σ_rows g (overwrites).</summary>
    public static void BiasGrad(ReadOnlySpan<float> g, Span<float> db, int n)
    {
        db.Clear();
        for (int r = 0; r < g.Length / n; r++)
            for (int i = 0; i < n; i++) db[i] += g[r * n + i];
    }
}

/// <summary>Embedding lookup of indices (int32, or whole numbers stored as floats) and its scatter-add adjoint.</summary>
public static class Embedding
{
    public static void Forward(ReadOnlySpan<float> indices, ReadOnlySpan<float> table, Span<float> y, int rows, int dim) => ForwardCore(indices, table, y, rows, dim);

    /// <summary><see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int)"/> with int32 indices.</summary>
    public static void Forward(ReadOnlySpan<int> indices, ReadOnlySpan<float> table, Span<float> y, int rows, int dim) => ForwardCore(indices, table, y, rows, dim);

    /// <summary>dW[idx[i]] += g[i] (overwrites <paramref name="dw"/> first).</summary>
    public static void WeightGrad(ReadOnlySpan<float> g, ReadOnlySpan<float> indices, Span<float> dw, int rows, int dim) => WeightGradCore(g, indices, dw, rows, dim);

    /// <summary><see cref="WeightGrad(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int)"/> with int32 indices.</summary>
    public static void WeightGrad(ReadOnlySpan<float> g, ReadOnlySpan<int> indices, Span<float> dw, int rows, int dim) => WeightGradCore(g, indices, dw, rows, dim);

    private static void ForwardCore<TIndex>(ReadOnlySpan<TIndex> indices, ReadOnlySpan<float> table, Span<float> y, int rows, int dim)
        where TIndex : unmanaged, System.Numerics.INumberBase<TIndex>
    {
        for (int i = 0; i < indices.Length; i++)
            table.Slice(ClassIndex.Of(indices[i], rows, i, "embedding") * dim, dim).CopyTo(y.Slice(i * dim, dim));
    }

    private static void WeightGradCore<TIndex>(ReadOnlySpan<float> g, ReadOnlySpan<TIndex> indices, Span<float> dw, int rows, int dim)
        where TIndex : unmanaged, System.Numerics.INumberBase<TIndex>
    {
        dw.Clear();
        for (int i = 0; i < indices.Length; i++)
        {
            var dst = dw.Slice(ClassIndex.Of(indices[i], rows, i, "embedding") * dim, dim);
            var src = g.Slice(i * dim, dim);
            for (int k = 0; k < dim; k++) dst[k] += src[k];
        }
    }
}

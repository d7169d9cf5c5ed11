using System;

namespace TrainingGen.Kernels;

/// <summary>
/// Batched matrix product C[b] = A[b]·B[b] with A [batchA, m, k], B [batchB, k, n], C [batch, m, n];
/// batchA or batchB may be 1 (broadcast). Each product is one call of the blocked SGEMM (<see cref="Gemm"/>).
/// </summary>
public static class MatMul
{
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int batch, int batchA, int batchB, int m, int k, int n)
    {
        for (int t = 0; t < batch; t++)
        {
            var at = a.Slice((batchA == 1 ? 0 : t) * m * k, m * k);
            var bt = b.Slice((batchB == 1 ? 0 : t) * k * n, k * n);
            var ct = c.Slice(t * m * n, m * n);
            Gemm.Sgemm(false, false, m, n, k, 1f, at, k, bt, n, 0f, ct, n);
        }
    }

    /// <summary>dA = G·Bᵀ (summed over the batch when A was broadcast). Overwrites <paramref name="da"/>.</summary>
    public static void GradA(ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> da, int batch, int batchA, int batchB, int m, int k, int n)
    {
        if (batchA == 1 || batch == 0) da.Clear();
        for (int t = 0; t < batch; t++)
        {
            var gt = g.Slice(t * m * n, m * n);
            var bt = b.Slice((batchB == 1 ? 0 : t) * k * n, k * n);
            var dat = da.Slice((batchA == 1 ? 0 : t) * m * k, m * k);
            Gemm.Sgemm(false, true, m, k, n, 1f, gt, n, bt, n, batchA == 1 ? 1f : 0f, dat, k);
        }
    }

    /// <summary>dB = Aᵀ·G (summed over the batch when B was broadcast). Overwrites <paramref name="db"/>.</summary>
    public static void GradB(ReadOnlySpan<float> g, ReadOnlySpan<float> a, Span<float> db, int batch, int batchA, int batchB, int m, int k, int n)
    {
        if (batchB == 1 || batch == 0) db.Clear();
        for (int t = 0; t < batch; t++)
        {
            var gt = g.Slice(t * m * n, m * n);
            var at = a.Slice((batchA == 1 ? 0 : t) * m * k, m * k);
            var dbt = db.Slice((batchB == 1 ? 0 : t) * k * n, k * n);
            Gemm.Sgemm(true, false, k, n, m, 1f, at, k, gt, n, batchB == 1 ? 1f : 0f, dbt, n);
        }
    }
}

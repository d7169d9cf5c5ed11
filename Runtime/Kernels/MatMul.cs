using System;
using System.Numerics.Tensors;

namespace TrainingGen.Kernels;

/// <summary>
/// Batched matrix product C[b] = A[b]·B[b] with A [batchA, m, k], B [batchB, k, n], C [batch, m, n];
/// batchA or batchB may be 1 (broadcast). Inner loops are row axpys over contiguous memory.
/// </summary>
public static class MatMul
{
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int batch, int batchA, int batchB, int m, int k, int n)
    {
        c.Clear();
        for (int t = 0; t < batch; t++)
        {
            var at = a.Slice((batchA == 1 ? 0 : t) * m * k, m * k);
            var bt = b.Slice((batchB == 1 ? 0 : t) * k * n, k * n);
            var ct = c.Slice(t * m * n, m * n);
            for (int i = 0; i < m; i++)
            {
                var ci = ct.Slice(i * n, n);
                for (int p = 0; p < k; p++)
                {
                    float av = at[i * k + p];
                    if (av != 0f) TensorPrimitives.MultiplyAdd(bt.Slice(p * n, n), av, ci, ci);
                }
            }
        }
    }

    /// <summary>dA = G·Bᵀ (summed over the batch when A was broadcast). Overwrites <paramref name="da"/>.</summary>
    public static void GradA(ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> da, int batch, int batchA, int batchB, int m, int k, int n)
    {
        da.Clear();
        for (int t = 0; t < batch; t++)
        {
            var gt = g.Slice(t * m * n, m * n);
            var bt = b.Slice((batchB == 1 ? 0 : t) * k * n, k * n);
            var dat = da.Slice((batchA == 1 ? 0 : t) * m * k, m * k);
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                    dat[i * k + p] += TensorPrimitives.Dot(gt.Slice(i * n, n), bt.Slice(p * n, n));
        }
    }

    /// <summary>dB = Aᵀ·G (summed over the batch when B was broadcast). Overwrites <paramref name="db"/>.</summary>
    public static void GradB(ReadOnlySpan<float> g, ReadOnlySpan<float> a, Span<float> db, int batch, int batchA, int batchB, int m, int k, int n)
    {
        db.Clear();
        for (int t = 0; t < batch; t++)
        {
            var gt = g.Slice(t * m * n, m * n);
            var at = a.Slice((batchA == 1 ? 0 : t) * m * k, m * k);
            var dbt = db.Slice((batchB == 1 ? 0 : t) * k * n, k * n);
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                {
                    float av = at[i * k + p];
                    if (av != 0f) TensorPrimitives.MultiplyAdd(gt.Slice(i * n, n), av, dbt.Slice(p * n, n), dbt.Slice(p * n, n));
                }
        }
    }
}

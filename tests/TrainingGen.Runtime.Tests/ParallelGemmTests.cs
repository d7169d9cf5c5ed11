using System;
using NUnit.Framework;
using TrainingGen.Kernels;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// The SGEMM split over threads: within rounding of a float64 naive product, and bit-identical to the
/// 1-thread result for every thread count (the partition keeps each element's sum over k unchanged).
/// </summary>
[TestFixture]
[NonParallelizable]
public class ParallelGemmTests
{
    // every shape below is split over the threads, not only those past the production threshold
    [SetUp] public void SplitEverything() => Gemm.ParallelMinProduct = 1 << 12;
    [TearDown] public void Restore() { Gemm.ForceFallback = false; Gemm.ParallelMinProduct = 1L << 22; }

    private static float[] Random(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    private static float[] Run(int threads, bool ta, bool tb, int m, int n, int k, float alpha, float beta, float[] a, int lda, float[] b, int ldb, float[] c0, int ldc)
    {
        var c = (float[])c0.Clone();
        using var scope = KernelThreads.Use(threads);
        Gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return c;
    }

    // Odd shapes past the parallel threshold: edges in every dimension, k across several KC slices,
    // few rows (the dot kernel for A·Bᵀ), and the trainer's uses (x·Wᵀ, dyᵀ·x, dy·W).
    private static readonly (int M, int N, int K)[] Shapes =
    {
        (67, 301, 259), (301, 67, 259), (7, 1031, 200), (31, 517, 515), (133, 129, 600), (256, 1024, 1024), (1024, 1024, 256), (64, 256, 784),
        (16, 517, 512), (5, 1031, 208),   // the AVX-512 dot kernel (k a multiple of 16), split in blocks of 4 columns
        (256, 10, 1024), (133, 13, 259),  // the dot kernels over strips of 4 rows (few columns), split by rows
    };

    [Test]
    public void Threads_give_the_same_bits_and_match_a_double_reference([Values] bool ta, [Values] bool tb, [Values(0f, 1f, 0.5f)] float beta,
        [Values] bool fallback)
    {
        Gemm.ForceFallback = fallback;
        foreach (var (m, n, k) in Shapes)
        {
            if (fallback && (long)m * n * k > 40_000_000) continue; // the portable kernel is slow; the big shapes run on AVX2
            var rng = new Random(m * 7 + n * 13 + k);
            int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
            var a = Random(rng, (ta ? k : m) * lda);
            var b = Random(rng, (tb ? n : k) * ldb);
            var c0 = Random(rng, m * ldc);
            const float alpha = -1.25f;
            var one = Run(1, ta, tb, m, n, k, alpha, beta, a, lda, b, ldb, c0, ldc);
            foreach (int t in new[] { 2, 3, 5 })
            {
                var many = Run(t, ta, tb, m, n, k, alpha, beta, a, lda, b, ldb, c0, ldc);
                for (int i = 0; i < one.Length; i++)
                    if (BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]))
                        Assert.Fail($"{t} threads differ from 1 at element {i} (ta={ta} tb={tb} m={m} n={n} k={k} β={beta}): {many[i]:R} vs {one[i]:R}");
            }
            // Spot-check rows against the float64 triple loop (every column of a few rows, edges included).
            foreach (int i in new[] { 0, m / 2, m - 1 })
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, abs = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double av = ta ? a[p * lda + i] : a[i * lda + p], bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                        sum += av * bv; abs += Math.Abs(av * bv);
                    }
                    double prior = beta == 0f ? 0 : c0[i * ldc + j];
                    double expected = alpha * sum + beta * prior;
                    double bound = 4 * 5.96e-8 * (k + 3) * (Math.Abs(alpha) * abs + Math.Abs(beta * prior)) + 1e-30;
                    Assert.That(one[i * ldc + j], Is.EqualTo(expected).Within(bound), $"C[{i},{j}] ta={ta} tb={tb} m={m} n={n} k={k}");
                }
            for (int i = 0; i < m; i++)
                for (int j = n; j < ldc; j++)
                    Assert.That(one[i * ldc + j], Is.EqualTo(c0[i * ldc + j]), "padding of C is untouched");
        }
    }
}

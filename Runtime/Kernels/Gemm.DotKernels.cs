using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// <c>C = α·A·Bᵀ + β·C</c> as dot products of rows of A with rows of B, 4×3 at a time (twelve
    /// accumulators): the B rows are read once, the (few) A rows stay in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNT(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        int k8 = k & ~7;
        for (int j = 0; j < n; j += 3)
        {
            int nj = Math.Min(3, n - j);
            float* b0 = b + (long)j * ldb;
            float* b1 = nj > 1 ? b0 + ldb : b0, b2 = nj > 2 ? b0 + 2 * ldb : b0;
            for (int i = 0; i < m; i += 4)
            {
                int mi = Math.Min(4, m - i);
                float* a0 = a + (long)i * lda;
                float* a1 = mi > 1 ? a0 + lda : a0, a2 = mi > 2 ? a0 + 2 * lda : a0, a3 = mi > 3 ? a0 + 3 * lda : a0;
                Vector256<float> s00 = Vector256<float>.Zero, s01 = Vector256<float>.Zero, s02 = Vector256<float>.Zero;
                Vector256<float> s10 = Vector256<float>.Zero, s11 = Vector256<float>.Zero, s12 = Vector256<float>.Zero;
                Vector256<float> s20 = Vector256<float>.Zero, s21 = Vector256<float>.Zero, s22 = Vector256<float>.Zero;
                Vector256<float> s30 = Vector256<float>.Zero, s31 = Vector256<float>.Zero, s32 = Vector256<float>.Zero;
                for (int p = 0; p < k8; p += 8)
                {
                    var v0 = Avx.LoadVector256(b0 + p); var v1 = Avx.LoadVector256(b1 + p); var v2 = Avx.LoadVector256(b2 + p);
                    var u = Avx.LoadVector256(a0 + p);
                    s00 = Fma.MultiplyAdd(u, v0, s00); s01 = Fma.MultiplyAdd(u, v1, s01); s02 = Fma.MultiplyAdd(u, v2, s02);
                    u = Avx.LoadVector256(a1 + p);
                    s10 = Fma.MultiplyAdd(u, v0, s10); s11 = Fma.MultiplyAdd(u, v1, s11); s12 = Fma.MultiplyAdd(u, v2, s12);
                    u = Avx.LoadVector256(a2 + p);
                    s20 = Fma.MultiplyAdd(u, v0, s20); s21 = Fma.MultiplyAdd(u, v1, s21); s22 = Fma.MultiplyAdd(u, v2, s22);
                    u = Avx.LoadVector256(a3 + p);
                    s30 = Fma.MultiplyAdd(u, v0, s30); s31 = Fma.MultiplyAdd(u, v1, s31); s32 = Fma.MultiplyAdd(u, v2, s32);
                }
                float* ci = c + (long)i * ldc + j;
                StoreDot(ci, s00, a0, b0, k8, k, alpha, beta);
                if (nj > 1) StoreDot(ci + 1, s01, a0, b1, k8, k, alpha, beta);
                if (nj > 2) StoreDot(ci + 2, s02, a0, b2, k8, k, alpha, beta);
                if (mi > 1)
                {
                    ci += ldc;
                    StoreDot(ci, s10, a1, b0, k8, k, alpha, beta);
                    if (nj > 1) StoreDot(ci + 1, s11, a1, b1, k8, k, alpha, beta);
                    if (nj > 2) StoreDot(ci + 2, s12, a1, b2, k8, k, alpha, beta);
                }
                if (mi > 2)
                {
                    ci += ldc;
                    StoreDot(ci, s20, a2, b0, k8, k, alpha, beta);
                    if (nj > 1) StoreDot(ci + 1, s21, a2, b1, k8, k, alpha, beta);
                    if (nj > 2) StoreDot(ci + 2, s22, a2, b2, k8, k, alpha, beta);
                }
                if (mi > 3)
                {
                    ci += ldc;
                    StoreDot(ci, s30, a3, b0, k8, k, alpha, beta);
                    if (nj > 1) StoreDot(ci + 1, s31, a3, b1, k8, k, alpha, beta);
                    if (nj > 2) StoreDot(ci + 2, s32, a3, b2, k8, k, alpha, beta);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="DotNT"/> for AVX-512 when k is a multiple of 16: 4×4 dot products at a time (sixteen
    /// 512-bit accumulators), finished by one transposing reduction that turns the sixteen accumulators
    /// into the sixteen sums with 45 shuffles and adds instead of sixteen separate horizontal sums (which
    /// would cost as much as a quarter of the multiply-adds at k = 512). Partial blocks at the edges run
    /// the same arithmetic on repeated rows and store only their valid part, so an element's bits do not
    /// depend on where its block sits (or how the columns were split over threads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotNT512(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var va = Vector128.Create(alpha);
        var vb = Vector128.Create(beta);
        float* spill = stackalloc float[16];
        for (int j = 0; j < n; j += DotColumns512)
        {
            int nj = Math.Min(4, n - j);
            float* b0 = b + (long)j * ldb;
            float* b1 = nj > 1 ? b0 + ldb : b0, b2 = nj > 2 ? b0 + 2 * ldb : b0, b3 = nj > 3 ? b0 + 3 * ldb : b0;
            for (int i = 0; i < m; i += 4)
            {
                int mi = Math.Min(4, m - i);
                float* a0 = a + (long)i * lda;
                float* a1 = mi > 1 ? a0 + lda : a0, a2 = mi > 2 ? a0 + 2 * lda : a0, a3 = mi > 3 ? a0 + 3 * lda : a0;
                Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
                Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
                Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
                for (int p = 0; p < k; p += 16)
                {
                    var v0 = Avx512F.LoadVector512(b0 + p); var v1 = Avx512F.LoadVector512(b1 + p);
                    var v2 = Avx512F.LoadVector512(b2 + p); var v3 = Avx512F.LoadVector512(b3 + p);
                    var u = Avx512F.LoadVector512(a0 + p);
                    s00 = Avx512F.FusedMultiplyAdd(u, v0, s00); s01 = Avx512F.FusedMultiplyAdd(u, v1, s01);
                    s02 = Avx512F.FusedMultiplyAdd(u, v2, s02); s03 = Avx512F.FusedMultiplyAdd(u, v3, s03);
                    u = Avx512F.LoadVector512(a1 + p);
                    s10 = Avx512F.FusedMultiplyAdd(u, v0, s10); s11 = Avx512F.FusedMultiplyAdd(u, v1, s11);
                    s12 = Avx512F.FusedMultiplyAdd(u, v2, s12); s13 = Avx512F.FusedMultiplyAdd(u, v3, s13);
                    u = Avx512F.LoadVector512(a2 + p);
                    s20 = Avx512F.FusedMultiplyAdd(u, v0, s20); s21 = Avx512F.FusedMultiplyAdd(u, v1, s21);
                    s22 = Avx512F.FusedMultiplyAdd(u, v2, s22); s23 = Avx512F.FusedMultiplyAdd(u, v3, s23);
                    u = Avx512F.LoadVector512(a3 + p);
                    s30 = Avx512F.FusedMultiplyAdd(u, v0, s30); s31 = Avx512F.FusedMultiplyAdd(u, v1, s31);
                    s32 = Avx512F.FusedMultiplyAdd(u, v2, s32); s33 = Avx512F.FusedMultiplyAdd(u, v3, s33);
                }
                // 128-bit lane r of the result holds row r's four sums (columns j…j+3).
                var sums = Reduce4x4(Reduce4(s00, s01, s02, s03), Reduce4(s10, s11, s12, s13),
                                     Reduce4(s20, s21, s22, s23), Reduce4(s30, s31, s32, s33));
                float* ci = c + (long)i * ldc + j;
                if (nj == 4)
                {
                    StoreSums(ci, Avx512F.ExtractVector128(sums, 0), va, vb, beta);
                    if (mi > 1) StoreSums(ci + ldc, Avx512F.ExtractVector128(sums, 1), va, vb, beta);
                    if (mi > 2) StoreSums(ci + 2 * ldc, Avx512F.ExtractVector128(sums, 2), va, vb, beta);
                    if (mi > 3) StoreSums(ci + 3 * ldc, Avx512F.ExtractVector128(sums, 3), va, vb, beta);
                }
                else
                {
                    Avx512F.Store(spill, sums);
                    for (int r = 0; r < mi; r++, ci += ldc)
                        for (int q = 0; q < nj; q++)
                            ci[q] = beta == 0f ? alpha * spill[4 * r + q] : MathF.FusedMultiplyAdd(ci[q], beta, alpha * spill[4 * r + q]);
                }
            }
        }
    }

    /// <summary>Four sums to C: <c>α·sums + β·C</c>, rounded like the edge blocks' scalar store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSums(float* c, Vector128<float> sums, Vector128<float> va, Vector128<float> vb, float beta) =>
        Sse.Store(c, beta == 0f ? Sse.Multiply(va, sums) : Fma.MultiplyAdd(Sse.LoadVector128(c), vb, Sse.Multiply(va, sums)));

    /// <summary>Columns of C per block of <see cref="DotNT512"/> (the unit a parallel product splits n by).</summary>
    internal const int DotColumns512 = 4;

    /// <summary>
    /// Four accumulators to one vector whose 128-bit lane l holds, for each of the four, the sum of its
    /// lanes l, l+4, l+8, l+12 … folded to one partial per accumulator: element 4l+q is accumulator q's
    /// partial sum over its 128-bit lane l.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Reduce4(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3)
    {
        // Within each 128-bit lane: [x0a+x0b, x1a+x1b, x0c+x0d, x1c+x1d] ...
        var t0 = Avx512F.UnpackLow(x0, x1) + Avx512F.UnpackHigh(x0, x1);
        var t1 = Avx512F.UnpackLow(x2, x3) + Avx512F.UnpackHigh(x2, x3);
        // ... then [x0, x1, x2, x3] partial sums of that lane.
        return Avx512F.Shuffle(t0, t1, 0x44) + Avx512F.Shuffle(t0, t1, 0xEE);
    }

    /// <summary>
    /// Four <see cref="Reduce4"/> results (one per row) to the sixteen totals: lane r of the result is row
    /// r's four column sums (its four 128-bit partials added).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Reduce4x4(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3)
    {
        // [r0.l0+r0.l2, r0.l1+r0.l3, r1.l0+r1.l2, r1.l1+r1.l3]
        var c0 = Avx512F.Shuffle4x128(r0, r1, 0x44) + Avx512F.Shuffle4x128(r0, r1, 0xEE);
        var c1 = Avx512F.Shuffle4x128(r2, r3, 0x44) + Avx512F.Shuffle4x128(r2, r3, 0xEE);
        // [r0 total, r1 total, r2 total, r3 total]
        return Avx512F.Shuffle4x128(c0, c1, 0x88) + Avx512F.Shuffle4x128(c0, c1, 0xDD);
    }

    /// <summary>Finishes one dot product (horizontal sum plus the k tail) and writes <c>α·dot + β·C</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDot(float* c, Vector256<float> acc, float* a, float* b, int k8, int k, float alpha, float beta)
    {
        float sum = Vector256.Sum(acc);
        for (int p = k8; p < k; p++) sum += a[p] * b[p];
        *c = beta == 0f ? alpha * sum : alpha * sum + beta * *c;
    }
}

using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// The 6×32 AVX-512 micro-kernel: twelve 512-bit accumulators, two B loads and six broadcasts per
    /// step of k. Each element is the same chain of fused multiply-adds as in <see cref="KernelAvx2"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelAvx512(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
    {
        Vector512<float> c00 = Vector512<float>.Zero, c01 = Vector512<float>.Zero;
        Vector512<float> c10 = Vector512<float>.Zero, c11 = Vector512<float>.Zero;
        Vector512<float> c20 = Vector512<float>.Zero, c21 = Vector512<float>.Zero;
        Vector512<float> c30 = Vector512<float>.Zero, c31 = Vector512<float>.Zero;
        Vector512<float> c40 = Vector512<float>.Zero, c41 = Vector512<float>.Zero;
        Vector512<float> c50 = Vector512<float>.Zero, c51 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b);
            Vector512<float> b1 = Avx512F.LoadVector512(b + 16);
            Vector512<float> av = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(av, b0, c40); c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(av, b0, c50); c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            a += MR;
            b += NR512;
        }

        if (mr == MR && nr == NR512)
        {
            var va = Vector512.Create(alpha);
            if (beta == 0f)
            {
                Avx512F.Store(c, va * c00); Avx512F.Store(c + 16, va * c01); c += ldc;
                Avx512F.Store(c, va * c10); Avx512F.Store(c + 16, va * c11); c += ldc;
                Avx512F.Store(c, va * c20); Avx512F.Store(c + 16, va * c21); c += ldc;
                Avx512F.Store(c, va * c30); Avx512F.Store(c + 16, va * c31); c += ldc;
                Avx512F.Store(c, va * c40); Avx512F.Store(c + 16, va * c41); c += ldc;
                Avx512F.Store(c, va * c50); Avx512F.Store(c + 16, va * c51);
            }
            else
            {
                var vb = Vector512.Create(beta);
                StoreRow512(c, c00, c01, va, vb); c += ldc;
                StoreRow512(c, c10, c11, va, vb); c += ldc;
                StoreRow512(c, c20, c21, va, vb); c += ldc;
                StoreRow512(c, c30, c31, va, vb); c += ldc;
                StoreRow512(c, c40, c41, va, vb); c += ldc;
                StoreRow512(c, c50, c51, va, vb);
            }
            return;
        }

        Avx512F.Store(tile, c00); Avx512F.Store(tile + 16, c01);
        Avx512F.Store(tile + 32, c10); Avx512F.Store(tile + 48, c11);
        Avx512F.Store(tile + 64, c20); Avx512F.Store(tile + 80, c21);
        Avx512F.Store(tile + 96, c30); Avx512F.Store(tile + 112, c31);
        Avx512F.Store(tile + 128, c40); Avx512F.Store(tile + 144, c41);
        Avx512F.Store(tile + 160, c50); Avx512F.Store(tile + 176, c51);
        StoreTile(tile, NR512, c, ldc, alpha, beta, mr, nr);
    }

    /// <summary>
    /// 12×32 with AVX-512 for a full tile: two consecutive 6-row slivers of packed A (so the packing is
    /// unchanged), twenty-four 512-bit accumulators, two B loads per twelve broadcasts. The same chain of
    /// fused multiply-adds per element as <see cref="KernelAvx512"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelAvx512Twin(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        float* a2 = a + MR * kc;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b);
            Vector512<float> b1 = Avx512F.LoadVector512(b + 16);
            Vector512<float> av = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(av, b0, c00); c01 = Avx512F.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(av, b0, c10); c11 = Avx512F.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(av, b0, c20); c21 = Avx512F.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(av, b0, c30); c31 = Avx512F.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(av, b0, c40); c41 = Avx512F.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(av, b0, c50); c51 = Avx512F.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a2[0]);
            c60 = Avx512F.FusedMultiplyAdd(av, b0, c60); c61 = Avx512F.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a2[1]);
            c70 = Avx512F.FusedMultiplyAdd(av, b0, c70); c71 = Avx512F.FusedMultiplyAdd(av, b1, c71);
            av = Vector512.Create(a2[2]);
            c80 = Avx512F.FusedMultiplyAdd(av, b0, c80); c81 = Avx512F.FusedMultiplyAdd(av, b1, c81);
            av = Vector512.Create(a2[3]);
            c90 = Avx512F.FusedMultiplyAdd(av, b0, c90); c91 = Avx512F.FusedMultiplyAdd(av, b1, c91);
            av = Vector512.Create(a2[4]);
            cA0 = Avx512F.FusedMultiplyAdd(av, b0, cA0); cA1 = Avx512F.FusedMultiplyAdd(av, b1, cA1);
            av = Vector512.Create(a2[5]);
            cB0 = Avx512F.FusedMultiplyAdd(av, b0, cB0); cB1 = Avx512F.FusedMultiplyAdd(av, b1, cB1);
            a += MR;
            a2 += MR;
            b += NR512;
        }

        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool load = beta != 0f;
        Store2(c, c00, c01, va, vb, load); c += ldc;
        Store2(c, c10, c11, va, vb, load); c += ldc;
        Store2(c, c20, c21, va, vb, load); c += ldc;
        Store2(c, c30, c31, va, vb, load); c += ldc;
        Store2(c, c40, c41, va, vb, load); c += ldc;
        Store2(c, c50, c51, va, vb, load); c += ldc;
        Store2(c, c60, c61, va, vb, load); c += ldc;
        Store2(c, c70, c71, va, vb, load); c += ldc;
        Store2(c, c80, c81, va, vb, load); c += ldc;
        Store2(c, c90, c91, va, vb, load); c += ldc;
        Store2(c, cA0, cA1, va, vb, load); c += ldc;
        Store2(c, cB0, cB1, va, vb, load);
    }

    /// <summary>One row of a full 32-wide tile: <c>α·acc</c>, or <c>C·β + α·acc</c> rounded like <see cref="StoreRow"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> va, Vector512<float> vb, bool load)
    {
        if (load) StoreRow512(c, v0, v1, va, vb);
        else { Avx512F.Store(c, va * v0); Avx512F.Store(c + 16, va * v1); }
    }

    /// <summary>Rounded like <see cref="StoreRow"/>: <c>C·β + α·acc</c> with one fused multiply-add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow512(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> va, Vector512<float> vb)
    {
        Avx512F.Store(c, Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(c), vb, va * v0));
        Avx512F.Store(c + 16, Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(c + 16), vb, va * v1));
    }

    /// <summary>The 6×16 AVX2 + FMA micro-kernel: twelve accumulators, two B loads and six broadcasts per step of k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelAvx2(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
    {
        Vector256<float> c00 = Vector256<float>.Zero, c01 = Vector256<float>.Zero;
        Vector256<float> c10 = Vector256<float>.Zero, c11 = Vector256<float>.Zero;
        Vector256<float> c20 = Vector256<float>.Zero, c21 = Vector256<float>.Zero;
        Vector256<float> c30 = Vector256<float>.Zero, c31 = Vector256<float>.Zero;
        Vector256<float> c40 = Vector256<float>.Zero, c41 = Vector256<float>.Zero;
        Vector256<float> c50 = Vector256<float>.Zero, c51 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Avx.LoadVector256(b);
            Vector256<float> b1 = Avx.LoadVector256(b + 8);
            Vector256<float> av = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            a += MR;
            b += NR;
        }

        if (mr == MR && nr == NR)
        {
            var va = Vector256.Create(alpha);
            if (beta == 0f)
            {
                Avx.Store(c, Avx.Multiply(va, c00)); Avx.Store(c + 8, Avx.Multiply(va, c01)); c += ldc;
                Avx.Store(c, Avx.Multiply(va, c10)); Avx.Store(c + 8, Avx.Multiply(va, c11)); c += ldc;
                Avx.Store(c, Avx.Multiply(va, c20)); Avx.Store(c + 8, Avx.Multiply(va, c21)); c += ldc;
                Avx.Store(c, Avx.Multiply(va, c30)); Avx.Store(c + 8, Avx.Multiply(va, c31)); c += ldc;
                Avx.Store(c, Avx.Multiply(va, c40)); Avx.Store(c + 8, Avx.Multiply(va, c41)); c += ldc;
                Avx.Store(c, Avx.Multiply(va, c50)); Avx.Store(c + 8, Avx.Multiply(va, c51));
            }
            else
            {
                var vb = Vector256.Create(beta);
                StoreRow(c, c00, c01, va, vb); c += ldc;
                StoreRow(c, c10, c11, va, vb); c += ldc;
                StoreRow(c, c20, c21, va, vb); c += ldc;
                StoreRow(c, c30, c31, va, vb); c += ldc;
                StoreRow(c, c40, c41, va, vb); c += ldc;
                StoreRow(c, c50, c51, va, vb);
            }
            return;
        }

        Avx.Store(tile, c00); Avx.Store(tile + 8, c01);
        Avx.Store(tile + 16, c10); Avx.Store(tile + 24, c11);
        Avx.Store(tile + 32, c20); Avx.Store(tile + 40, c21);
        Avx.Store(tile + 48, c30); Avx.Store(tile + 56, c31);
        Avx.Store(tile + 64, c40); Avx.Store(tile + 72, c41);
        Avx.Store(tile + 80, c50); Avx.Store(tile + 88, c51);
        StoreTile(tile, NR, c, ldc, alpha, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> v0, Vector256<float> v1, Vector256<float> va, Vector256<float> vb)
    {
        Avx.Store(c, Fma.MultiplyAdd(Avx.LoadVector256(c), vb, Avx.Multiply(va, v0)));
        Avx.Store(c + 8, Fma.MultiplyAdd(Avx.LoadVector256(c + 8), vb, Avx.Multiply(va, v1)));
    }

    /// <summary>
    /// The portable micro-kernel: the same packed layout, with <see cref="Vector{T}"/> arithmetic
    /// (scalar when the vector width does not divide NR).
    /// </summary>
    private static void KernelPortable(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, int mr, int nr, float* tile)
    {
        int w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && NR % w == 0)
        {
            for (int i = 0; i < mr; i++)
            {
                for (int j = 0; j < NR; j += 2 * w)
                {
                    // Two vectors per pass when NR allows, for some instruction-level parallelism.
                    bool two = j + 2 * w <= NR;
                    Vector<float> acc0 = Vector<float>.Zero, acc1 = Vector<float>.Zero;
                    float* ap = a + i;
                    float* bp = b + j;
                    for (int p = 0; p < kc; p++, ap += MR, bp += NR)
                    {
                        var av = new Vector<float>(*ap);
                        acc0 += av * *(Vector<float>*)bp;
                        if (two) acc1 += av * *(Vector<float>*)(bp + w);
                    }
                    *(Vector<float>*)(tile + i * NR + j) = acc0;
                    if (two) *(Vector<float>*)(tile + i * NR + j + w) = acc1;
                }
            }
        }
        else
        {
            for (int i = 0; i < mr; i++)
                for (int j = 0; j < NR; j++)
                {
                    float s = 0f;
                    for (int p = 0; p < kc; p++) s += a[p * MR + i] * b[p * NR + j];
                    tile[i * NR + j] = s;
                }
        }
        StoreTile(tile, NR, c, ldc, alpha, beta, mr, nr);
    }

    /// <summary>Writes the valid mr×nr part of a computed tile (rows <paramref name="stride"/> apart): <c>C = α·tile + β·C</c> (C not read when β = 0).</summary>
    private static void StoreTile(float* tile, int stride, float* c, int ldc, float alpha, float beta, int mr, int nr)
    {
        for (int i = 0; i < mr; i++, c += ldc, tile += stride)
        {
            if (beta == 0f)
                for (int j = 0; j < nr; j++) c[j] = alpha * tile[j];
            else
                // Rounded like the full tiles' fused store (StoreRow), so a tile's bits do not depend on where it sits.
                for (int j = 0; j < nr; j++) c[j] = Fma.IsSupported ? MathF.FusedMultiplyAdd(c[j], beta, alpha * tile[j]) : alpha * tile[j] + beta * c[j];
        }
    }
}

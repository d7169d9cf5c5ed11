using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Packs the mc×kc block of op(A) at (i0, p0) into MR-high slivers: sliver s holds element (i, p)
    /// at <c>dst[s·MR·kc + p·MR + i]</c>; rows past mc are zero.
    /// </summary>
    private static void PackA(bool transA, float* a, int lda, int i0, int p0, int mc, int kc, float* dst, bool avx)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int mr = Math.Min(MR, mc - ir);
            float* d = dst + ir * kc;
            if (!transA)
            {
                // A[i, p] = a[i·lda + p]: read each row contiguously, write with stride MR.
                if (mr == MR)
                {
                    float* s0 = a + (long)(i0 + ir) * lda + p0;
                    float* s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                    int p = 0;
                    if (avx)
                    {
                        // 8 values of each of the 6 rows, transposed in registers; each 8-wide store
                        // overlaps the next by 2 (the buffer has slack for the last one).
                        var zero = Vector256<float>.Zero;
                        for (; p + 8 <= kc; p += 8, d += 8 * MR)
                        {
                            Transpose8x8(Avx.LoadVector256(s0 + p), Avx.LoadVector256(s1 + p), Avx.LoadVector256(s2 + p), Avx.LoadVector256(s3 + p),
                                Avx.LoadVector256(s4 + p), Avx.LoadVector256(s5 + p), zero, zero,
                                out var o0, out var o1, out var o2, out var o3, out var o4, out var o5, out var o6, out var o7);
                            Avx.Store(d, o0); Avx.Store(d + MR, o1); Avx.Store(d + 2 * MR, o2); Avx.Store(d + 3 * MR, o3);
                            Avx.Store(d + 4 * MR, o4); Avx.Store(d + 5 * MR, o5); Avx.Store(d + 6 * MR, o6); Avx.Store(d + 7 * MR, o7);
                        }
                    }
                    for (; p < kc; p++, d += MR)
                    {
                        d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p];
                    }
                }
                else
                {
                    for (int i = 0; i < MR; i++)
                    {
                        if (i < mr)
                        {
                            float* s = a + (long)(i0 + ir + i) * lda + p0;
                            for (int p = 0; p < kc; p++) d[p * MR + i] = s[p];
                        }
                        else
                        {
                            for (int p = 0; p < kc; p++) d[p * MR + i] = 0f;
                        }
                    }
                }
            }
            else
            {
                // A[i, p] = a[p·lda + i]: MR contiguous values per p.
                float* s = a + (long)p0 * lda + i0 + ir;
                if (mr == MR && avx && i0 + ir + 8 <= lda)
                {
                    // One 8-wide load and store per p: the load stays inside row p (8 ≤ what is left of
                    // it), the store's 2 extra values land where the next p (or sliver, packed later, or
                    // the buffer's slack) goes.
                    for (int p = 0; p < kc; p++, s += lda, d += MR)
                        Avx.Store(d, Avx.LoadVector256(s));
                }
                else if (mr == MR)
                {
                    for (int p = 0; p < kc; p++, s += lda, d += MR)
                    {
                        d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]; d[4] = s[4]; d[5] = s[5];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, s += lda, d += MR)
                        for (int i = 0; i < MR; i++) d[i] = i < mr ? s[i] : 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs the kc×nc panel of op(B) at (p0, j0) into nrw-wide slivers (nrw = <see cref="NR"/> or
    /// <see cref="NR512"/>, the micro-kernel's width): sliver s holds element (p, j) at
    /// <c>dst[s·nrw·kc + p·nrw + j]</c>; columns past nc are zero.
    /// </summary>
    private static void PackB(bool transB, float* b, int ldb, int p0, int j0, int kc, int nc, float* dst, bool avx, int nrw)
    {
        for (int jr = 0; jr < nc; jr += nrw)
        {
            int nr = Math.Min(nrw, nc - jr);
            float* d = dst + jr * kc;
            if (!transB)
            {
                // B[p, j] = b[p·ldb + j]: nrw contiguous values per p.
                float* s = b + (long)p0 * ldb + j0 + jr;
                if (nr == nrw)
                {
                    for (int p = 0; p < kc; p++, s += ldb, d += nrw)
                        Unsafe.CopyBlockUnaligned(d, s, (uint)(nrw * sizeof(float)));
                }
                else
                {
                    for (int p = 0; p < kc; p++, s += ldb, d += nrw)
                        for (int j = 0; j < nrw; j++) d[j] = j < nr ? s[j] : 0f;
                }
            }
            else
            {
                // B[p, j] = b[j·ldb + p]: read each column of op(B) (a row of b) contiguously.
                int pDone = 0;
                if (avx && nr == nrw)
                {
                    // 8×8 blocks transposed in registers.
                    for (; pDone + 8 <= kc; pDone += 8)
                        for (int half = 0; half < nrw; half += 8)
                        {
                            float* s = b + (long)(j0 + jr + half) * ldb + p0 + pDone;
                            Transpose8x8(Avx.LoadVector256(s), Avx.LoadVector256(s + ldb), Avx.LoadVector256(s + 2 * ldb), Avx.LoadVector256(s + 3 * ldb),
                                Avx.LoadVector256(s + 4 * ldb), Avx.LoadVector256(s + 5 * ldb), Avx.LoadVector256(s + 6 * ldb), Avx.LoadVector256(s + 7 * ldb),
                                out var o0, out var o1, out var o2, out var o3, out var o4, out var o5, out var o6, out var o7);
                            float* dd = d + pDone * nrw + half;
                            Avx.Store(dd, o0); Avx.Store(dd + nrw, o1); Avx.Store(dd + 2 * nrw, o2); Avx.Store(dd + 3 * nrw, o3);
                            Avx.Store(dd + 4 * nrw, o4); Avx.Store(dd + 5 * nrw, o5); Avx.Store(dd + 6 * nrw, o6); Avx.Store(dd + 7 * nrw, o7);
                        }
                }
                for (int j = 0; j < nrw; j++)
                {
                    if (j < nr)
                    {
                        float* s = b + (long)(j0 + jr + j) * ldb + p0;
                        for (int p = pDone; p < kc; p++) d[p * nrw + j] = s[p];
                    }
                    else
                    {
                        for (int p = pDone; p < kc; p++) d[p * nrw + j] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>Transposes the 8×8 block whose rows are r0…r7: o_t = (r0[t], r1[t], …, r7[t]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
        out Vector256<float> o0, out Vector256<float> o1, out Vector256<float> o2, out Vector256<float> o3,
        out Vector256<float> o4, out Vector256<float> o5, out Vector256<float> o6, out Vector256<float> o7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        o0 = Avx.Permute2x128(u0, u4, 0x20); o1 = Avx.Permute2x128(u1, u5, 0x20);
        o2 = Avx.Permute2x128(u2, u6, 0x20); o3 = Avx.Permute2x128(u3, u7, 0x20);
        o4 = Avx.Permute2x128(u0, u4, 0x31); o5 = Avx.Permute2x128(u1, u5, 0x31);
        o6 = Avx.Permute2x128(u2, u6, 0x31); o7 = Avx.Permute2x128(u3, u7, 0x31);
    }

}

using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Kernels;

/// <summary>
/// Single-precision GEMM, row-major: <c>C = α·op(A)·op(B) + β·C</c> with <c>op(A)</c> [m, k],
/// <c>op(B)</c> [k, n], <c>C</c> [m, n], where <c>op(X)</c> is X or Xᵀ.
/// </summary>
/// <remarks>
/// The classic blocked layout (Goto / BLIS): for each NC-wide column block of C and each KC-deep slice
/// of k, a KC×NC panel of op(B) is packed into NR-wide slivers; for each MC-high row block, an MC×KC
/// block of op(A) is packed into MR-high slivers; then an MR×NR register-blocked micro-kernel runs
/// over every (sliver of A, sliver of B) pair. Partial slivers are zero-padded, so the micro-kernel
/// always computes a full tile; edge tiles go through a small buffer and only their valid part is
/// written. The micro-kernel is AVX2 + FMA (6×16: twelve 256-bit accumulators) where the CPU has
/// them, and a portable <see cref="Vector{T}"/> loop otherwise. Packing buffers are per thread,
/// grown once to the largest size seen, so calls do not allocate. Large products run on the
/// <see cref="WorkerPool"/>: C is split into blocks of whole columns (or rows) on the tile grid, so
/// every element is the same sum over k in the same order whatever the thread count (same bits).
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>Rows of the micro-kernel's register tile.</summary>
    internal const int MR = 6;
    /// <summary>Columns of the micro-kernel's register tile (two 256-bit vectors).</summary>
    internal const int NR = 16;
    /// <summary>Depth of a packed slice: an MR×KC sliver of A plus a KC×NR sliver of B stay in L1.</summary>
    internal const int KC = 256;
    /// <summary>Rows of a packed A block (a multiple of MR): MC×KC floats stay in L2.</summary>
    internal const int MC = 144;
    /// <summary>Columns of a packed B panel (a multiple of NR): KC×NC floats stay in L3.</summary>
    internal const int NC = 2048;

    /// <summary>Tests set this to run the portable <see cref="Vector{T}"/> micro-kernel on AVX2 machines (this thread only).</summary>
    internal static bool ForceFallback { get => t_forceFallback; set => t_forceFallback = value; }

    [ThreadStatic] private static bool t_forceFallback;

    /// <summary>
    /// Up to this many rows, <c>A·Bᵀ</c> (both operands contiguous along k, as in a linear layer's forward
    /// pass and a convolution's W·patchesᵀ) runs as register-blocked dot products without packing:
    /// with few rows, packing B would cost about as much as the arithmetic.
    /// </summary>
    internal static int DotKernelMaxRows { get => t_dotMaxRows ?? 32; set => t_dotMaxRows = value; }

    [ThreadStatic] private static int? t_dotMaxRows;

    /// <summary>
    /// ... and at least this deep: below it, the horizontal sums at the end of each dot product cost more
    /// than packing (convolutions' short patch rows take the packed path).
    /// </summary>
    internal static int DotKernelMinDepth { get => t_dotMinDepth ?? 192; set => t_dotMinDepth = value; }

    [ThreadStatic] private static int? t_dotMinDepth;

    /// <summary>Whether calls on this machine (and setting) use the AVX2 + FMA micro-kernel.</summary>
    internal static bool UsesAvx2 => !ForceFallback && Fma.IsSupported && Avx2.IsSupported;

    [ThreadStatic] private static float[]? t_packA;
    [ThreadStatic] private static float[]? t_packB;

    /// <summary>
    /// <c>C = α·op(A)·op(B) + β·C</c>. <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/>
    /// are the row strides of A, B, C as stored (so A is stored [k, lda] when <paramref name="transA"/>).
    /// With β = 0, C is not read (NaNs in it do not propagate).
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Sgemm: negative size m={m}, n={n}, k={k}.");
        if (m == 0 || n == 0) return;
        if (ldc < n) throw new ArgumentException($"Sgemm: ldc {ldc} < n {n}.", nameof(ldc));
        if ((long)(m - 1) * ldc + n > c.Length) throw new ArgumentException($"Sgemm: C has {c.Length} elements, needs {(long)(m - 1) * ldc + n}.", nameof(c));
        if (k == 0 || alpha == 0f)
        {
            ScaleC(c, m, n, ldc, beta);
            return;
        }
        CheckOperand(transA ? k : m, transA ? m : k, lda, a.Length, "A");
        CheckOperand(transB ? n : k, transB ? k : n, ldb, b.Length, "B");

        if ((long)m * n * k <= TinyProduct)
        {
            Tiny(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        bool dot = !transA && transB && m <= DotKernelMaxRows && k >= DotKernelMinDepth && UsesAvx2;
        var job = new Job
        {
            TransA = transA, TransB = transB, Avx = UsesAvx2, TransposeAvx = Avx.IsSupported && !ForceFallback, Dot = dot,
            M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc, Alpha = alpha, Beta = beta,
        };
        fixed (float* pa = a, pb = b, pcm = c)
        {
            job.A = pa; job.B = pb; job.C = pcm;
            int threads = (long)m * n * k >= ParallelMinProduct ? Math.Min(KernelThreads.Current, MaxUsefulThreads(m, n)) : 1;
            if (threads <= 1)
            {
                Run(in job, m, n, pa, pb, pcm);
                return;
            }
            // Split C into blocks of whole columns (or rows), on the micro-kernel's tile grid: every
            // element is still one thread's sum over k in the same order, so any thread count gives
            // the same bits. Splitting n re-packs A per block and splitting m re-packs B: split the
            // dimension whose blocks re-pack the smaller operand.
            job.SplitColumns = m <= n || dot;
            int extent = job.SplitColumns ? n : m, unit = dot ? 3 : job.SplitColumns ? NR : MR;
            int units = (extent + unit - 1) / unit;
            int blocks = Math.Min(units, threads * BlocksPerThread);
            job.Chunk = (units + blocks - 1) / blocks * unit;
            WorkerPool.For((extent + job.Chunk - 1) / job.Chunk, in job, &RunBlock);
        }
    }

    /// <summary>Products with at least this many multiply-adds run on several threads (when allowed).</summary>
    internal const long ParallelMinProduct = 1L << 18;

    /// <summary>Blocks per thread when a product is split: a few, so a thread slowed by other load is balanced by the others.</summary>
    internal const int BlocksPerThread = 2;

    private static int MaxUsefulThreads(int m, int n) => Math.Max(1, Math.Max((n + NR - 1) / NR, (m + MR - 1) / MR));

    /// <summary>One call's arguments, shared by the threads of a parallel product.</summary>
    private struct Job
    {
        public bool TransA, TransB, Avx, TransposeAvx, Dot, SplitColumns;
        public int M, N, K, Lda, Ldb, Ldc, Chunk;
        public float Alpha, Beta;
        public float* A, B, C;
    }

    private static void RunBlock(in Job j, int index)
    {
        int start = index * j.Chunk;
        if (j.SplitColumns)
        {
            int n = Math.Min(j.Chunk, j.N - start);
            float* b = j.TransB ? j.B + (long)start * j.Ldb : j.B + start;
            Run(in j, j.M, n, j.A, b, j.C + start);
        }
        else
        {
            int m = Math.Min(j.Chunk, j.M - start);
            float* a = j.TransA ? j.A + start : j.A + (long)start * j.Lda;
            Run(in j, m, j.N, a, j.B, j.C + (long)start * j.Ldc);
        }
    }

    /// <summary>The m×n block of C at <paramref name="c"/> from the operands at <paramref name="a"/>, <paramref name="b"/>, on this thread.</summary>
    private static void Run(in Job j, int m, int n, float* a, float* b, float* c)
    {
        if (j.Dot) DotNT(m, n, j.K, j.Alpha, a, j.Lda, b, j.Ldb, j.Beta, c, j.Ldc);
        else Packed(j.TransA, j.TransB, m, n, j.K, j.Alpha, a, j.Lda, b, j.Ldb, j.Beta, c, j.Ldc, j.Avx, j.TransposeAvx);
    }

    /// <summary>The blocked, packed product on this thread (packing buffers are this thread's).</summary>
    private static void Packed(bool transA, bool transB, int m, int n, int k, float alpha,
        float* pa, int lda, float* pb, int ldb, float beta, float* pcm, int ldc, bool avx, bool transposeAvx)
    {
        int kcMax = Math.Min(k, KC);
        int needA = RoundUp(Math.Min(m, MC), MR) * kcMax;
        int needB = RoundUp(Math.Min(n, NC), NR) * kcMax;
        var packA = t_packA;
        if (packA is null || packA.Length < needA + 8) t_packA = packA = GC.AllocateUninitializedArray<float>(Math.Max(needA + 8, 4096), pinned: true);
        var packB = t_packB;
        if (packB is null || packB.Length < needB) t_packB = packB = GC.AllocateUninitializedArray<float>(Math.Max(needB, 4096), pinned: true);

        float* tile = stackalloc float[MR * NR];
        fixed (float* wa = packA, wb = packB)
        {
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                for (int p0 = 0; p0 < k; p0 += KC)
                {
                    int kc = Math.Min(KC, k - p0);
                    float betaNow = p0 == 0 ? beta : 1f;
                    PackB(transB, pb, ldb, p0, jc, kc, nc, wb, transposeAvx);
                    for (int ic = 0; ic < m; ic += MC)
                    {
                        int mc = Math.Min(MC, m - ic);
                        PackA(transA, pa, lda, ic, p0, mc, kc, wa, transposeAvx);
                        for (int jr = 0; jr < nc; jr += NR)
                        {
                            int nr = Math.Min(NR, nc - jr);
                            float* bp = wb + jr * kc;
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mr = Math.Min(MR, mc - ir);
                                float* cp = pcm + (long)(ic + ir) * ldc + jc + jr;
                                if (avx) KernelAvx2(kc, wa + ir * kc, bp, cp, ldc, alpha, betaNow, mr, nr, tile);
                                else KernelPortable(kc, wa + ir * kc, bp, cp, ldc, alpha, betaNow, mr, nr, tile);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Products up to this many multiply-adds skip packing: a plain loop is faster than any setup.</summary>
    internal const int TinyProduct = 256;

    private static void Tiny(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++)
                    sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                ref float cij = ref c[i * ldc + j];
                cij = beta == 0f ? alpha * sum : alpha * sum + beta * cij;
            }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    private static void CheckOperand(int rows, int cols, int ld, int length, string name)
    {
        if (ld < Math.Max(cols, 1)) throw new ArgumentException($"Sgemm: leading dimension of {name} ({ld}) < {cols}.");
        long need = (long)(rows - 1) * ld + cols;
        if (need > length) throw new ArgumentException($"Sgemm: {name} has {length} elements, needs {need}.");
    }

    private static void ScaleC(Span<float> c, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

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
                if (mr == MR)
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
    /// Packs the kc×nc panel of op(B) at (p0, j0) into NR-wide slivers: sliver s holds element (p, j)
    /// at <c>dst[s·NR·kc + p·NR + j]</c>; columns past nc are zero.
    /// </summary>
    private static void PackB(bool transB, float* b, int ldb, int p0, int j0, int kc, int nc, float* dst, bool avx)
    {
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            float* d = dst + jr * kc;
            if (!transB)
            {
                // B[p, j] = b[p·ldb + j]: NR contiguous values per p.
                float* s = b + (long)p0 * ldb + j0 + jr;
                if (nr == NR)
                {
                    for (int p = 0; p < kc; p++, s += ldb, d += NR)
                        Unsafe.CopyBlockUnaligned(d, s, NR * sizeof(float));
                }
                else
                {
                    for (int p = 0; p < kc; p++, s += ldb, d += NR)
                        for (int j = 0; j < NR; j++) d[j] = j < nr ? s[j] : 0f;
                }
            }
            else
            {
                // B[p, j] = b[j·ldb + p]: read each column of op(B) (a row of b) contiguously.
                int pDone = 0;
                if (avx && nr == NR)
                {
                    // 8×8 blocks transposed in registers.
                    for (; pDone + 8 <= kc; pDone += 8)
                        for (int half = 0; half < NR; half += 8)
                        {
                            float* s = b + (long)(j0 + jr + half) * ldb + p0 + pDone;
                            Transpose8x8(Avx.LoadVector256(s), Avx.LoadVector256(s + ldb), Avx.LoadVector256(s + 2 * ldb), Avx.LoadVector256(s + 3 * ldb),
                                Avx.LoadVector256(s + 4 * ldb), Avx.LoadVector256(s + 5 * ldb), Avx.LoadVector256(s + 6 * ldb), Avx.LoadVector256(s + 7 * ldb),
                                out var o0, out var o1, out var o2, out var o3, out var o4, out var o5, out var o6, out var o7);
                            float* dd = d + pDone * NR + half;
                            Avx.Store(dd, o0); Avx.Store(dd + NR, o1); Avx.Store(dd + 2 * NR, o2); Avx.Store(dd + 3 * NR, o3);
                            Avx.Store(dd + 4 * NR, o4); Avx.Store(dd + 5 * NR, o5); Avx.Store(dd + 6 * NR, o6); Avx.Store(dd + 7 * NR, o7);
                        }
                }
                for (int j = 0; j < NR; j++)
                {
                    if (j < nr)
                    {
                        float* s = b + (long)(j0 + jr + j) * ldb + p0;
                        for (int p = pDone; p < kc; p++) d[p * NR + j] = s[p];
                    }
                    else
                    {
                        for (int p = pDone; p < kc; p++) d[p * NR + j] = 0f;
                    }
                }
            }
        }
    }

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

    /// <summary>Finishes one dot product (horizontal sum plus the k tail) and writes <c>α·dot + β·C</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDot(float* c, Vector256<float> acc, float* a, float* b, int k8, int k, float alpha, float beta)
    {
        float sum = Vector256.Sum(acc);
        for (int p = k8; p < k; p++) sum += a[p] * b[p];
        *c = beta == 0f ? alpha * sum : alpha * sum + beta * *c;
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
        StoreTile(tile, c, ldc, alpha, beta, mr, nr);
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
        StoreTile(tile, c, ldc, alpha, beta, mr, nr);
    }

    /// <summary>Writes the valid mr×nr part of a computed tile: <c>C = α·tile + β·C</c> (C not read when β = 0).</summary>
    private static void StoreTile(float* tile, float* c, int ldc, float alpha, float beta, int mr, int nr)
    {
        for (int i = 0; i < mr; i++, c += ldc, tile += NR)
        {
            if (beta == 0f)
                for (int j = 0; j < nr; j++) c[j] = alpha * tile[j];
            else
                // Rounded like the full tiles' fused store (StoreRow), so a tile's bits do not depend on where it sits.
                for (int j = 0; j < nr; j++) c[j] = Fma.IsSupported ? MathF.FusedMultiplyAdd(c[j], beta, alpha * tile[j]) : alpha * tile[j] + beta * c[j];
        }
    }
}

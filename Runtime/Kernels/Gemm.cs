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
/// written. The micro-kernel is AVX-512 (6×32: twelve 512-bit accumulators) where the CPU has it,
/// AVX2 + FMA (6×16: twelve 256-bit accumulators) where it has those, and a portable
/// <see cref="Vector{T}"/> loop otherwise. Every micro-kernel computes each element of C as the same
/// chain of fused multiply-adds over k, so the AVX-512 and AVX2 kernels give the same bits. Packing buffers are per thread,
/// grown once to the largest size seen, so calls do not allocate. Large products run on the
/// <see cref="WorkerPool"/>: C is split into blocks of whole columns (or rows) on the tile grid, one per
/// thread, sized to each thread's measured speed (Gemm.Balance.cs), so every element is the same sum
/// over k in the same order whatever the thread count and the shares (same bits).
/// </remarks>
public static unsafe partial class Gemm
{
    /// <summary>Rows of the micro-kernel's register tile.</summary>
    internal const int MR = 6;
    /// <summary>Columns of the AVX2 and portable micro-kernels' register tile (two 256-bit vectors).</summary>
    internal const int NR = 16;
    /// <summary>Columns of the AVX-512 micro-kernel's register tile (two 512-bit vectors).</summary>
    internal const int NR512 = 32;
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

    /// <summary>
    /// ... or, with any number of rows, up to this many columns (a classifier's last layer, x·Wᵀ with 10
    /// outputs): packing all of A for so few columns cost 4× the arithmetic (mlp-big's 256×1024 → 10
    /// took 120 µs packed, 30 µs as dot products over 4-row strips of A, with W in L1).
    /// </summary>
    internal static int DotKernelMaxColumns { get => t_dotMaxColumns ?? 16; set => t_dotMaxColumns = value; }

    [ThreadStatic] private static int? t_dotMaxColumns;

    /// <summary>Rows of A per strip of the dot kernels when C has few columns (the unit a parallel product splits m by).</summary>
    internal const int DotRows = 4;

    /// <summary>The micro-kernel family calls on this thread use (the widest the CPU has, unless a test narrows it).</summary>
    internal static MicroKernel Kernel =>
        ForceFallback || !Fma.IsSupported || !Avx2.IsSupported ? MicroKernel.Portable
        : VectorWidth.Avx512 ? MicroKernel.Avx512
        : MicroKernel.Avx2;

    /// <summary>Whether calls on this thread use the AVX2 + FMA micro-kernels (and not AVX-512).</summary>
    internal static bool UsesAvx2 => Kernel == MicroKernel.Avx2;

    /// <summary>Whether calls on this thread use the AVX-512 micro-kernels.</summary>
    internal static bool UsesAvx512 => Kernel == MicroKernel.Avx512;

    /// <summary>The micro-kernel families, narrowest first.</summary>
    internal enum MicroKernel { Portable, Avx2, Avx512 }

    [ThreadStatic] private static float[]? t_packA;
    [ThreadStatic] private static float[]? t_packB;

    /// <summary>
    /// <c>C = α·op(A)·op(B) + β·C</c>. <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/>
    /// are the row strides of A, B, C as stored (so A is stored [k, lda] when <paramref name="transA"/>).
    /// With β = 0, C is not read (NaNs in it do not propagate).
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, default);

    /// <summary>
    /// <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>,
    /// then <paramref name="epilogue"/> on every element of C, applied block by block as each block of C
    /// is finished (still in cache) instead of in a pass of its own over C afterwards.
    /// </summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, in Epilogue epilogue) =>
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, default);

    /// <summary>
    /// ... with C starting as <paramref name="rowBias"/> (n values) in every row when it is not empty, in
    /// place of β·C (β is then 1): <c>C = α·op(A)·op(B) + bias</c>. Each block of C is filled just before
    /// its first slice of k, by the thread that computes it, so the bias costs no pass of its own over C
    /// (on 2 threads, C filled by one core and accumulated by the other cost a cache-line transfer per line).
    /// Same bits as filling C first and calling with β = 1.
    /// </summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, in Epilogue epilogue,
        ReadOnlySpan<float> rowBias)
    {
        if (!rowBias.IsEmpty)
        {
            if (rowBias.Length < n) throw new ArgumentException($"Sgemm: the bias has {rowBias.Length} elements, C has {n} columns.", nameof(rowBias));
            beta = 1f;
        }
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"Sgemm: negative size m={m}, n={n}, k={k}.");
        if (m == 0 || n == 0) return;
        if (ldc < n) throw new ArgumentException($"Sgemm: ldc {ldc} < n {n}.", nameof(ldc));
        if ((long)(m - 1) * ldc + n > c.Length) throw new ArgumentException($"Sgemm: C has {c.Length} elements, needs {(long)(m - 1) * ldc + n}.", nameof(c));
        if (!rowBias.IsEmpty && (k == 0 || alpha == 0f || (long)m * n * k <= TinyProduct))
        {
            // nothing to overlap the fill with: fill C, then the plain product with β = 1
            fixed (float* pc = c, pbias = rowBias) FillRows(pc, ldc, m, pbias, n);
            rowBias = default;
        }
        if (k == 0 || alpha == 0f)
        {
            ScaleC(c, m, n, ldc, beta);
            fixed (float* pc = c) ApplyEpilogue(in epilogue, pc, ldc, 0, m, 0, n);
            return;
        }
        CheckOperand(transA ? k : m, transA ? m : k, lda, a.Length, "A");
        CheckOperand(transB ? n : k, transB ? k : n, ldb, b.Length, "B");

        if ((long)m * n * k <= TinyProduct)
        {
            Tiny(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            fixed (float* pc = c) ApplyEpilogue(in epilogue, pc, ldc, 0, m, 0, n);
            return;
        }

        var kernel = Kernel;
        bool fewColumns = n <= DotKernelMaxColumns && m > DotKernelMaxRows;
        bool dot = !transA && transB && (m <= DotKernelMaxRows || fewColumns) && k >= DotKernelMinDepth && kernel != MicroKernel.Portable;
        bool dot512 = dot && kernel == MicroKernel.Avx512 && k % 16 == 0;
        // The 32-wide AVX-512 tile only when C has more than 16 columns: a narrower C would leave half of it idle.
        // Chosen from the whole call's n (not a thread's block), and both widths give the same bits anyway.
        int nrw = kernel == MicroKernel.Avx512 && n > NR ? NR512 : NR;
        var job = new Job
        {
            TransA = transA, TransB = transB, Kernel = kernel, Dot512 = dot512, Nrw = nrw, TransposeAvx = Avx.IsSupported && !ForceFallback, Dot = dot,
            M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc, Alpha = alpha, Beta = beta, Epilogue = epilogue,
        };
        fixed (float* pa = a, pb = b, pcm = c, pbias = rowBias)
        {
            job.A = pa; job.B = pb; job.C = pcm; job.Bias = pbias;
            int threads = (long)m * n * k >= ParallelMinProduct || Traffic(m, n, k) >= ParallelMinTraffic
                ? Math.Min(KernelThreads.Current, MaxUsefulThreads(m, n, nrw)) : 1;
            t_lastThreads = threads;
            if (threads <= 1)
            {
                Run(in job, m, n, pa, pb, pcm, 0, 0);
                return;
            }
            // Split C into blocks of whole columns (or rows), on the micro-kernel's tile grid: every
            // element is still one thread's sum over k in the same order, so any thread count gives
            // the same bits. Splitting n re-packs A per block and splitting m re-packs B: split the
            // dimension whose blocks re-pack the smaller operand; on a tie re-pack B unless A is the
            // cheap one to pack (a transposed A is a strided gather, B a row copy: a weight gradient
            // dyᵀ·x of a square layer scaled 1.6× on 2 threads split by columns).
            // (few columns: the dot kernel's rows are split, in its blocks of 4 rows)
            job.SplitColumns = dot ? !fewColumns : m < n || (m == n && !transA);
            int extent = job.SplitColumns ? n : m, unit = dot ? (fewColumns ? DotRows : dot512 ? DotColumns512 : 3) : job.SplitColumns ? nrw : MR;
            int units = (extent + unit - 1) / unit;
            if (!dot && BalancedSplit && threads <= Balance.MaxThreads && units >= threads)
            {
                // One share per thread, sized to the threads' measured speeds (Gemm.Balance.cs). A product
                // split only for its traffic gets equal fixed shares instead: its time is the memory's, not
                // the core's, so timing its shares would only chase the memory's noise.
                bool timed = (long)m * n * k >= ParallelMinProduct;
                int slot = timed ? Balance.Slot(m, n, k, transA, transB, threads) : -1;
                int* bounds = stackalloc int[threads + 1];
                long* ticks = stackalloc long[threads];
                if (timed) Balance.Bounds(slot, threads, units, unit, extent, bounds);
                else Balance.EqualBounds(threads, units, unit, extent, bounds);
                job.Bounds = bounds; job.Ticks = ticks;
                if (WorkerPool.ForEachThread(threads, in job, &RunShare) == threads && timed) Balance.Update(slot, threads, bounds, ticks);
                return;
            }
            int blocks = Math.Min(units, threads * BlocksPerThread);
            job.Chunk = (units + blocks - 1) / blocks * unit;
            WorkerPool.For((extent + job.Chunk - 1) / job.Chunk, in job, &RunBlock);
        }
    }

    /// <summary>
    /// Products with at least this many multiply-adds run on several threads (when allowed): about 25 µs of
    /// work on one core. Below it a split loses: handing a block of C written on one core to the next kernel
    /// on another costs cache-line transfers (measured: 256 KB written on two cores and read on one took
    /// 29 µs against 4 µs on one core), and the cnn case's small fully connected products (32×256×120)
    /// made its 2-thread step slower than its 1-thread step.
    /// </summary>
    internal static long ParallelMinProduct { get => t_parallelMinProduct ?? (1L << 22); set => t_parallelMinProduct = value; }

    [ThreadStatic] private static long? t_parallelMinProduct;

    /// <summary>
    /// Products that move at least this many floats (A, B and C once each, 512 KB) also run on several
    /// threads, however few multiply-adds they do. Such a product is bound by memory, not arithmetic, and
    /// its operands were mostly written by the previous product, split the same way: mlp-big's last input gradient (256×1024 from k = 10, masked by a ReLU
    /// output written half by each core) took 128 µs on one thread and 231 µs on one of two before this
    /// rule, when the other core's half of its mask had to cross over.
    /// </summary>
    internal static long ParallelMinTraffic { get => t_parallelMinTraffic ?? (1L << 17); set => t_parallelMinTraffic = value; }

    [ThreadStatic] private static long? t_parallelMinTraffic;

    /// <summary>Threads the latest packed or dot product called on this thread was allowed (tests of the split rules).</summary>
    internal static int LastThreads => t_lastThreads;

    [ThreadStatic] private static int t_lastThreads;

    private static long Traffic(int m, int n, int k) => (long)m * n + (long)m * k + (long)k * n;

    /// <summary>
    /// Blocks per thread when a product is split into equal blocks handed out in turn (the dot kernels'
    /// splits; packed products get one share per thread sized to its speed, <see cref="Balance"/>): one. Every block packs the whole of the operand it
    /// shares with the others, and inside a training step half of that operand was written by the other
    /// core (about 15 ns a cache line to fetch), so more blocks cost more than the balance they buy:
    /// interleaved in one process, mlp-big's 2-thread step took 11.7–12.0 ms with 1 block per thread,
    /// 12.1–12.5 with 2 and 12.7–13.3 with 3; mlp 291 vs 301 µs, head 42 vs 45 µs.
    /// </summary>
    internal const int BlocksPerThread = 1;

    private static int MaxUsefulThreads(int m, int n, int nrw) => Math.Max(1, Math.Max((n + nrw - 1) / nrw, (m + MR - 1) / MR));

    /// <summary>One call's arguments, shared by the threads of a parallel product.</summary>
    private struct Job
    {
        public bool TransA, TransB, TransposeAvx, Dot, Dot512, SplitColumns;
        public MicroKernel Kernel;
        public int M, N, K, Lda, Ldb, Ldc, Chunk, Nrw;
        public float Alpha, Beta;
        public float* A, B, C;
        /// <summary>Null, or the n values every row of C starts as (β is then 1).</summary>
        public float* Bias;
        /// <summary>A balanced split's share boundaries (threads + 1) and each thread's time (Gemm.Balance.cs).</summary>
        public int* Bounds;
        public long* Ticks;
        public Epilogue Epilogue;
    }

    private static void RunBlock(in Job j, int index)
    {
        int start = index * j.Chunk;
        if (j.SplitColumns)
        {
            int n = Math.Min(j.Chunk, j.N - start);
            float* b = j.TransB ? j.B + (long)start * j.Ldb : j.B + start;
            Run(in j, j.M, n, j.A, b, j.C + start, 0, start);
        }
        else
        {
            int m = Math.Min(j.Chunk, j.M - start);
            float* a = j.TransA ? j.A + start : j.A + (long)start * j.Lda;
            Run(in j, m, j.N, a, j.B, j.C + (long)start * j.Ldc, start, 0);
        }
    }

    /// <summary>
    /// The m×n block of C at <paramref name="c"/> (row <paramref name="row0"/>, column <paramref name="col0"/>
    /// of the whole C) from the operands at <paramref name="a"/>, <paramref name="b"/>, on this thread.
    /// </summary>
    private static void Run(in Job j, int m, int n, float* a, float* b, float* c, int row0, int col0)
    {
        float* bias = j.Bias == null ? null : j.Bias + col0;
        if (j.Dot512 || j.Dot)
        {
            if (bias != null) FillRows(c, j.Ldc, m, bias, n);
            // Strips of 4 rows of A (which stay in L1) against all of B's few rows, or, with few rows of A,
            // all of it against B's rows: either way the operand that is read repeatedly is the small one.
            // A block's arithmetic does not depend on the loop order (or on where the block sits), so neither does C.
            int strip = n <= DotKernelMaxColumns ? DotRows : m;
            for (int i = 0; i < m; i += strip)
            {
                int rows = Math.Min(strip, m - i);
                if (j.Dot512) DotNT512(rows, n, j.K, j.Alpha, a + (long)i * j.Lda, j.Lda, b, j.Ldb, j.Beta, c + (long)i * j.Ldc, j.Ldc);
                else DotNT(rows, n, j.K, j.Alpha, a + (long)i * j.Lda, j.Lda, b, j.Ldb, j.Beta, c + (long)i * j.Ldc, j.Ldc);
            }
            // few rows: the whole block is still in cache
            ApplyEpilogue(in j.Epilogue, c, j.Ldc, row0, m, col0, n);
        }
        else Packed(j.TransA, j.TransB, m, n, j.K, j.Alpha, a, j.Lda, b, j.Ldb, j.Beta, c, j.Ldc, j.Kernel, j.Nrw, j.TransposeAvx, in j.Epilogue, row0, col0, bias, j.M, j.N);
    }

    /// <summary>Sets each of <paramref name="rows"/> rows of the block at <paramref name="c"/> to the <paramref name="cols"/> values at <paramref name="bias"/>.</summary>
    private static void FillRows(float* c, int ldc, int rows, float* bias, int cols)
    {
        for (int r = 0; r < rows; r++)
            Buffer.MemoryCopy(bias, c + (long)r * ldc, (long)cols * sizeof(float), (long)cols * sizeof(float));
    }

    /// <summary>The blocked, packed product on this thread (packing buffers are this thread's).</summary>
    private static void Packed(bool transA, bool transB, int m, int n, int k, float alpha,
        float* pa, int lda, float* pb, int ldb, float beta, float* pcm, int ldc, MicroKernel kernel, int nrw, bool transposeAvx,
        in Epilogue epilogue, int row0, int col0, float* bias, int wholeM, int wholeN)
    {
        // The buffers are sized for the whole product (wholeM × wholeN), not this block: a thread's share of
        // a split product changes from call to call (Gemm.Balance.cs), and must never need a larger buffer
        // than the one the thread already has (no allocation per step).
        int kcMax = Math.Min(k, KC);
        int needA = RoundUp(Math.Min(Math.Max(m, wholeM), MC), MR) * kcMax;
        int needB = RoundUp(Math.Min(Math.Max(n, wholeN), NC), nrw) * kcMax;
        var packA = t_packA;
        if (packA is null || packA.Length < needA + 8) t_packA = packA = GC.AllocateUninitializedArray<float>(Math.Max(needA + 8, 4096), pinned: true);
        var packB = t_packB;
        if (packB is null || packB.Length < needB) t_packB = packB = GC.AllocateUninitializedArray<float>(Math.Max(needB, 4096), pinned: true);

        float* tile = stackalloc float[MR * NR512];
        fixed (float* wa = packA, wb = packB)
        {
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                for (int p0 = 0; p0 < k; p0 += KC)
                {
                    int kc = Math.Min(KC, k - p0);
                    float betaNow = p0 == 0 ? beta : 1f;
                    PackB(transB, pb, ldb, p0, jc, kc, nc, wb, transposeAvx, nrw);
                    for (int ic = 0; ic < m; ic += MC)
                    {
                        int mc = Math.Min(MC, m - ic);
                        // C's block starts as the bias rows, filled here so that it is in cache when first accumulated
                        if (bias != null && p0 == 0) FillRows(pcm + (long)ic * ldc + jc, ldc, mc, bias + jc, nc);
                        PackA(transA, pa, lda, ic, p0, mc, kc, wa, transposeAvx);
                        for (int jr = 0; jr < nc; jr += nrw)
                        {
                            int nr = Math.Min(nrw, nc - jr);
                            float* bp = wb + jr * kc;
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mr = Math.Min(MR, mc - ir);
                                float* cp = pcm + (long)(ic + ir) * ldc + jc + jr;
                                if (nrw == NR512 && nr == NR512 && mc - ir >= 2 * MR)
                                {
                                    // Two slivers of A at once: 24 accumulators, half the B loads per multiply-add.
                                    KernelAvx512Twin(kc, wa + ir * kc, bp, cp, ldc, alpha, betaNow);
                                    ir += MR;
                                }
                                else if (nrw == NR512) KernelAvx512(kc, wa + ir * kc, bp, cp, ldc, alpha, betaNow, mr, nr, tile);
                                else if (kernel != MicroKernel.Portable) KernelAvx2(kc, wa + ir * kc, bp, cp, ldc, alpha, betaNow, mr, nr, tile);
                                else KernelPortable(kc, wa + ir * kc, bp, cp, ldc, alpha, betaNow, mr, nr, tile);
                            }
                        }
                        // This mc×nc block of C is final after the last slice of k, and still in L2.
                        if (p0 + kc == k) ApplyEpilogue(in epilogue, pcm + (long)ic * ldc + jc, ldc, row0 + ic, mc, col0 + jc, nc);
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

}

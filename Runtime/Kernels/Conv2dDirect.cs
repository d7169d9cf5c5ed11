using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Kernels;

/// <summary>
/// The register tile of <see cref="Conv2dDirect"/>'s forward kernel: how many output positions (runs of
/// 8 consecutive output columns) and how many output channels one call of the micro-kernel computes.
/// Both use 12 accumulator registers; which is faster depends on the shape (ConvRules picks, from the
/// figures in docs/benchmarks.md).
/// </summary>
public enum ConvTile
{
    /// <summary>2 positions × 6 channels: no wasted lanes when the channel count is a multiple of 6 (LeNet's 1→6).</summary>
    P2C6 = 0,
    /// <summary>3 positions × 4 channels: fewer loads per FMA (7 per 12); best for channel counts that are multiples of 4.</summary>
    P3C4 = 1,
}

/// <summary>What the forward kernel applies to each output before storing it.</summary>
public enum ConvEpilogue
{
    /// <summary>y = conv + bias.</summary>
    Bias = 0,
    /// <summary>y = max(conv + bias, 0) (torch's relu).</summary>
    BiasRelu = 1,
}

/// <summary>
/// Direct 2-D convolution for stride 1, dilation 1, one group and outputs at least 8 columns wide: no
/// patch matrix. The forward micro-kernel keeps a tile of (positions × channels) in 12 AVX registers,
/// each position 8 consecutive output columns, and runs over (c_in, ky, kx) with one unaligned load per
/// position and one broadcast weight per channel per tap (weights repacked channel-innermost, zero-padded
/// to the tile). A row whose width is not a multiple of 8 ends with a run that overlaps the previous one
/// (the forward writes, so the overlap only recomputes). Padding is handled by copying each image into a
/// zero-bordered buffer, so the micro-kernel never tests bounds.
/// <para>
/// The input gradient is the same kernel: dx = conv(dy padded by k−1−p, W flipped and transposed). The
/// weight gradient vectorises over output columns: for a pair of output channels and one (c_in, ky) it
/// keeps 2×k accumulators (k ≤ 5 per pass) over every image and row, then sums each register's lanes once.
/// </para>
/// <para>
/// Every pass has a <c>…Range(start, end)</c> entry point over independent work items (images for the
/// forward and input-gradient passes, output channels for the weight gradient): each item writes only its
/// own outputs and sums in a fixed order, so a worker pool can split [0, count) any way and get the same
/// bits. The plain entry points prepare the shared inputs (packed weights, padded copies) and run
/// [0, count) on the calling thread.
/// </para>
/// </summary>
public static unsafe partial class Conv2dDirect
{
    private const int Lanes = 8;

    /// <summary>Whether the direct kernels compute this geometry (else use <see cref="Conv2d"/>'s im2row + SGEMM).</summary>
    public static bool Supports(in Conv2dShape s) =>
        s.Groups == 1 && s.Dilation == 1 && s.Stride == 1 && s.OutWidth >= Lanes && s.OutHeight >= 1
        && s.Padding <= s.Kernel - 1 && s.Width + 2 * s.Padding >= Lanes + s.Kernel - 1;

    private static int TileChannels(ConvTile t) => t == ConvTile.P2C6 ? 6 : 4;

    /// <summary>Floats of the packed weights of the forward pass (output channels rounded up to the tile).</summary>
    public static int PackedWeightLength(int inChannels, int outChannels, int kernel, ConvTile tile)
    {
        int cb = TileChannels(tile);
        return (outChannels + cb - 1) / cb * cb * inChannels * kernel * kernel;
    }

    /// <summary>
    /// Working memory of the forward pass: its packed weights, then (when padded) the zero-bordered copy of
    /// the whole input, which the weight gradient reads.
    /// </summary>
    public static int ForwardWorkLength(in Conv2dShape s, ConvTile tile) =>
        PackedWeightLength(s.InChannels, s.OutChannels, s.Kernel, tile) + (s.Padding == 0 ? 0 : s.Batch * s.InChannels * PaddedPlane(s.Height, s.Width, s.Padding));

    /// <summary>Working memory of the input gradient: flipped packed weights and zero-bordered copies of dy.</summary>
    public static int InputGradWorkLength(in Conv2dShape s, ConvTile tile)
    {
        int q = s.Kernel - 1 - s.Padding;
        return PackedWeightLength(s.OutChannels, s.InChannels, s.Kernel, tile) + s.Batch * s.OutChannels * PaddedPlane(s.OutHeight, s.OutWidth, q);
    }

    private static int PaddedPlane(int h, int w, int pad) => (h + 2 * pad) * (w + 2 * pad);

    // ------------------------------------------------------------------------------------------------
    // Forward

    /// <summary>
    /// y = act(conv(x, W) + b) over the whole batch; <paramref name="work"/> holds
    /// <see cref="ForwardWorkLength"/> floats and is kept for <see cref="WeightGrad"/>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> work, in Conv2dShape s, ConvTile tile, ConvEpilogue epilogue)
    {
        Check(s, x.Length, y.Length, work.Length, ForwardWorkLength(s, tile), "conv2d");
        if (w.Length < s.OutChannels * s.PatchLength) throw new ArgumentException($"Conv2d: weight has {w.Length} elements, expected {s.OutChannels * s.PatchLength}.");
        if (!bias.IsEmpty && bias.Length < s.OutChannels) throw new ArgumentException($"Conv2d: bias has {bias.Length} elements, expected {s.OutChannels}.");
        int packed = PackedWeightLength(s.InChannels, s.OutChannels, s.Kernel, tile);
        PackWeights(w, work[..packed], s.InChannels, s.OutChannels, s.Kernel, tile, flip: false);
        var padded = work[packed..];
        if (s.Padding > 0) PadRange(x, padded, s.Batch * s.InChannels, s.Height, s.Width, s.Padding, 0, s.Batch * s.InChannels);
        ForwardRange(s.Padding > 0 ? padded : x, work[..packed], bias, y, s, tile, epilogue, 0, s.Batch);
    }

    /// <summary>
    /// Forward pass of images [start, end). <paramref name="source"/> is the input, already
    /// zero-bordered by <c>s.Padding</c> when the geometry pads; <paramref name="packedWeights"/> comes
    /// from <see cref="PackWeights"/>.
    /// </summary>
    // parallel over [start,end): images; each writes only its own output planes.
    public static void ForwardRange(ReadOnlySpan<float> source, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> bias,
        Span<float> y, in Conv2dShape s, ConvTile tile, ConvEpilogue epilogue, int start, int end)
    {
        int hs = s.Height + 2 * s.Padding, ws = s.Width + 2 * s.Padding;
        if ((long)end * s.InChannels * hs * ws > source.Length || (long)end * s.OutChannels * s.OutHeight * s.OutWidth > y.Length)
            throw new ArgumentException("Conv2d: source or output buffer too small for the images requested.");
        bool wide = UsesAvx512;
        fixed (float* ps = source, pw = packedWeights, pb = bias, py = y)
            for (int n = start; n < end; n++)
                if (wide)
                    Image512(ps + (long)n * s.InChannels * hs * ws, hs, ws, s.InChannels, pw, bias.IsEmpty ? null : pb,
                        py + (long)n * s.OutChannels * s.OutHeight * s.OutWidth, s.OutChannels, s.OutHeight, s.OutWidth, s.Kernel, tile, epilogue == ConvEpilogue.BiasRelu);
                else
                    Image(ps + (long)n * s.InChannels * hs * ws, hs, ws, s.InChannels, pw, bias.IsEmpty ? null : pb,
                        py + (long)n * s.OutChannels * s.OutHeight * s.OutWidth, s.OutChannels, s.OutHeight, s.OutWidth, s.Kernel, tile, epilogue == ConvEpilogue.BiasRelu);
    }

    /// <summary>
    /// Repacks [c_out, c_in, k, k] weights as [c_out / tile][c_in][k][k][tile] (zero rows past c_out), or,
    /// with <paramref name="flip"/>, the weights of the transposed convolution: [c_in / tile][c_out][k][k][tile]
    /// holding W[co, ci, k−1−ky, k−1−kx] (here <paramref name="inChannels"/>/<paramref name="outChannels"/>
    /// are the forward layer's).
    /// </summary>
    public static void PackWeights(ReadOnlySpan<float> w, Span<float> packed, int inChannels, int outChannels, int kernel, ConvTile tile, bool flip)
    {
        int cb = TileChannels(tile), kk = kernel * kernel;
        int rows = flip ? inChannels : outChannels, reduce = flip ? outChannels : inChannels;
        int blocks = (rows + cb - 1) / cb;
        if (packed.Length < blocks * cb * reduce * kk) throw new ArgumentException("Conv2d: packed weight buffer too small.");
        int o = 0;
        for (int b = 0; b < blocks; b++)
            for (int r = 0; r < reduce; r++)
                for (int t = 0; t < kk; t++)
                    for (int c = 0; c < cb; c++, o++)
                    {
                        int row = b * cb + c;
                        if (row >= rows) { packed[o] = 0f; continue; }
                        packed[o] = flip ? w[(r * inChannels + row) * kk + (kk - 1 - t)] : w[(row * inChannels + r) * kk + t];
                    }
    }

    /// <summary>Copies planes [start, end) of <paramref name="x"/> into zero-bordered planes of <paramref name="dst"/>.</summary>
    // parallel over [start,end): planes (image × channel).
    public static void PadRange(ReadOnlySpan<float> x, Span<float> dst, int planes, int h, int w, int pad, int start, int end)
    {
        int hp = h + 2 * pad, wp = w + 2 * pad;
        if ((long)planes * h * w > x.Length || (long)planes * hp * wp > dst.Length) throw new ArgumentException("Conv2d: padding buffer too small.");
        for (int p = start; p < end; p++)
        {
            var d = dst.Slice(p * hp * wp, hp * wp);
            d[..(pad * wp)].Clear();
            for (int r = 0; r < h; r++)
            {
                var row = d.Slice((pad + r) * wp, wp);
                row[..pad].Clear();
                x.Slice((p * h + r) * w, w).CopyTo(row[pad..]);
                row[(pad + w)..].Clear();
            }
            d[((pad + h) * wp)..].Clear();
        }
    }

    /// <summary>One image: every channel block, every output row, every run of 8 columns.</summary>
    private static void Image(float* src, int hs, int ws, int cin, float* pw, float* bias, float* y, int cout, int oh, int ow, int k, ConvTile tile, bool relu)
    {
        int cb = TileChannels(tile), pos = tile == ConvTile.P2C6 ? 2 : 3;
        int runs = (ow + Lanes - 1) / Lanes, positions = oh * runs, plane = hs * ws, outPlane = oh * ow;
        int blockWeights = cb * cin * k * k;
        Span<int> at = stackalloc int[3];
        for (int co0 = 0, b = 0; co0 < cout; co0 += cb, b++)
        {
            int valid = Math.Min(cb, cout - co0);
            float* wb = pw + (long)b * blockWeights;
            for (int p0 = 0; p0 < positions; p0 += pos)
            {
                // the tile's positions; a short last group repeats its last position (same result, stored twice)
                for (int j = 0; j < pos; j++)
                {
                    int p = Math.Min(p0 + j, positions - 1), oy = p / runs, ox = Math.Min(p % runs * Lanes, ow - Lanes);
                    at[j] = oy * ow + ox;
                }
                int s0 = at[0] / ow * ws + at[0] % ow, s1 = at[1] / ow * ws + at[1] % ow;
                if (tile == ConvTile.P2C6)
                    P2C6(src + s0, src + s1, wb, cin, k, plane, ws, at[0], at[1], outPlane, valid, bias is null ? null : bias + co0, relu, y + (long)co0 * outPlane);
                else
                {
                    int s2 = at[2] / ow * ws + at[2] % ow;
                    P3C4(src + s0, src + s1, src + s2, wb, cin, k, plane, ws, at[0], at[1], at[2], outPlane, valid, bias is null ? null : bias + co0, relu, y + (long)co0 * outPlane);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Madd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector256<float> acc, float* bias, int c, bool relu, float* dst)
    {
        if (bias is not null) acc += Vector256.Create(bias[c]);
        if (relu) acc = Vector256.Max(acc, Vector256<float>.Zero);
        acc.Store(dst);
    }

    /// <summary>2 positions × 6 channels; outputs at yBlock + c·plane + o_j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void P2C6(float* s0, float* s1, float* wp, int cin, int k, int plane, int ws, int o0, int o1, int outPlane, int valid, float* bias, bool relu, float* yBlock)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0; var b4 = a0; var b5 = a0;
        for (int ci = 0; ci < cin; ci++)
        {
            float* r0 = s0 + (long)ci * plane, r1 = s1 + (long)ci * plane;
            for (int ky = 0; ky < k; ky++, r0 += ws, r1 += ws)
                for (int kx = 0; kx < k; kx++, wp += 6)
                {
                    var x0 = Vector256.Load(r0 + kx); var x1 = Vector256.Load(r1 + kx);
                    var w = Vector256.Create(wp[0]); a0 = Madd(x0, w, a0); b0 = Madd(x1, w, b0);
                    w = Vector256.Create(wp[1]); a1 = Madd(x0, w, a1); b1 = Madd(x1, w, b1);
                    w = Vector256.Create(wp[2]); a2 = Madd(x0, w, a2); b2 = Madd(x1, w, b2);
                    w = Vector256.Create(wp[3]); a3 = Madd(x0, w, a3); b3 = Madd(x1, w, b3);
                    w = Vector256.Create(wp[4]); a4 = Madd(x0, w, a4); b4 = Madd(x1, w, b4);
                    w = Vector256.Create(wp[5]); a5 = Madd(x0, w, a5); b5 = Madd(x1, w, b5);
                }
        }
        float* c0 = yBlock + o0, c1 = yBlock + o1;
        Put(a0, bias, 0, relu, c0); Put(b0, bias, 0, relu, c1);
        if (valid > 1) { Put(a1, bias, 1, relu, c0 + outPlane); Put(b1, bias, 1, relu, c1 + outPlane); }
        if (valid > 2) { Put(a2, bias, 2, relu, c0 + 2 * outPlane); Put(b2, bias, 2, relu, c1 + 2 * outPlane); }
        if (valid > 3) { Put(a3, bias, 3, relu, c0 + 3 * outPlane); Put(b3, bias, 3, relu, c1 + 3 * outPlane); }
        if (valid > 4) { Put(a4, bias, 4, relu, c0 + 4 * outPlane); Put(b4, bias, 4, relu, c1 + 4 * outPlane); }
        if (valid > 5) { Put(a5, bias, 5, relu, c0 + 5 * outPlane); Put(b5, bias, 5, relu, c1 + 5 * outPlane); }
    }

    /// <summary>3 positions × 4 channels; outputs at yBlock + c·plane + o_j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void P3C4(float* s0, float* s1, float* s2, float* wp, int cin, int k, int plane, int ws, int o0, int o1, int o2, int outPlane, int valid, float* bias, bool relu, float* yBlock)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0;
        var c0 = a0; var c1 = a0; var c2 = a0; var c3 = a0;
        for (int ci = 0; ci < cin; ci++)
        {
            float* r0 = s0 + (long)ci * plane, r1 = s1 + (long)ci * plane, r2 = s2 + (long)ci * plane;
            for (int ky = 0; ky < k; ky++, r0 += ws, r1 += ws, r2 += ws)
                for (int kx = 0; kx < k; kx++, wp += 4)
                {
                    var x0 = Vector256.Load(r0 + kx); var x1 = Vector256.Load(r1 + kx); var x2 = Vector256.Load(r2 + kx);
                    var w = Vector256.Create(wp[0]); a0 = Madd(x0, w, a0); b0 = Madd(x1, w, b0); c0 = Madd(x2, w, c0);
                    w = Vector256.Create(wp[1]); a1 = Madd(x0, w, a1); b1 = Madd(x1, w, b1); c1 = Madd(x2, w, c1);
                    w = Vector256.Create(wp[2]); a2 = Madd(x0, w, a2); b2 = Madd(x1, w, b2); c2 = Madd(x2, w, c2);
                    w = Vector256.Create(wp[3]); a3 = Madd(x0, w, a3); b3 = Madd(x1, w, b3); c3 = Madd(x2, w, c3);
                }
        }
        float* d0 = yBlock + o0, d1 = yBlock + o1, d2 = yBlock + o2;
        Put(a0, bias, 0, relu, d0); Put(b0, bias, 0, relu, d1); Put(c0, bias, 0, relu, d2);
        if (valid > 1) { Put(a1, bias, 1, relu, d0 + outPlane); Put(b1, bias, 1, relu, d1 + outPlane); Put(c1, bias, 1, relu, d2 + outPlane); }
        if (valid > 2) { Put(a2, bias, 2, relu, d0 + 2 * outPlane); Put(b2, bias, 2, relu, d1 + 2 * outPlane); Put(c2, bias, 2, relu, d2 + 2 * outPlane); }
        if (valid > 3) { Put(a3, bias, 3, relu, d0 + 3 * outPlane); Put(b3, bias, 3, relu, d1 + 3 * outPlane); Put(c3, bias, 3, relu, d2 + 3 * outPlane); }
    }

    // ------------------------------------------------------------------------------------------------
    // Input gradient: dx = conv(dy zero-bordered by k−1−p, W flipped and transposed), the forward kernel.

    /// <summary>Whether <see cref="InputGrad"/> computes this geometry (the transposed convolution must be direct too).</summary>
    public static bool SupportsInputGrad(in Conv2dShape s) => Supports(s) && Supports(Transposed(s));

    /// <summary>The geometry of the convolution that computes the input gradient of <paramref name="s"/>.</summary>
    private static Conv2dShape Transposed(in Conv2dShape s) =>
        new(s.Batch, s.OutChannels, s.OutHeight, s.OutWidth, s.InChannels, s.Kernel, 1, s.Kernel - 1 - s.Padding, 1, 1);

    /// <summary>dx = ∂(conv(x, W))/∂x · dy (overwrites <paramref name="dx"/>); <paramref name="work"/> holds <see cref="InputGradWorkLength"/> floats.</summary>
    public static void InputGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, Span<float> work, in Conv2dShape s, ConvTile tile)
    {
        if (!SupportsInputGrad(s)) throw new ArgumentException($"Conv2d: the direct input gradient does not support {s}; use the im2row kernel.");
        Check(s, dx.Length, dy.Length, work.Length, InputGradWorkLength(s, tile), "conv2d input gradient");
        int packed = PackedWeightLength(s.OutChannels, s.InChannels, s.Kernel, tile);
        PackWeights(w, work[..packed], s.InChannels, s.OutChannels, s.Kernel, tile, flip: true);
        InputGradRange(dy, work[..packed], dx, work[packed..], s, tile, 0, s.Batch);
    }

    /// <summary>Input gradient of images [start, end): each image's dy is zero-bordered into its own part of <paramref name="padScratch"/>, then convolved.</summary>
    // parallel over [start,end): images; each writes only its own dx planes and its own part of padScratch.
    public static void InputGradRange(ReadOnlySpan<float> dy, ReadOnlySpan<float> packedFlipped, Span<float> dx, Span<float> padScratch,
        in Conv2dShape s, ConvTile tile, int start, int end)
    {
        var t = Transposed(s);
        if (t.Padding == 0)
        {
            ForwardRange(dy, packedFlipped, default, dx, t, tile, ConvEpilogue.Bias, start, end);
            return;
        }
        int planes = s.OutChannels, plane = s.OutHeight * s.OutWidth, padded = PaddedPlane(s.OutHeight, s.OutWidth, t.Padding);
        for (int n = start; n < end; n++)
        {
            // image n alone: its dy planes padded into slot n (same layout as a whole-batch copy)
            PadRange(dy.Slice(n * planes * plane, planes * plane), padScratch.Slice(n * planes * padded, planes * padded), planes, s.OutHeight, s.OutWidth, t.Padding, 0, planes);
            ForwardRange(padScratch, packedFlipped, default, dx, t, tile, ConvEpilogue.Bias, n, n + 1);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Input gradient, scatter form: no zero taps. For 2 positions (runs of 8 output columns) × 6 input
    // channels and one tap (ky, kx), 12 registers sum W[co, ci, ky, kx] · dy[n, co, run] over the output
    // channels, then each is added once to dx[n, ci, oy + ky − p, ox + kx − p .. + 8]. The 6 channels of a
    // tile write 6 different planes, so its read-modify-writes never overlap one another.

    /// <summary>Floats of <see cref="InputGradScatter"/>'s working memory: packed weights, then (when padded) a zero-bordered dx.</summary>
    public static int InputGradScatterWorkLength(in Conv2dShape s) =>
        (s.InChannels + 5) / 6 * 6 * s.OutChannels * s.Kernel * s.Kernel + (s.Padding == 0 ? 0 : s.Batch * s.InChannels * PaddedPlane(s.Height, s.Width, s.Padding));

    /// <summary>dx (overwritten) by the scatter form; same support as the forward kernel (<see cref="Supports"/>).</summary>
    public static void InputGradScatter(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, Span<float> work, in Conv2dShape s)
    {
        Check(s, dx.Length, dy.Length, work.Length, InputGradScatterWorkLength(s), "conv2d input gradient");
        if (w.Length < s.OutChannels * s.PatchLength) throw new ArgumentException($"Conv2d: weight has {w.Length} elements, expected {s.OutChannels * s.PatchLength}.");
        int packed = (s.InChannels + 5) / 6 * 6 * s.OutChannels * s.Kernel * s.Kernel;
        // [ci / 6][ky][kx][co][6]
        int kk = s.Kernel * s.Kernel, o = 0;
        var pw = work[..packed];
        for (int b = 0; b < (s.InChannels + 5) / 6; b++)
            for (int t = 0; t < kk; t++)
                for (int co = 0; co < s.OutChannels; co++)
                    for (int c = 0; c < 6; c++, o++)
                    {
                        int ci = b * 6 + c;
                        pw[o] = ci < s.InChannels ? w[(co * s.InChannels + ci) * kk + t] : 0f;
                    }
        InputGradScatterRange(dy, pw, dx, work[packed..], s, 0, s.Batch);
    }

    /// <summary>Scatter-form input gradient of images [start, end); a padded geometry accumulates into slot n of <paramref name="padScratch"/> first.</summary>
    // parallel over [start,end): images; each writes only its own dx planes and its own part of padScratch.
    public static void InputGradScatterRange(ReadOnlySpan<float> dy, ReadOnlySpan<float> packedWeights, Span<float> dx, Span<float> padScratch,
        in Conv2dShape s, int start, int end)
    {
        int hp = s.Height + 2 * s.Padding, wp = s.Width + 2 * s.Padding, plane = hp * wp, image = s.InChannels * plane;
        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel, runs = (ow + Lanes - 1) / Lanes, positions = oh * runs;
        if ((long)end * s.OutChannels * oh * ow > dy.Length || (long)end * s.InChannels * s.Height * s.Width > dx.Length
            || (s.Padding > 0 && (long)end * image > padScratch.Length))
            throw new ArgumentException("Conv2d: input gradient buffers too small for the images requested.");
        int rem = ow % Lanes;
        var tailMask = Vector256.GreaterThanOrEqual(Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((float)(rem == 0 ? 0 : Lanes - rem)));
        var all = Vector256<float>.AllBitsSet;
        int blockWeights = 6 * s.OutChannels * k * k;
        bool wide = UsesAvx512;
        fixed (float* pdy = dy, pw = packedWeights, pdx = dx, pscr = padScratch)
            for (int n = start; n < end; n++)
            {
                float* target = s.Padding > 0 ? pscr + (long)n * image : pdx + (long)n * image;
                new Span<float>(target, image).Clear();
                float* dyn = pdy + (long)n * s.OutChannels * oh * ow;
                if (wide)
                {
                    ScatterImage512(dyn, pw, target, s, tailMask, all, blockWeights);
                    goto copyOut;
                }
                for (int ci0 = 0, b = 0; ci0 < s.InChannels; ci0 += 6, b++)
                {
                    int valid = Math.Min(6, s.InChannels - ci0);
                    for (int p0 = 0; p0 < positions; p0 += 2)
                    {
                        int pa = p0, pb = Math.Min(p0 + 1, positions - 1);
                        int oya = pa / runs, oxa = Math.Min(pa % runs * Lanes, ow - Lanes), oyb = pb / runs, oxb = Math.Min(pb % runs * Lanes, ow - Lanes);
                        // a run that overlaps the one before it counts only its new lanes; a missing second position counts nothing
                        var ma = pa % runs == runs - 1 && rem != 0 && runs > 1 ? tailMask : all;
                        var mb = pb == pa ? Vector256<float>.Zero : pb % runs == runs - 1 && rem != 0 && runs > 1 ? tailMask : all;
                        float* da = dyn + oya * ow + oxa, db = dyn + oyb * ow + oxb;
                        float* wt = pw + (long)b * blockWeights;
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++, wt += 6 * s.OutChannels)
                                ScatterTile(da, db, ma, mb, wt, s.OutChannels, oh * ow,
                                    target + (long)ci0 * plane + (oya + ky) * wp + oxa + kx, target + (long)ci0 * plane + (oyb + ky) * wp + oxb + kx, plane, valid);
                    }
                }
                copyOut:
                if (s.Padding > 0)
                    for (int ci = 0; ci < s.InChannels; ci++)
                        for (int r = 0; r < s.Height; r++)
                            new ReadOnlySpan<float>(target + (long)ci * plane + (r + s.Padding) * wp + s.Padding, s.Width)
                                .CopyTo(new Span<float>(pdx + ((long)(n * s.InChannels + ci) * s.Height + r) * s.Width, s.Width));
            }
    }

    /// <summary>12 sums over the output channels (2 runs × 6 input channels) for one tap, added into dx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterTile(float* da, float* db, Vector256<float> ma, Vector256<float> mb, float* wp, int cout, int dyPlane, float* ta, float* tb, int plane, int valid)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0; var b4 = a0; var b5 = a0;
        for (int co = 0; co < cout; co++, da += dyPlane, db += dyPlane, wp += 6)
        {
            var u = Vector256.Load(da) & ma; var v = Vector256.Load(db) & mb;
            var w = Vector256.Create(wp[0]); a0 = Madd(u, w, a0); b0 = Madd(v, w, b0);
            w = Vector256.Create(wp[1]); a1 = Madd(u, w, a1); b1 = Madd(v, w, b1);
            w = Vector256.Create(wp[2]); a2 = Madd(u, w, a2); b2 = Madd(v, w, b2);
            w = Vector256.Create(wp[3]); a3 = Madd(u, w, a3); b3 = Madd(v, w, b3);
            w = Vector256.Create(wp[4]); a4 = Madd(u, w, a4); b4 = Madd(v, w, b4);
            w = Vector256.Create(wp[5]); a5 = Madd(u, w, a5); b5 = Madd(v, w, b5);
        }
        Add(ta, a0); Add(tb, b0);
        if (valid > 1) { Add(ta + plane, a1); Add(tb + plane, b1); }
        if (valid > 2) { Add(ta + 2 * plane, a2); Add(tb + 2 * plane, b2); }
        if (valid > 3) { Add(ta + 3 * plane, a3); Add(tb + 3 * plane, b3); }
        if (valid > 4) { Add(ta + 4 * plane, a4); Add(tb + 4 * plane, b4); }
        if (valid > 5) { Add(ta + 5 * plane, a5); Add(tb + 5 * plane, b5); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* t, Vector256<float> v) => (Vector256.Load(t) + v).Store(t);

    // ------------------------------------------------------------------------------------------------
    // Weight gradient: dW[co, ci, ky, kx] = Σ_n,oy,ox dy[n, co, oy, ox] · x[n, ci, oy + ky − p, ox + kx − p]

    /// <summary>
    /// dW (overwritten) from dy and the forward pass's input: <paramref name="x"/> when the geometry has no
    /// padding, else the zero-bordered copy the forward pass left in its working memory (pass that work).
    /// </summary>
    public static void WeightGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> forwardWork, Span<float> dw, in Conv2dShape s, ConvTile tile)
    {
        Check(s, x.Length, dy.Length, forwardWork.Length, ForwardWorkLength(s, tile), "conv2d weight gradient");
        if (dw.Length < s.OutChannels * s.PatchLength) throw new ArgumentException($"Conv2d: weight gradient has {dw.Length} elements, expected {s.OutChannels * s.PatchLength}.");
        var source = s.Padding == 0 ? x : forwardWork[PackedWeightLength(s.InChannels, s.OutChannels, s.Kernel, tile)..];
        WeightGradRange(dy, source, dw, s, 0, s.OutChannels);
    }

    /// <summary>Weight gradient of output channels [start, end) (two at a time), summed over the batch in a fixed order.</summary>
    // parallel over [start,end): output channels; each writes only its own dW rows.
    public static void WeightGradRange(ReadOnlySpan<float> dy, ReadOnlySpan<float> source, Span<float> dw, in Conv2dShape s, int start, int end)
    {
        int hs = s.Height + 2 * s.Padding, ws = s.Width + 2 * s.Padding, k = s.Kernel;
        if ((long)s.Batch * s.InChannels * hs * ws > source.Length || (long)s.Batch * s.OutChannels * s.OutHeight * s.OutWidth > dy.Length || (long)end * s.PatchLength > dw.Length)
            throw new ArgumentException("Conv2d: weight gradient buffers too small.");
        int rem = s.OutWidth % Lanes;
        // the last run of a row overlaps the one before: count only its lanes past that run
        var tailMask = Vector256.GreaterThanOrEqual(Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((float)(rem == 0 ? 0 : Lanes - rem)));
        var g = new WgGeometry(s.Batch, s.InChannels, s.OutChannels, hs, ws, s.OutHeight, s.OutWidth, k, tailMask);
        bool wide = UsesAvx512 && s.OutWidth >= 2 * Lanes;
        var tail16 = wide ? TailMask16(s.OutWidth) : default;
        if (UsesChannelPath(s))
        {
            fixed (float* pdy = dy, ps = source, pdw = dw) WeightGradChannels(pdy, ps, pdw, s, hs, ws, start, end);
            return;
        }
        fixed (float* pdy = dy, ps = source, pdw = dw)
            for (int co = start; co < end; co += 2)
            {
                int co1 = Math.Min(co + 1, end - 1);
                for (int ci = 0; ci < s.InChannels; ci++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx0 = 0; kx0 < k; kx0 += 5)
                        {
                            float* d0 = pdw + ((long)(co * s.InChannels + ci) * k + ky) * k + kx0;
                            float* d1 = pdw + ((long)(co1 * s.InChannels + ci) * k + ky) * k + kx0;
                            float* src = ps + (long)ci * hs * ws + (long)ky * ws + kx0;
                            if (wide)
                                switch (Math.Min(5, k - kx0))
                                {
                                    case 1: WgTaps16<T1>(pdy, src, co, co1, g, tail16, d0, d1); continue;
                                    case 2: WgTaps16<T2>(pdy, src, co, co1, g, tail16, d0, d1); continue;
                                    case 3: WgTaps16<T3>(pdy, src, co, co1, g, tail16, d0, d1); continue;
                                    case 4: WgTaps16<T4>(pdy, src, co, co1, g, tail16, d0, d1); continue;
                                    default: WgTaps16<T5>(pdy, src, co, co1, g, tail16, d0, d1); continue;
                                }
                            switch (Math.Min(5, k - kx0))
                            {
                                case 1: WgTaps<T1>(pdy, src, co, co1, g, d0, d1); break;
                                case 2: WgTaps<T2>(pdy, src, co, co1, g, d0, d1); break;
                                case 3: WgTaps<T3>(pdy, src, co, co1, g, d0, d1); break;
                                case 4: WgTaps<T4>(pdy, src, co, co1, g, d0, d1); break;
                                default: WgTaps<T5>(pdy, src, co, co1, g, d0, d1); break;
                            }
                        }
            }
    }

    private readonly record struct WgGeometry(int Batch, int InChannels, int OutChannels, int Hs, int Ws, int OutHeight, int OutWidth, int Kernel, Vector256<float> TailMask);

    /// <summary>A tap count known to the JIT, so the weight-gradient micro-kernel keeps exactly 2·T accumulators.</summary>
    private interface ITaps { static abstract int Value { get; } }
    private struct T1 : ITaps { public static int Value => 1; }
    private struct T2 : ITaps { public static int Value => 2; }
    private struct T3 : ITaps { public static int Value => 3; }
    private struct T4 : ITaps { public static int Value => 4; }
    private struct T5 : ITaps { public static int Value => 5; }

    /// <summary>dW[co(1), ci, ky, kx0 .. kx0 + T) for two channels: 2·T vector sums over every image, row and run of 8 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WgTaps<T>(float* dy, float* src, int co0, int co1, in WgGeometry g, float* d0, float* d1) where T : struct, ITaps
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0; var b4 = a0;
        int ow = g.OutWidth, oplane = g.OutHeight * ow, iplane = g.Hs * g.Ws, full = ow / Lanes;
        bool tail = ow % Lanes != 0;
        var mask = g.TailMask;
        for (int n = 0; n < g.Batch; n++)
        {
            float* y0 = dy + ((long)n * g.OutChannels + co0) * oplane, y1 = dy + ((long)n * g.OutChannels + co1) * oplane;
            float* xs = src + (long)n * g.InChannels * iplane;
            for (int oy = 0; oy < g.OutHeight; oy++, y0 += ow, y1 += ow, xs += g.Ws)
                for (int r = 0; r <= full; r++)
                {
                    int ox;
                    Vector256<float> u, v;
                    if (r < full) { ox = r * Lanes; u = Vector256.Load(y0 + ox); v = Vector256.Load(y1 + ox); }
                    else if (tail) { ox = ow - Lanes; u = Vector256.Load(y0 + ox) & mask; v = Vector256.Load(y1 + ox) & mask; }
                    else break;
                    float* xr = xs + ox;
                    var x = Vector256.Load(xr); a0 = Madd(u, x, a0); b0 = Madd(v, x, b0);
                    if (T.Value > 1) { x = Vector256.Load(xr + 1); a1 = Madd(u, x, a1); b1 = Madd(v, x, b1); }
                    if (T.Value > 2) { x = Vector256.Load(xr + 2); a2 = Madd(u, x, a2); b2 = Madd(v, x, b2); }
                    if (T.Value > 3) { x = Vector256.Load(xr + 3); a3 = Madd(u, x, a3); b3 = Madd(v, x, b3); }
                    if (T.Value > 4) { x = Vector256.Load(xr + 4); a4 = Madd(u, x, a4); b4 = Madd(v, x, b4); }
                }
        }
        // d1 == d0 when the range has an odd channel out: the same sums, stored twice
        d0[0] = Vector256.Sum(a0); d1[0] = Vector256.Sum(b0);
        if (T.Value > 1) { d0[1] = Vector256.Sum(a1); d1[1] = Vector256.Sum(b1); }
        if (T.Value > 2) { d0[2] = Vector256.Sum(a2); d1[2] = Vector256.Sum(b2); }
        if (T.Value > 3) { d0[3] = Vector256.Sum(a3); d1[3] = Vector256.Sum(b3); }
        if (T.Value > 4) { d0[4] = Vector256.Sum(a4); d1[4] = Vector256.Sum(b4); }
    }

    private static void Check(in Conv2dShape s, int x, int y, int work, int needWork, string what)
    {
        if (!Supports(s)) throw new ArgumentException($"Conv2d: the direct kernel does not support {s} ({what}); use the im2row kernel.");
        if ((long)s.Batch * s.InChannels * s.Height * s.Width > x) throw new ArgumentException($"Conv2d: input has {x} elements, expected {s.Batch * s.InChannels * s.Height * s.Width}.");
        if ((long)s.Batch * s.OutChannels * s.OutHeight * s.OutWidth > y) throw new ArgumentException($"Conv2d: output has {y} elements, expected {s.Batch * s.OutChannels * s.OutHeight * s.OutWidth}.");
        if (work < needWork) throw new ArgumentException($"Conv2d: working memory has {work} elements, needs {needWork}.");
    }
}

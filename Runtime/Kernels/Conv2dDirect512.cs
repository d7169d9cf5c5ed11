using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Kernels;

// AVX-512 forms of the direct convolution's micro-kernels. A 512-bit vector holds two runs of 8 output
// columns (any two: consecutive runs of a row, or the last run of one row and the first of the next), so
// every geometry the AVX2 kernels take is taken here with the same run layout, overlap and masks, and
// each FMA does twice the work. On a Zen 5 core a 512-bit FMA costs what a 256-bit one does (about 2×
// the 256-bit FMA throughput measured on the benchmark machine, docs/benchmarks.md), and LeNet's
// batch-10 step is FMA-bound in its convolutions. Results differ from the AVX2 kernels' in the last bits (other
// partial sums), never with the thread count: the choice depends on the machine alone.
public static unsafe partial class Conv2dDirect
{
    /// <summary>Whether the AVX-512 kernels run (<see cref="VectorWidth.Avx512"/>).</summary>
    public static bool UsesAvx512 => VectorWidth.Avx512;

    /// <summary>The offset (row · stride + column) and mask of run <paramref name="q"/> of a plane with <paramref name="runs"/> runs per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run(int q, int runs, int ow, int stride, out int inOffset, out int outOffset)
    {
        int oy = q / runs, ox = Math.Min(q % runs * Lanes, ow - Lanes);
        inOffset = oy * stride + ox; outOffset = oy * ow + ox;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(float* a, float* b) => Vector512.Create(Vector256.Load(a), Vector256.Load(b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> M512(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put2(Vector512<float> acc, float* bias, int c, bool relu, float* lo, float* hi)
    {
        if (bias is not null) acc += Vector512.Create(bias[c]);
        if (relu) acc = Vector512.Max(acc, Vector512<float>.Zero);
        acc.GetLower().Store(lo);
        acc.GetUpper().Store(hi);
    }

    // ------------------------------------------------------------------------------------------------
    // Forward

    /// <summary>One image, AVX-512: runs taken two per vector; 2 pairs × 6 channels (P2C6) or 4 pairs × 4 channels (P3C4's packing).</summary>
    private static void Image512(float* src, int hs, int ws, int cin, float* pw, float* bias, float* y, int cout, int oh, int ow, int k, ConvTile tile, bool relu)
    {
        int cb = TileChannels(tile), pairsPerTile = tile == ConvTile.P2C6 ? 2 : 4, runsPerTile = 2 * pairsPerTile;
        int runs = (ow + Lanes - 1) / Lanes, total = oh * runs, plane = hs * ws, outPlane = oh * ow;
        int blockWeights = cb * cin * k * k;
        int* si = stackalloc int[8];
        int* so = stackalloc int[8];
        for (int co0 = 0, b = 0; co0 < cout; co0 += cb, b++)
        {
            int valid = Math.Min(cb, cout - co0);
            float* wb = pw + (long)b * blockWeights;
            float* bb = bias is null ? null : bias + co0;
            float* yb = y + (long)co0 * outPlane;
            for (int q0 = 0; q0 < total; q0 += runsPerTile)
            {
                // a short last tile repeats its last run (same result, stored again)
                for (int j = 0; j < runsPerTile; j++) Run(Math.Min(q0 + j, total - 1), runs, ow, ws, out si[j], out so[j]);
                if (tile == ConvTile.P2C6) P2C6x512(src, si, wb, cin, k, plane, ws, so, outPlane, valid, bb, relu, yb);
                else P4C4x512(src, si, wb, cin, k, plane, ws, so, outPlane, valid, bb, relu, yb);
            }
        }
    }

    /// <summary>2 pairs of runs × 6 channels: 12 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void P2C6x512(float* src, int* si, float* wp, int cin, int k, int plane, int ws, int* so, int outPlane, int valid, float* bias, bool relu, float* y)
    {
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0; var b4 = a0; var b5 = a0;
        for (int ci = 0; ci < cin; ci++)
        {
            float* c = src + (long)ci * plane;
            float* r0 = c + si[0], r1 = c + si[1], r2 = c + si[2], r3 = c + si[3];
            for (int ky = 0; ky < k; ky++, r0 += ws, r1 += ws, r2 += ws, r3 += ws)
                for (int kx = 0; kx < k; kx++, wp += 6)
                {
                    var x0 = Pair(r0 + kx, r1 + kx); var x1 = Pair(r2 + kx, r3 + kx);
                    var w = Vector512.Create(wp[0]); a0 = M512(x0, w, a0); b0 = M512(x1, w, b0);
                    w = Vector512.Create(wp[1]); a1 = M512(x0, w, a1); b1 = M512(x1, w, b1);
                    w = Vector512.Create(wp[2]); a2 = M512(x0, w, a2); b2 = M512(x1, w, b2);
                    w = Vector512.Create(wp[3]); a3 = M512(x0, w, a3); b3 = M512(x1, w, b3);
                    w = Vector512.Create(wp[4]); a4 = M512(x0, w, a4); b4 = M512(x1, w, b4);
                    w = Vector512.Create(wp[5]); a5 = M512(x0, w, a5); b5 = M512(x1, w, b5);
                }
        }
        float* o0 = y + so[0], o1 = y + so[1], o2 = y + so[2], o3 = y + so[3];
        Put2(a0, bias, 0, relu, o0, o1); Put2(b0, bias, 0, relu, o2, o3);
        if (valid > 1) { Put2(a1, bias, 1, relu, o0 + outPlane, o1 + outPlane); Put2(b1, bias, 1, relu, o2 + outPlane, o3 + outPlane); }
        if (valid > 2) { Put2(a2, bias, 2, relu, o0 + 2 * outPlane, o1 + 2 * outPlane); Put2(b2, bias, 2, relu, o2 + 2 * outPlane, o3 + 2 * outPlane); }
        if (valid > 3) { Put2(a3, bias, 3, relu, o0 + 3 * outPlane, o1 + 3 * outPlane); Put2(b3, bias, 3, relu, o2 + 3 * outPlane, o3 + 3 * outPlane); }
        if (valid > 4) { Put2(a4, bias, 4, relu, o0 + 4 * outPlane, o1 + 4 * outPlane); Put2(b4, bias, 4, relu, o2 + 4 * outPlane, o3 + 4 * outPlane); }
        if (valid > 5) { Put2(a5, bias, 5, relu, o0 + 5 * outPlane, o1 + 5 * outPlane); Put2(b5, bias, 5, relu, o2 + 5 * outPlane, o3 + 5 * outPlane); }
    }

    /// <summary>4 pairs of runs × 4 channels (the P3C4 packing): 16 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void P4C4x512(float* src, int* si, float* wp, int cin, int k, int plane, int ws, int* so, int outPlane, int valid, float* bias, bool relu, float* y)
    {
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0;
        var c0 = a0; var c1 = a0; var c2 = a0; var c3 = a0;
        var d0 = a0; var d1 = a0; var d2 = a0; var d3 = a0;
        for (int ci = 0; ci < cin; ci++)
        {
            float* c = src + (long)ci * plane;
            float* r0 = c + si[0], r1 = c + si[1], r2 = c + si[2], r3 = c + si[3], r4 = c + si[4], r5 = c + si[5], r6 = c + si[6], r7 = c + si[7];
            for (int ky = 0; ky < k; ky++, r0 += ws, r1 += ws, r2 += ws, r3 += ws, r4 += ws, r5 += ws, r6 += ws, r7 += ws)
                for (int kx = 0; kx < k; kx++, wp += 4)
                {
                    var x0 = Pair(r0 + kx, r1 + kx); var x1 = Pair(r2 + kx, r3 + kx); var x2 = Pair(r4 + kx, r5 + kx); var x3 = Pair(r6 + kx, r7 + kx);
                    var w = Vector512.Create(wp[0]); a0 = M512(x0, w, a0); b0 = M512(x1, w, b0); c0 = M512(x2, w, c0); d0 = M512(x3, w, d0);
                    w = Vector512.Create(wp[1]); a1 = M512(x0, w, a1); b1 = M512(x1, w, b1); c1 = M512(x2, w, c1); d1 = M512(x3, w, d1);
                    w = Vector512.Create(wp[2]); a2 = M512(x0, w, a2); b2 = M512(x1, w, b2); c2 = M512(x2, w, c2); d2 = M512(x3, w, d2);
                    w = Vector512.Create(wp[3]); a3 = M512(x0, w, a3); b3 = M512(x1, w, b3); c3 = M512(x2, w, c3); d3 = M512(x3, w, d3);
                }
        }
        for (int ch = 0; ch < valid; ch++)
        {
            var (pa, pb, pc, pd) = ch switch { 0 => (a0, b0, c0, d0), 1 => (a1, b1, c1, d1), 2 => (a2, b2, c2, d2), _ => (a3, b3, c3, d3) };
            float* o = y + (long)ch * outPlane;
            Put2(pa, bias, ch, relu, o + so[0], o + so[1]); Put2(pb, bias, ch, relu, o + so[2], o + so[3]);
            Put2(pc, bias, ch, relu, o + so[4], o + so[5]); Put2(pd, bias, ch, relu, o + so[6], o + so[7]);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Weight gradient

    /// <summary>
    /// <see cref="WgTaps{T}"/> over runs of 16 output columns (outputs at least 16 wide): one 512-bit load
    /// each of dy and of every tap's input, no lane shuffles; the last run of a row that is not a multiple
    /// of 16 overlaps the one before and is masked to its new lanes (<paramref name="tail"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WgTaps16<T>(float* dy, float* src, int co0, int co1, in WgGeometry g, Vector512<float> tail, float* d0, float* d1) where T : struct, ITaps
    {
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0; var b4 = a0;
        const int W = 2 * Lanes;
        int ow = g.OutWidth, oplane = g.OutHeight * ow, iplane = g.Hs * g.Ws, full = ow / W;
        bool partial = ow % W != 0;
        for (int n = 0; n < g.Batch; n++)
        {
            float* y0 = dy + ((long)n * g.OutChannels + co0) * oplane, y1 = dy + ((long)n * g.OutChannels + co1) * oplane;
            float* xs = src + (long)n * g.InChannels * iplane;
            for (int oy = 0; oy < g.OutHeight; oy++, y0 += ow, y1 += ow, xs += g.Ws)
                for (int r = 0; r <= full; r++)
                {
                    int ox;
                    Vector512<float> u, v;
                    if (r < full) { ox = r * W; u = Vector512.Load(y0 + ox); v = Vector512.Load(y1 + ox); }
                    else if (partial) { ox = ow - W; u = Vector512.Load(y0 + ox) & tail; v = Vector512.Load(y1 + ox) & tail; }
                    else break;
                    float* xr = xs + ox;
                    var x = Vector512.Load(xr); a0 = M512(u, x, a0); b0 = M512(v, x, b0);
                    if (T.Value > 1) { x = Vector512.Load(xr + 1); a1 = M512(u, x, a1); b1 = M512(v, x, b1); }
                    if (T.Value > 2) { x = Vector512.Load(xr + 2); a2 = M512(u, x, a2); b2 = M512(v, x, b2); }
                    if (T.Value > 3) { x = Vector512.Load(xr + 3); a3 = M512(u, x, a3); b3 = M512(v, x, b3); }
                    if (T.Value > 4) { x = Vector512.Load(xr + 4); a4 = M512(u, x, a4); b4 = M512(v, x, b4); }
                }
        }
        d0[0] = Vector512.Sum(a0); d1[0] = Vector512.Sum(b0);
        if (T.Value > 1) { d0[1] = Vector512.Sum(a1); d1[1] = Vector512.Sum(b1); }
        if (T.Value > 2) { d0[2] = Vector512.Sum(a2); d1[2] = Vector512.Sum(b2); }
        if (T.Value > 3) { d0[3] = Vector512.Sum(a3); d1[3] = Vector512.Sum(b3); }
        if (T.Value > 4) { d0[4] = Vector512.Sum(a4); d1[4] = Vector512.Sum(b4); }
    }

    /// <summary>Lanes of the last 16-column run of a row of <paramref name="ow"/> columns that the run before it has not covered.</summary>
    private static Vector512<float> TailMask16(int ow)
    {
        int rem = ow % (2 * Lanes);
        return Vector512.GreaterThanOrEqual(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create((float)(rem == 0 ? 0 : 2 * Lanes - rem)));
    }

    /// <summary>Stack bytes <see cref="WeightGradChannels"/> may take (its transposed dy and accumulators).</summary>
    private const int ChannelPathStackBytes = 96 * 1024;

    /// <summary>
    /// Whether the weight gradient vectorises over output channels: outputs narrower than 16 columns
    /// (runs of 16 would be mostly overlap) and at least 12 output channels, so that most of the 16 lanes
    /// work. A property of the geometry, not of the range asked for, so every split takes the same path.
    /// </summary>
    private static bool UsesChannelPath(in Conv2dShape s) =>
        UsesAvx512 && s.OutWidth < 2 * Lanes && s.OutChannels >= 12
        && (long)(s.OutHeight * s.OutWidth + s.InChannels * s.Kernel * s.Kernel) * 16 * sizeof(float) <= ChannelPathStackBytes;

    /// <summary>
    /// dW for output channels [start, end), 16 at a time, one per lane: each image's dy is transposed to
    /// [position][16 channels], then every tap's accumulator (a vector over the channels) adds dy(position)
    /// × the broadcast input at that position and tap. Each lane sums its terms in (image, row, column)
    /// order whatever channels share its vector, so a split of the range gives the same bits.
    /// </summary>
    private static void WeightGradChannels(float* dy, float* src, float* dw, in Conv2dShape s, int hs, int ws, int start, int end)
    {
        int oh = s.OutHeight, ow = s.OutWidth, positions = oh * ow, k = s.Kernel, kk = k * k, cin = s.InChannels, iplane = hs * ws;
        float* dyT = stackalloc float[positions * 16];
        float* acc = stackalloc float[cin * kk * 16];
        for (int c0 = start; c0 < end; c0 += 16)
        {
            int lanes = Math.Min(16, end - c0);
            new Span<float>(acc, cin * kk * 16).Clear();
            for (int n = 0; n < s.Batch; n++)
            {
                float* dyn = dy + ((long)n * s.OutChannels + c0) * positions;
                for (int p = 0; p < positions; p++)
                {
                    float* d = dyT + p * 16;
                    for (int l = 0; l < lanes; l++) d[l] = dyn[(long)l * positions + p];
                    for (int l = lanes; l < 16; l++) d[l] = 0f;
                }
                float* xn = src + (long)n * cin * iplane;
                for (int ci = 0; ci < cin; ci++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx0 = 0; kx0 < k; kx0 += 5)
                        {
                            float* a = acc + ((ci * k + ky) * k + kx0) * 16;
                            float* x = xn + (long)ci * iplane + ky * ws + kx0;
                            switch (Math.Min(5, k - kx0))
                            {
                                case 1: ChannelTaps<T1>(dyT, x, oh, ow, ws, a); break;
                                case 2: ChannelTaps<T2>(dyT, x, oh, ow, ws, a); break;
                                case 3: ChannelTaps<T3>(dyT, x, oh, ow, ws, a); break;
                                case 4: ChannelTaps<T4>(dyT, x, oh, ow, ws, a); break;
                                default: ChannelTaps<T5>(dyT, x, oh, ow, ws, a); break;
                            }
                        }
            }
            for (int l = 0; l < lanes; l++)
                for (int j = 0; j < cin * kk; j++)
                    dw[(long)(c0 + l) * cin * kk + j] = acc[j * 16 + l];
        }
    }

    /// <summary>T taps' accumulators (vectors over 16 output channels) += dyT[position] · x[position + tap], over every position of one image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ChannelTaps<T>(float* dyT, float* x, int oh, int ow, int ws, float* acc) where T : struct, ITaps
    {
        var a0 = Vector512.Load(acc); var a1 = T.Value > 1 ? Vector512.Load(acc + 16) : default;
        var a2 = T.Value > 2 ? Vector512.Load(acc + 32) : default; var a3 = T.Value > 3 ? Vector512.Load(acc + 48) : default;
        var a4 = T.Value > 4 ? Vector512.Load(acc + 64) : default;
        for (int oy = 0; oy < oh; oy++, x += ws)
            for (int ox = 0; ox < ow; ox++, dyT += 16)
            {
                var d = Vector512.Load(dyT);
                float* xr = x + ox;
                a0 = M512(d, Vector512.Create(xr[0]), a0);
                if (T.Value > 1) a1 = M512(d, Vector512.Create(xr[1]), a1);
                if (T.Value > 2) a2 = M512(d, Vector512.Create(xr[2]), a2);
                if (T.Value > 3) a3 = M512(d, Vector512.Create(xr[3]), a3);
                if (T.Value > 4) a4 = M512(d, Vector512.Create(xr[4]), a4);
            }
        a0.Store(acc);
        if (T.Value > 1) a1.Store(acc + 16);
        if (T.Value > 2) a2.Store(acc + 32);
        if (T.Value > 3) a3.Store(acc + 48);
        if (T.Value > 4) a4.Store(acc + 64);
    }

    // ------------------------------------------------------------------------------------------------
    // Input gradient, scatter form

    /// <summary>One image's scatter-form input gradient into <paramref name="target"/> (cleared, zero-bordered when padded): runs taken four at a time.</summary>
    private static void ScatterImage512(float* dyn, float* pw, float* target, in Conv2dShape s, Vector256<float> tailMask, Vector256<float> all, int blockWeights)
    {
        int wp = s.Width + 2 * s.Padding, plane = (s.Height + 2 * s.Padding) * wp;
        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel, runs = (ow + Lanes - 1) / Lanes, total = oh * runs, rem = ow % Lanes;
        int* dOff = stackalloc int[4];
        int* tOff = stackalloc int[4];
        var masks = stackalloc Vector256<float>[4];
        for (int ci0 = 0, b = 0; ci0 < s.InChannels; ci0 += 6, b++)
        {
            int valid = Math.Min(6, s.InChannels - ci0);
            for (int q0 = 0; q0 < total; q0 += 4)
            {
                for (int j = 0; j < 4; j++)
                {
                    int q = Math.Min(q0 + j, total - 1), oy = q / runs, r = q % runs, ox = Math.Min(r * Lanes, ow - Lanes);
                    dOff[j] = oy * ow + ox; tOff[j] = oy * wp + ox;
                    // a run that overlaps the one before it counts only its new lanes; a repeated run counts nothing
                    masks[j] = q0 + j >= total ? Vector256<float>.Zero : r == runs - 1 && rem != 0 && runs > 1 ? tailMask : all;
                }
                float* wt = pw + (long)b * blockWeights;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++, wt += 6 * s.OutChannels)
                    {
                        float* t = target + (long)ci0 * plane + ky * wp + kx;
                        ScatterTile512(dyn, dOff, masks, wt, s.OutChannels, oh * ow, t + tOff[0], t + tOff[1], t + tOff[2], t + tOff[3], plane, valid);
                    }
            }
        }
    }

    /// <summary><see cref="ScatterTile"/> for 2 pairs of runs (4 runs, each with its own mask and target) × 6 input channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScatterTile512(float* dyn, int* dOff, Vector256<float>* masks, float* wp, int cout, int dyPlane, float* t0, float* t1, float* t2, float* t3, int plane, int valid)
    {
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0; var b4 = a0; var b5 = a0;
        Vector256<float> m0 = masks[0], m1 = masks[1], m2 = masks[2], m3 = masks[3];
        float* p0 = dyn + dOff[0], p1 = dyn + dOff[1], p2 = dyn + dOff[2], p3 = dyn + dOff[3];
        for (int co = 0; co < cout; co++, p0 += dyPlane, p1 += dyPlane, p2 += dyPlane, p3 += dyPlane, wp += 6)
        {
            var u = Vector512.Create(Vector256.Load(p0) & m0, Vector256.Load(p1) & m1);
            var v = Vector512.Create(Vector256.Load(p2) & m2, Vector256.Load(p3) & m3);
            var w = Vector512.Create(wp[0]); a0 = M512(u, w, a0); b0 = M512(v, w, b0);
            w = Vector512.Create(wp[1]); a1 = M512(u, w, a1); b1 = M512(v, w, b1);
            w = Vector512.Create(wp[2]); a2 = M512(u, w, a2); b2 = M512(v, w, b2);
            w = Vector512.Create(wp[3]); a3 = M512(u, w, a3); b3 = M512(v, w, b3);
            w = Vector512.Create(wp[4]); a4 = M512(u, w, a4); b4 = M512(v, w, b4);
            w = Vector512.Create(wp[5]); a5 = M512(u, w, a5); b5 = M512(v, w, b5);
        }
        Add4(t0, t1, t2, t3, a0, b0);
        if (valid > 1) Add4(t0 + plane, t1 + plane, t2 + plane, t3 + plane, a1, b1);
        if (valid > 2) Add4(t0 + 2 * plane, t1 + 2 * plane, t2 + 2 * plane, t3 + 2 * plane, a2, b2);
        if (valid > 3) Add4(t0 + 3 * plane, t1 + 3 * plane, t2 + 3 * plane, t3 + 3 * plane, a3, b3);
        if (valid > 4) Add4(t0 + 4 * plane, t1 + 4 * plane, t2 + 4 * plane, t3 + 4 * plane, a4, b4);
        if (valid > 5) Add4(t0 + 5 * plane, t1 + 5 * plane, t2 + 5 * plane, t3 + 5 * plane, a5, b5);
    }

    // The four runs' targets in order: a run that repeats an earlier one has a zero mask, so adding its
    // zeros after the earlier run's sum leaves that sum as it was.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add4(float* t0, float* t1, float* t2, float* t3, Vector512<float> a, Vector512<float> b)
    {
        Add(t0, a.GetLower()); Add(t1, a.GetUpper()); Add(t2, b.GetLower()); Add(t3, b.GetUpper());
    }
}

using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Kernels;

/// <summary>
/// 2×2, stride-2, unpadded max pooling with AVX2 (LeNet's pools), and the backward pass fused with the
/// relu before the pool. Four windows per step: a row pair's 8 input columns are loaded once, each
/// window's four values are spread to both lanes of its pair, and the winner is chosen branch-free with
/// the scalar kernel's exact rule (scan a, b, c, d; a value wins when strictly greater than the maximum so
/// far, so ties go to the first and NaN never wins). The scalar loop mispredicted about half its branches on
/// relu outputs (about one in two is 0): the cnn case spent 400 µs in the 6×24² backward alone.
/// Inputs not covered by a window (odd last row or column) get a zero gradient, as in the scalar kernel.
/// </summary>
public static unsafe class MaxPool2x2
{
    /// <summary>Whether the vector kernels run on this machine (else <see cref="Pool2d"/>'s scalar loops).</summary>
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>y = max over each 2×2 window of planes [start, end) (h × w input planes, ⌊h/2⌋ × ⌊w/2⌋ outputs).</summary>
    // parallel over [start,end): planes.
    public static void ForwardRange(ReadOnlySpan<float> x, Span<float> y, int h, int w, int start, int end)
    {
        int oh = h / 2, ow = w / 2;
        if ((long)end * h * w > x.Length || (long)end * oh * ow > y.Length) throw new ArgumentException("MaxPool2d: buffer too small.");
        var pick = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
        fixed (float* px = x, py = y)
            for (int c = start; c < end; c++)
                for (int oy = 0; oy < oh; oy++)
                {
                    float* r0 = px + ((long)c * h + 2 * oy) * w, r1 = r0 + w, dst = py + ((long)c * oh + oy) * ow;
                    int ox = 0;
                    if (IsSupported)
                        for (; ox + 4 <= ow; ox += 4)
                        {
                            var p = Avx.LoadVector256(r0 + 2 * ox);
                            var q = Avx.LoadVector256(r1 + 2 * ox);
                            var m = MaxNaN(MaxNaN(p, Avx.Permute(p, 0xB1)), MaxNaN(q, Avx.Permute(q, 0xB1)));
                            Sse.Store(dst + ox, Avx2.PermuteVar8x32(m, pick).GetLower());
                        }
                    for (; ox < ow; ox++)
                        dst[ox] = Math.Max(Math.Max(r0[2 * ox], r0[2 * ox + 1]), Math.Max(r1[2 * ox], r1[2 * ox + 1]));
                }
    }

    /// <summary>
    /// dx = the adjoint g routed to each window's first maximum of x, times (x &gt; 0) when
    /// <paramref name="reluBefore"/> (x is then a relu's output and dx the gradient of the relu's input:
    /// the relu backward fused). Planes [start, end); every dx element is written.
    /// </summary>
    // parallel over [start,end): planes.
    public static void BackwardRange(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx, int h, int w, bool reluBefore, int start, int end)
    {
        int oh = h / 2, ow = w / 2;
        if ((long)end * h * w > x.Length || (long)end * h * w > dx.Length || (long)end * oh * ow > g.Length) throw new ArgumentException("MaxPool2d: buffer too small.");
        var spread = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
        var minusInf = Vector256.Create(float.NegativeInfinity);
        fixed (float* px = x, pg = g, pdx = dx)
            for (int c = start; c < end; c++)
            {
                for (int oy = 0; oy < oh; oy++)
                {
                    long i0 = ((long)c * h + 2 * oy) * w, i1 = i0 + w;
                    float* r0 = px + i0, r1 = px + i1, d0 = pdx + i0, d1 = pdx + i1, gr = pg + ((long)c * oh + oy) * ow;
                    int ox = 0;
                    if (IsSupported)
                        for (; ox + 4 <= ow; ox += 4)
                        {
                            var p = Avx.LoadVector256(r0 + 2 * ox);
                            var q = Avx.LoadVector256(r1 + 2 * ox);
                            // each window's a, b (row 0) and c, d (row 1) in both lanes of its pair
                            var a = Avx.Permute(p, 0xA0); var b = Avx.Permute(p, 0xF5);
                            var cc = Avx.Permute(q, 0xA0); var d = Avx.Permute(q, 0xF5);
                            var ga = Avx.CompareGreaterThan(a, minusInf); var m = Avx.BlendVariable(minusInf, a, ga);
                            var gb = Avx.CompareGreaterThan(b, m); m = Avx.BlendVariable(m, b, gb);
                            var gc = Avx.CompareGreaterThan(cc, m); m = Avx.BlendVariable(m, cc, gc);
                            var gd = Avx.CompareGreaterThan(d, m);
                            // the last strict improvement wins
                            var wc = Avx.AndNot(gd, gc); var wb = Avx.AndNot(Avx.Or(gc, gd), gb); var wa = Avx.AndNot(Avx.Or(gb, Avx.Or(gc, gd)), ga);
                            var top = Avx.Blend(wa, wb, 0xAA); var bottom = Avx.Blend(wc, gd, 0xAA);
                            var gv = Avx2.PermuteVar8x32(Vector128.Load(gr + ox).ToVector256Unsafe(), spread);
                            if (reluBefore)
                            {
                                top = Avx.And(top, Avx.CompareGreaterThan(p, Vector256<float>.Zero));
                                bottom = Avx.And(bottom, Avx.CompareGreaterThan(q, Vector256<float>.Zero));
                            }
                            Avx.Store(d0 + 2 * ox, Avx.And(gv, top));
                            Avx.Store(d1 + 2 * ox, Avx.And(gv, bottom));
                        }
                    for (; ox < ow; ox++) Window(r0 + 2 * ox, r1 + 2 * ox, d0 + 2 * ox, d1 + 2 * ox, gr[ox], reluBefore);
                    if ((w & 1) != 0) { d0[w - 1] = 0f; d1[w - 1] = 0f; }
                }
                if ((h & 1) != 0) new Span<float>(pdx + ((long)c * h + h - 1) * w, w).Clear();
            }
    }

    /// <summary>One window, scalar: the same rule as the vector step.</summary>
    private static void Window(float* r0, float* r1, float* d0, float* d1, float g, bool relu)
    {
        int best = -1;
        float m = float.NegativeInfinity;
        if (r0[0] > m) { m = r0[0]; best = 0; }
        if (r0[1] > m) { m = r0[1]; best = 1; }
        if (r1[0] > m) { m = r1[0]; best = 2; }
        if (r1[1] > m) { best = 3; }
        d0[0] = best == 0 && (!relu || r0[0] > 0f) ? g : 0f;
        d0[1] = best == 1 && (!relu || r0[1] > 0f) ? g : 0f;
        d1[0] = best == 2 && (!relu || r1[0] > 0f) ? g : 0f;
        d1[1] = best == 3 && (!relu || r1[1] > 0f) ? g : 0f;
    }

    /// <summary>max(a, b) with Math.Max's NaN rule (a NaN in either gives NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MaxNaN(Vector256<float> a, Vector256<float> b) =>
        Avx.BlendVariable(Avx.Max(a, b), Avx.Add(a, b), Avx.CompareUnordered(a, b));
}

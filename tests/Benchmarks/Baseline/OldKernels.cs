// The scalar pooling and relu-backward kernels of commit cecd6de (Runtime/Kernels/Conv2d.cs, Activations.cs),
// kept here so CnnBefore times the step exactly as it ran before the convolution work (docs/benchmarks.md).
using System;

namespace TrainingGen.Benchmarks.Baseline;

/// <summary>Max pooling and relu backward as they were at cecd6de (scalar, branchy).</summary>
internal static class OldKernels
{
    private static int OutSize(int size, int kernel, int stride, int padding) => (size + 2 * padding - kernel) / stride + 1;

    public static void ReluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx)
    {
        if (g.Length != y.Length || dx.Length != y.Length) throw new ArgumentException("relu backward: lengths differ.");
        for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > 0f ? g[i] : 0f;
    }

    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w, int k, int stride, int pad)
    {
        int oh = OutSize(h, k, stride, pad), ow = OutSize(w, k, stride, pad);
        if (pad == 0 && stride == k && k == 2) { MaxForward2x2(x, y, planes, h, w, oh, ow); return; }
        for (int c = 0; c < planes; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    float m = float.NegativeInfinity;
                    for (int ky = 0; ky < k; ky++)
                    {
                        int iy = oy * stride - pad + ky;
                        if ((uint)iy >= (uint)h) continue;
                        for (int kx = 0; kx < k; kx++)
                        {
                            int ix = ox * stride - pad + kx;
                            if ((uint)ix < (uint)w) m = Math.Max(m, x[(c * h + iy) * w + ix]);
                        }
                    }
                    y[(c * oh + oy) * ow + ox] = m;
                }
    }

    /// <summary>Routes each window's adjoint to its (first) maximum, found again from the saved input.</summary>
    public static void MaxBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx, int planes, int h, int w, int k, int stride, int pad)
    {
        int oh = OutSize(h, k, stride, pad), ow = OutSize(w, k, stride, pad);
        if (pad == 0 && stride == k && k == 2) { MaxBackward2x2(g, x, dx, planes, h, w, oh, ow); return; }
        dx.Clear();
        for (int c = 0; c < planes; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    int best = -1;
                    float m = float.NegativeInfinity;
                    for (int ky = 0; ky < k; ky++)
                    {
                        int iy = oy * stride - pad + ky;
                        if ((uint)iy >= (uint)h) continue;
                        for (int kx = 0; kx < k; kx++)
                        {
                            int ix = ox * stride - pad + kx;
                            if ((uint)ix >= (uint)w) continue;
                            int at = (c * h + iy) * w + ix;
                            if (x[at] > m) { m = x[at]; best = at; }
                        }
                    }
                    if (best >= 0) dx[best] += g[(c * oh + oy) * ow + ox];
                }
    }

    /// <summary>2×2 windows, stride 2, no padding (the common case): same result and tie-breaking as the general loop.</summary>
    private static unsafe void MaxForward2x2(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w, int oh, int ow)
    {
        if ((long)planes * h * w > x.Length || (long)planes * oh * ow > y.Length) throw new ArgumentException("MaxPool2d: buffer too small.");
        fixed (float* px = x, py = y)
            for (int c = 0; c < planes; c++)
                for (int oy = 0; oy < oh; oy++)
                {
                    float* r0 = px + ((long)c * h + 2 * oy) * w, r1 = r0 + w;
                    float* dst = py + ((long)c * oh + oy) * ow;
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float m = float.NegativeInfinity;
                        float a = r0[2 * ox], b = r0[2 * ox + 1], cc = r1[2 * ox], d = r1[2 * ox + 1];
                        m = Math.Max(m, a); m = Math.Max(m, b); m = Math.Max(m, cc); m = Math.Max(m, d);
                        dst[ox] = m;
                    }
                }
    }

    private static unsafe void MaxBackward2x2(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx, int planes, int h, int w, int oh, int ow)
    {
        if ((long)planes * h * w > x.Length || (long)planes * h * w > dx.Length || (long)planes * oh * ow > g.Length) throw new ArgumentException("MaxPool2d: buffer too small.");
        dx.Clear();
        fixed (float* px = x, pg = g, pdx = dx)
            for (int c = 0; c < planes; c++)
                for (int oy = 0; oy < oh; oy++)
                {
                    long r0 = ((long)c * h + 2 * oy) * w, r1 = r0 + w;
                    float* gr = pg + ((long)c * oh + oy) * ow;
                    for (int ox = 0; ox < ow; ox++)
                    {
                        long best = -1;
                        float m = float.NegativeInfinity;
                        long i = r0 + 2 * ox;
                        if (px[i] > m) { m = px[i]; best = i; }
                        if (px[i + 1] > m) { m = px[i + 1]; best = i + 1; }
                        i = r1 + 2 * ox;
                        if (px[i] > m) { m = px[i]; best = i; }
                        if (px[i + 1] > m) { best = i + 1; }
                        if (best >= 0) pdx[best] += gr[ox];
                    }
                }
    }
}

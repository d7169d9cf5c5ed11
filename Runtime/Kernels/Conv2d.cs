using System;
using System.Numerics.Tensors;

namespace TrainingGen.Kernels;

/// <summary>Geometry of a 2-D convolution (square kernel, symmetric padding), NCHW.</summary>
public readonly record struct Conv2dShape(int Batch, int InChannels, int Height, int Width, int OutChannels,
    int Kernel, int Stride, int Padding, int Dilation, int Groups)
{
    public int OutHeight => (Height + 2 * Padding - Dilation * (Kernel - 1) - 1) / Stride + 1;
    public int OutWidth => (Width + 2 * Padding - Dilation * (Kernel - 1) - 1) / Stride + 1;
    /// <summary>Length of one patch row: (C_in / groups)·k·k.</summary>
    public int PatchLength => InChannels / Groups * Kernel * Kernel;
    /// <summary>Elements of the patch matrix kept for the backward pass.</summary>
    public int PatchCount => Batch * Groups * OutHeight * OutWidth * PatchLength;
}

/// <summary>
/// Convolution as "im2row" + GEMM: each output position's receptive field is copied into a contiguous
/// row of the patch matrix (kept for the weight gradient), and the three products are SGEMM calls
/// per image and group (<see cref="Gemm"/>): <c>y = W·patchesᵀ</c> (written straight into NCHW),
/// <c>dW += dy·patches</c>, and <c>cols = dyᵀ·W</c> followed by col2im for the input gradient.
/// </summary>
public static class Conv2d
{
    /// <summary>Rows of patch-matrix gradient computed per SGEMM call in <see cref="InputGrad"/> (bounds its scratch).</summary>
    private const int ColsScratchFloats = 1 << 16;

    [ThreadStatic] private static float[]? t_cols;

    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> patches, in Conv2dShape s)
    {
        int p = s.OutHeight * s.OutWidth, kl = s.PatchLength, cog = s.OutChannels / s.Groups;
        Im2Row(x, patches, s);
        for (int n = 0; n < s.Batch; n++)
            for (int g = 0; g < s.Groups; g++)
            {
                var rows = patches.Slice((n * s.Groups + g) * p * kl, p * kl);
                var yg = y.Slice((n * s.OutChannels + g * cog) * p, cog * p);
                float beta = 0f;
                if (!bias.IsEmpty)
                {
                    for (int c = 0; c < cog; c++) yg.Slice(c * p, p).Fill(bias[g * cog + c]);
                    beta = 1f;
                }
                // y_g [cog, p] = W_g [cog, kl] · rowsᵀ [kl, p]
                Gemm.Sgemm(false, true, cog, p, kl, 1f, w.Slice(g * cog * kl, cog * kl), kl, rows, kl, beta, yg, p);
            }
    }

    /// <summary>dW[co] = Σ_n,q dy[n, co, q]·patch[n, q] (overwrites <paramref name="dw"/>).</summary>
    public static void WeightGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> patches, Span<float> dw, in Conv2dShape s)
    {
        int p = s.OutHeight * s.OutWidth, kl = s.PatchLength, cog = s.OutChannels / s.Groups;
        if (s.Batch == 0) dw.Clear();
        for (int n = 0; n < s.Batch; n++)
            for (int g = 0; g < s.Groups; g++)
            {
                var rows = patches.Slice((n * s.Groups + g) * p * kl, p * kl);
                var dyg = dy.Slice((n * s.OutChannels + g * cog) * p, cog * p);
                // dW_g [cog, kl] (+)= dy_g [cog, p] · rows [p, kl]
                Gemm.Sgemm(false, false, cog, kl, p, 1f, dyg, p, rows, kl, n == 0 ? 0f : 1f, dw.Slice(g * cog * kl, cog * kl), kl);
            }
    }

    /// <summary>db[co] = Σ_n,q dy[n, co, q].</summary>
    public static void BiasGrad(ReadOnlySpan<float> dy, Span<float> db, in Conv2dShape s)
    {
        int p = s.OutHeight * s.OutWidth;
        db.Clear();
        for (int n = 0; n < s.Batch; n++)
            for (int co = 0; co < s.OutChannels; co++)
                db[co] += TensorPrimitives.Sum(dy.Slice((n * s.OutChannels + co) * p, p));
    }

    /// <summary>
    /// dx = col2im(dyᵀ·W): the gradient of the patch matrix, computed a block of output positions at a
    /// time into per-thread scratch, then added back into each receptive field.
    /// <paramref name="rowScratch"/> (one patch row) is no longer needed; it stays for generated code.
    /// </summary>
    public static void InputGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, Span<float> rowScratch, in Conv2dShape s)
    {
        _ = rowScratch;
        int ow = s.OutWidth, p = s.OutHeight * ow, kl = s.PatchLength, cog = s.OutChannels / s.Groups, cig = s.InChannels / s.Groups;
        dx.Clear();
        if (p == 0 || kl == 0) return;
        int block = Math.Clamp(ColsScratchFloats / kl, 1, p);
        var colsArray = t_cols;
        if (colsArray is null || colsArray.Length < block * kl) t_cols = colsArray = new float[block * kl];
        for (int n = 0; n < s.Batch; n++)
            for (int g = 0; g < s.Groups; g++)
            {
                var wg = w.Slice(g * cog * kl, cog * kl);
                int dyOffset = (n * s.OutChannels + g * cog) * p;
                for (int q0 = 0; q0 < p; q0 += block)
                {
                    int qn = Math.Min(block, p - q0);
                    var cols = colsArray.AsSpan(0, qn * kl);
                    // cols [qn, kl] = dy_g[:, q0..q0+qn]ᵀ [qn, cog] · W_g [cog, kl]
                    Gemm.Sgemm(true, false, qn, kl, cog, 1f, dy.Slice(dyOffset + q0), p, wg, kl, 0f, cols, kl);
                    Col2Im(cols, dx, s, n, g, q0, qn, cig);
                }
            }
    }

    /// <summary>Adds rows q0..q0+qn of a patch-matrix gradient back into the input positions they were copied from.</summary>
    private static unsafe void Col2Im(ReadOnlySpan<float> cols, Span<float> dx, in Conv2dShape s, int n, int g, int q0, int qn, int cig)
    {
        int ow = s.OutWidth, k = s.Kernel, h = s.Height, wd = s.Width, stride = s.Stride, pad = s.Padding, dil = s.Dilation;
        if ((long)s.Batch * s.InChannels * h * wd > dx.Length) throw new ArgumentException($"Conv2d: dx has {dx.Length} elements, expected {s.Batch * s.InChannels * h * wd}.");
        fixed (float* pc = cols, pdx = dx)
        {
            float* c = pc;
            for (int q = q0; q < q0 + qn; q++)
            {
                int oy = q / ow, ox = q % ow;
                int x0 = ox * stride - pad;
                KernelRange(x0, dil, k, wd, out int kx0, out int kx1);
                for (int ci = 0; ci < cig; ci++)
                {
                    float* plane = pdx + (long)(n * s.InChannels + g * cig + ci) * h * wd;
                    for (int ky = 0; ky < k; ky++, c += k)
                    {
                        int iy = oy * stride - pad + ky * dil;
                        if ((uint)iy >= (uint)h) continue;
                        float* dst = plane + (long)iy * wd + x0;
                        if (dil == 1) for (int kx = kx0; kx < kx1; kx++) dst[kx] += c[kx];
                        else for (int kx = kx0; kx < kx1; kx++) dst[kx * dil] += c[kx];
                    }
                }
            }
        }
    }

    /// <summary>The kx range [kx0, kx1) whose input column x0 + kx·dilation lies inside [0, width).</summary>
    private static void KernelRange(int x0, int dilation, int k, int width, out int kx0, out int kx1)
    {
        kx0 = 0;
        while (kx0 < k && x0 + kx0 * dilation < 0) kx0++;
        kx1 = k;
        while (kx1 > kx0 && x0 + (kx1 - 1) * dilation >= width) kx1--;
    }

    private static unsafe void Im2Row(ReadOnlySpan<float> x, Span<float> patches, in Conv2dShape s)
    {
        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel, cig = s.InChannels / s.Groups;
        int h = s.Height, wd = s.Width, stride = s.Stride, pad = s.Padding, dil = s.Dilation;
        if ((long)s.PatchCount > patches.Length) throw new ArgumentException($"Conv2d: patch buffer has {patches.Length} elements, needs {s.PatchCount}.");
        if ((long)s.Batch * s.InChannels * h * wd > x.Length) throw new ArgumentException($"Conv2d: input has {x.Length} elements, expected {s.Batch * s.InChannels * h * wd}.");
        fixed (float* px = x, pp = patches)
        {
            float* o = pp;
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int x0 = ox * stride - pad;
                            KernelRange(x0, dil, k, wd, out int kx0, out int kx1);
                            for (int ci = 0; ci < cig; ci++)
                            {
                                float* plane = px + (long)(n * s.InChannels + g * cig + ci) * h * wd;
                                for (int ky = 0; ky < k; ky++, o += k)
                                {
                                    int iy = oy * stride - pad + ky * dil;
                                    if ((uint)iy >= (uint)h || kx0 >= kx1)
                                    {
                                        for (int kx = 0; kx < k; kx++) o[kx] = 0f;
                                        continue;
                                    }
                                    float* src = plane + (long)iy * wd + x0;
                                    for (int kx = 0; kx < kx0; kx++) o[kx] = 0f;
                                    if (dil == 1) for (int kx = kx0; kx < kx1; kx++) o[kx] = src[kx];
                                    else for (int kx = kx0; kx < kx1; kx++) o[kx] = src[kx * dil];
                                    for (int kx = kx1; kx < k; kx++) o[kx] = 0f;
                                }
                            }
                        }
        }
    }
}

/// <summary>Max and average pooling over k×k windows (NCHW), torch semantics (avg counts padding).</summary>
public static class Pool2d
{
    public static int OutSize(int size, int kernel, int stride, int padding) => (size + 2 * padding - kernel) / stride + 1;

    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w, int k, int stride, int pad)
    {
        int oh = OutSize(h, k, stride, pad), ow = OutSize(w, k, stride, pad);
        if (pad == 0 && stride == k && k == 2) { MaxPool2x2.ForwardRange(x, y, h, w, 0, planes); return; }
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
        if (pad == 0 && stride == k && k == 2) { MaxPool2x2.BackwardRange(g, x, dx, h, w, false, 0, planes); return; }
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

    public static void AvgForward(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w, int k, int stride, int pad)
    {
        int oh = OutSize(h, k, stride, pad), ow = OutSize(w, k, stride, pad);
        float inv = 1f / (k * k);
        for (int c = 0; c < planes; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    float s = 0;
                    for (int ky = 0; ky < k; ky++)
                    {
                        int iy = oy * stride - pad + ky;
                        if ((uint)iy >= (uint)h) continue;
                        for (int kx = 0; kx < k; kx++)
                        {
                            int ix = ox * stride - pad + kx;
                            if ((uint)ix < (uint)w) s += x[(c * h + iy) * w + ix];
                        }
                    }
                    y[(c * oh + oy) * ow + ox] = s * inv;
                }
    }

    public static void AvgBackward(ReadOnlySpan<float> g, Span<float> dx, int planes, int h, int w, int k, int stride, int pad)
    {
        int oh = OutSize(h, k, stride, pad), ow = OutSize(w, k, stride, pad);
        float inv = 1f / (k * k);
        dx.Clear();
        for (int c = 0; c < planes; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    float d = g[(c * oh + oy) * ow + ox] * inv;
                    for (int ky = 0; ky < k; ky++)
                    {
                        int iy = oy * stride - pad + ky;
                        if ((uint)iy >= (uint)h) continue;
                        for (int kx = 0; kx < k; kx++)
                        {
                            int ix = ox * stride - pad + kx;
                            if ((uint)ix < (uint)w) dx[(c * h + iy) * w + ix] += d;
                        }
                    }
                }
    }
}

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
/// Convolution as "im2row" + dot products: each output position's receptive field is copied into
/// a contiguous row (kept for the weight gradient), so every inner loop is a TensorPrimitives dot
/// or axpy over contiguous memory.
/// </summary>
public static class Conv2d
{
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> patches, in Conv2dShape s)
    {
        int oh = s.OutHeight, ow = s.OutWidth, p = oh * ow, kl = s.PatchLength, cog = s.OutChannels / s.Groups;
        Im2Row(x, patches, s);
        for (int n = 0; n < s.Batch; n++)
            for (int g = 0; g < s.Groups; g++)
            {
                var rows = patches.Slice((n * s.Groups + g) * p * kl, p * kl);
                for (int c = 0; c < cog; c++)
                {
                    int co = g * cog + c;
                    var wr = w.Slice(co * kl, kl);
                    var yc = y.Slice((n * s.OutChannels + co) * p, p);
                    float b = bias.IsEmpty ? 0f : bias[co];
                    for (int q = 0; q < p; q++) yc[q] = TensorPrimitives.Dot(wr, rows.Slice(q * kl, kl)) + b;
                }
            }
    }

    /// <summary>dW[co] = Σ_n,q dy[n, co, q]·patch[n, q] (overwrites <paramref name="dw"/>).</summary>
    public static void WeightGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> patches, Span<float> dw, in Conv2dShape s)
    {
        int p = s.OutHeight * s.OutWidth, kl = s.PatchLength, cog = s.OutChannels / s.Groups;
        dw.Clear();
        for (int n = 0; n < s.Batch; n++)
            for (int g = 0; g < s.Groups; g++)
            {
                var rows = patches.Slice((n * s.Groups + g) * p * kl, p * kl);
                for (int c = 0; c < cog; c++)
                {
                    int co = g * cog + c;
                    var dwr = dw.Slice(co * kl, kl);
                    var dyc = dy.Slice((n * s.OutChannels + co) * p, p);
                    for (int q = 0; q < p; q++)
                        if (dyc[q] != 0f) TensorPrimitives.MultiplyAdd(rows.Slice(q * kl, kl), dyc[q], dwr, dwr);
                }
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

    /// <summary>dx = col2im(dy·W): each output position adds W-weighted dy into its receptive field.</summary>
    public static void InputGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, Span<float> rowScratch, in Conv2dShape s)
    {
        int oh = s.OutHeight, ow = s.OutWidth, p = oh * ow, kl = s.PatchLength, cog = s.OutChannels / s.Groups, cig = s.InChannels / s.Groups;
        var row = rowScratch.Slice(0, kl);
        dx.Clear();
        for (int n = 0; n < s.Batch; n++)
            for (int g = 0; g < s.Groups; g++)
                for (int q = 0; q < p; q++)
                {
                    row.Clear();
                    for (int c = 0; c < cog; c++)
                    {
                        int co = g * cog + c;
                        float d = dy[(n * s.OutChannels + co) * p + q];
                        if (d != 0f) TensorPrimitives.MultiplyAdd(w.Slice(co * kl, kl), d, row, row);
                    }
                    int oy = q / ow, ox = q % ow;
                    int i = 0;
                    for (int ci = 0; ci < cig; ci++)
                    {
                        int plane = (n * s.InChannels + g * cig + ci) * s.Height;
                        for (int ky = 0; ky < s.Kernel; ky++)
                        {
                            int iy = oy * s.Stride - s.Padding + ky * s.Dilation;
                            for (int kx = 0; kx < s.Kernel; kx++, i++)
                            {
                                int ix = ox * s.Stride - s.Padding + kx * s.Dilation;
                                if ((uint)iy < (uint)s.Height && (uint)ix < (uint)s.Width) dx[(plane + iy) * s.Width + ix] += row[i];
                            }
                        }
                    }
                }
    }

    private static void Im2Row(ReadOnlySpan<float> x, Span<float> patches, in Conv2dShape s)
    {
        int oh = s.OutHeight, ow = s.OutWidth, kl = s.PatchLength, cig = s.InChannels / s.Groups;
        int o = 0;
        for (int n = 0; n < s.Batch; n++)
            for (int g = 0; g < s.Groups; g++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                        for (int ci = 0; ci < cig; ci++)
                        {
                            int plane = (n * s.InChannels + g * cig + ci) * s.Height;
                            for (int ky = 0; ky < s.Kernel; ky++)
                            {
                                int iy = oy * s.Stride - s.Padding + ky * s.Dilation;
                                for (int kx = 0; kx < s.Kernel; kx++)
                                {
                                    int ix = ox * s.Stride - s.Padding + kx * s.Dilation;
                                    patches[o++] = (uint)iy < (uint)s.Height && (uint)ix < (uint)s.Width ? x[(plane + iy) * s.Width + ix] : 0f;
                                }
                            }
                        }
        _ = kl;
    }
}

/// <summary>Max and average pooling over k×k windows (NCHW), torch semantics (avg counts padding).</summary>
public static class Pool2d
{
    public static int OutSize(int size, int kernel, int stride, int padding) => (size + 2 * padding - kernel) / stride + 1;

    public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, int planes, int h, int w, int k, int stride, int pad)
    {
        int oh = OutSize(h, k, stride, pad), ow = OutSize(w, k, stride, pad);
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

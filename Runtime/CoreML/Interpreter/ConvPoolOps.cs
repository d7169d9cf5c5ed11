using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>
/// <c>conv</c>, <c>conv_transpose</c> and <c>max_pool</c>/<c>avg_pool</c>/<c>l2_pool</c> over any
/// number S ≥ 1 of spatial dims (x is <c>[n, C, *D]</c>), written as direct loops.
/// </summary>
internal static class ConvPoolOps
{
    public static void Register(Dictionary<string, OpKernel> k)
    {
        k["conv"] = Conv;
        k["conv_transpose"] = ConvTranspose;
        k["max_pool"] = ctx => Pool(ctx, PoolKind.Max);
        k["avg_pool"] = ctx => Pool(ctx, PoolKind.Avg);
        k["l2_pool"] = ctx => Pool(ctx, PoolKind.L2);
    }

    private enum PoolKind { Max, Avg, L2 }

    private static int[] SpatialParam(OpContext ctx, string name, int s, int defaultValue)
    {
        var v = ctx.Ints(name) ?? Enumerable.Repeat(defaultValue, s).ToArray();
        if (v.Length != s) throw ctx.Error($"{name} {Shapes.Text(v)} needs {s} entries (one per spatial dim).");
        if (v.Any(e => e <= 0)) throw ctx.Error($"{name} {Shapes.Text(v)} must be positive.");
        return v;
    }

    /// <summary>
    /// Before/after padding per spatial dim. valid: none; custom: <c>pad</c> (before, after per
    /// dim); same/same_lower: output ceil(D/stride), total padding
    /// max((out−1)·stride + effective kernel − D, 0), the odd unit after (same) or before (same_lower).
    /// </summary>
    private static (int[] Before, int[] After) Padding(OpContext ctx, string padType, int[] d, int[] effK, int[] strides)
    {
        int s = d.Length;
        var before = new int[s];
        var after = new int[s];
        switch (padType)
        {
            case "valid":
                break;
            case "custom":
                var pad = ctx.Ints("pad") ?? new int[2 * s];
                if (pad.Length != 2 * s) throw ctx.Error($"pad {Shapes.Text(pad)} needs {2 * s} entries (before/after per spatial dim).");
                if (pad.Any(p => p < 0)) throw ctx.Error($"pad {Shapes.Text(pad)} must be non-negative.");
                for (int i = 0; i < s; i++) { before[i] = pad[2 * i]; after[i] = pad[2 * i + 1]; }
                break;
            case "same":
            case "same_lower":
                for (int i = 0; i < s; i++)
                {
                    int outD = (d[i] + strides[i] - 1) / strides[i];
                    int total = Math.Max((outD - 1) * strides[i] + effK[i] - d[i], 0);
                    int small = total / 2, big = total - small;
                    before[i] = padType == "same" ? small : big;
                    after[i] = padType == "same" ? big : small;
                }
                break;
            default:
                throw ctx.Error($"unknown pad_type '{padType}' (expected valid, same, same_lower or custom).");
        }
        return (before, after);
    }

    /// <summary>
    /// The position a kernel tap reaches: <c>pos[i] = at[i]·stride[i] + tap[i]·dilation[i] − padBefore[i]</c>
    /// for every spatial axis; false when it falls outside <paramref name="bounds"/> (the zero padding).
    /// conv reads the input there; conv_transpose scatters into the output there.
    /// </summary>
    private static bool WindowPosition(int[] at, int[] tap, int[] strides, int[] dilations, int[] padBefore, int[] bounds, int[] pos)
    {
        for (int i = 0; i < pos.Length; i++)
        {
            pos[i] = at[i] * strides[i] + tap[i] * dilations[i] - padBefore[i];
            if (pos[i] < 0 || pos[i] >= bounds[i]) return false;
        }
        return true;
    }

    private static NdArray[] Conv(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var w = ctx.Tensor("weight");
        var bias = ctx.Optional("bias");
        ctx.FloatOnly("x", x);
        ctx.FloatOnly("weight", w);
        if (x.Rank < 3) throw ctx.Error($"x must be [n, C_in, *D] with at least one spatial dim, got {x.TypeText}.");
        int s = x.Rank - 2;
        if (w.Rank != x.Rank) throw ctx.Error($"weight must be [C_out, C_in/groups, *K] of rank {x.Rank}, got {w.TypeText}.");
        int n = x.Shape[0], cin = x.Shape[1], cout = w.Shape[0];
        int groups = ctx.Int("groups", 1);
        if (groups <= 0 || cin % groups != 0 || cout % groups != 0)
            throw ctx.Error($"groups {groups} must divide C_in {cin} and C_out {cout}.");
        int cinG = cin / groups, coutG = cout / groups;
        if (w.Shape[1] != cinG)
            throw ctx.Error($"weight {w.TypeText} must have C_in/groups = {cinG} in dim 1 (x is {x.TypeText}).");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw ctx.Error($"bias must be [{cout}], got {bias.TypeText}.");

        var d = x.Shape[2..];
        var k = w.Shape[2..];
        var strides = SpatialParam(ctx, "strides", s, 1);
        var dil = SpatialParam(ctx, "dilations", s, 1);
        var effK = k.Select((kk, i) => (kk - 1) * dil[i] + 1).ToArray();
        var (pb, pa) = Padding(ctx, ctx.String("pad_type", "valid"), d, effK, strides);
        var outD = new int[s];
        for (int i = 0; i < s; i++)
        {
            int span = d[i] + pb[i] + pa[i] - effK[i];
            if (span < 0) throw ctx.Error($"the kernel {Shapes.Text(effK)} (dilated) is larger than the padded input along spatial dim {i}.");
            outD[i] = span / strides[i] + 1;
        }

        var shape = new[] { n, cout }.Concat(outD).ToArray();
        var o = new double[Shapes.Count(shape)];
        int outSpatial = Shapes.Count(outD), kCount = Shapes.Count(k), inSpatial = Shapes.Count(d);
        var inPos = new int[s];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++)
            {
                int g = co / coutG;
                for (int op = 0; op < outSpatial; op++)
                {
                    var oidx = Shapes.Unravel(op, outD);
                    double sum = bias?.Data[co] ?? 0;
                    for (int ci = 0; ci < cinG; ci++)
                    {
                        int c = g * cinG + ci;
                        for (int kp = 0; kp < kCount; kp++)
                        {
                            if (!WindowPosition(oidx, Shapes.Unravel(kp, k), strides, dil, pb, d, inPos)) continue; // zero padding
                            double xv = x.Data[(b * cin + c) * inSpatial + Shapes.Ravel(inPos, d)];
                            double wv = w.Data[(co * cinG + ci) * kCount + kp];
                            sum += xv * wv;
                        }
                    }
                    o[(b * cout + co) * outSpatial + op] = sum;
                }
            }
        return new[] { NdArray.Store(x.DType, shape, o) };
    }

    /// <summary>
    /// Transposed convolution: every input element scatters x·w to output position
    /// i·stride + k·dilation − pad_before. Output size: output_shape if given, else
    /// valid (D−1)·s + (K−1)·dil + 1, custom that minus both pads, same D·s (the cropped amount
    /// split with the odd unit after).
    /// </summary>
    private static NdArray[] ConvTranspose(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var w = ctx.Tensor("weight");
        var bias = ctx.Optional("bias");
        ctx.FloatOnly("x", x);
        ctx.FloatOnly("weight", w);
        if (x.Rank < 3) throw ctx.Error($"x must be [n, C_in, *D] with at least one spatial dim, got {x.TypeText}.");
        int s = x.Rank - 2;
        if (w.Rank != x.Rank) throw ctx.Error($"weight must be [C_in, C_out/groups, *K] of rank {x.Rank}, got {w.TypeText}.");
        int n = x.Shape[0], cin = x.Shape[1];
        int groups = ctx.Int("groups", 1);
        if (groups <= 0 || cin % groups != 0) throw ctx.Error($"groups {groups} must divide C_in {cin}.");
        if (w.Shape[0] != cin) throw ctx.Error($"weight {w.TypeText} must have C_in = {cin} in dim 0 (x is {x.TypeText}).");
        int coutG = w.Shape[1], cout = coutG * groups, cinG = cin / groups;
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw ctx.Error($"bias must be [{cout}], got {bias.TypeText}.");

        var d = x.Shape[2..];
        var k = w.Shape[2..];
        var strides = SpatialParam(ctx, "strides", s, 1);
        var dil = SpatialParam(ctx, "dilations", s, 1);
        string padType = ctx.String("pad_type", "valid");
        var full = d.Select((dd, i) => (dd - 1) * strides[i] + (k[i] - 1) * dil[i] + 1).ToArray();
        var pb = new int[s];
        var outD = new int[s];
        switch (padType)
        {
            case "valid":
                Array.Copy(full, outD, s);
                break;
            case "custom":
                var pad = ctx.Ints("pad") ?? new int[2 * s];
                if (pad.Length != 2 * s) throw ctx.Error($"pad {Shapes.Text(pad)} needs {2 * s} entries.");
                for (int i = 0; i < s; i++) { pb[i] = pad[2 * i]; outD[i] = full[i] - pad[2 * i] - pad[2 * i + 1]; }
                break;
            case "same":
                for (int i = 0; i < s; i++) { outD[i] = d[i] * strides[i]; pb[i] = Math.Max(full[i] - outD[i], 0) / 2; }
                break;
            default:
                throw ctx.Error($"unknown pad_type '{padType}' (expected valid, same or custom).");
        }
        var outputShape = ctx.Ints("output_shape");
        if (outputShape is not null)
        {
            if (outputShape.Length == s + 2)
            {
                if (outputShape[0] != n || outputShape[1] != cout)
                    throw ctx.Error($"output_shape {Shapes.Text(outputShape)} must start with [n, C_out] = [{n}, {cout}].");
                outputShape = outputShape[2..];
            }
            if (outputShape.Length != s) throw ctx.Error($"output_shape {Shapes.Text(outputShape)} must have {s + 2} entries.");
            outD = outputShape;
        }
        if (outD.Any(v => v <= 0)) throw ctx.Error($"the output spatial shape {Shapes.Text(outD)} is empty.");

        var shape = new[] { n, cout }.Concat(outD).ToArray();
        int outSpatial = Shapes.Count(outD), inSpatial = Shapes.Count(d), kCount = Shapes.Count(k);
        var o = new double[Shapes.Count(shape)];
        if (bias is not null)
            for (int b = 0; b < n; b++)
                for (int co = 0; co < cout; co++)
                    for (int p = 0; p < outSpatial; p++) o[(b * cout + co) * outSpatial + p] = bias.Data[co];
        var pos = new int[s];
        for (int b = 0; b < n; b++)
            for (int c = 0; c < cin; c++)
            {
                int g = c / cinG;
                for (int ip = 0; ip < inSpatial; ip++)
                {
                    var iidx = Shapes.Unravel(ip, d);
                    double xv = x.Data[(b * cin + c) * inSpatial + ip];
                    for (int cog = 0; cog < coutG; cog++)
                    {
                        int co = g * coutG + cog;
                        for (int kp = 0; kp < kCount; kp++)
                        {
                            if (!WindowPosition(iidx, Shapes.Unravel(kp, k), strides, dil, pb, outD, pos)) continue;
                            o[(b * cout + co) * outSpatial + Shapes.Ravel(pos, outD)] += xv * w.Data[(c * coutG + cog) * kCount + kp];
                        }
                    }
                }
            }
        return new[] { NdArray.Store(x.DType, shape, o) };
    }

    /// <summary>
    /// Pooling. Output size floor((D + pads − K)/s) + 1, or with ceil_mode
    /// floor((D + pads − K + s − 1)/s) + 1 reduced by one when that last window would start in the
    /// trailing padding (coremltools' rule). Padding never wins a max; avg_pool divides by the
    /// number of real elements when exclude_padding_from_average, else by the window clipped to the
    /// padded input.
    /// </summary>
    private static NdArray[] Pool(OpContext ctx, PoolKind kind)
    {
        var x = ctx.Tensor("x");
        ctx.FloatOnly("x", x);
        if (x.Rank < 3) throw ctx.Error($"x must be [n, C, *D] with at least one spatial dim, got {x.TypeText}.");
        int s = x.Rank - 2;
        var kernel = ctx.RequiredInts("kernel_sizes");
        if (kernel.Length != s) throw ctx.Error($"kernel_sizes {Shapes.Text(kernel)} needs {s} entries.");
        if (kernel.Any(v => v <= 0)) throw ctx.Error($"kernel_sizes {Shapes.Text(kernel)} must be positive.");
        var strides = SpatialParam(ctx, "strides", s, 1);
        string padType = ctx.String("pad_type", "valid");
        bool ceil = ctx.Bool("ceil_mode", false);
        bool exclude = ctx.Bool("exclude_padding_from_average", false);
        var d = x.Shape[2..];
        var (pb, pa) = Padding(ctx, padType, d, kernel, strides);
        var outD = new int[s];
        for (int i = 0; i < s; i++)
        {
            int span = d[i] + pb[i] + pa[i] - kernel[i];
            if (span < 0) throw ctx.Error($"kernel_sizes {Shapes.Text(kernel)} exceed the padded input along spatial dim {i}.");
            if (!ceil) outD[i] = span / strides[i] + 1;
            else
            {
                outD[i] = (span + strides[i] - 1) / strides[i] + 1;
                if (pb[i] + pa[i] > 0 && (outD[i] - 1) * strides[i] >= d[i] + pb[i]) outD[i]--;
            }
        }
        int n = x.Shape[0], c = x.Shape[1];
        var shape = new[] { n, c }.Concat(outD).ToArray();
        int outSpatial = Shapes.Count(outD), inSpatial = Shapes.Count(d), kCount = Shapes.Count(kernel);
        var o = new double[Shapes.Count(shape)];
        var pos = new int[s];
        for (int plane = 0; plane < n * c; plane++)
            for (int op = 0; op < outSpatial; op++)
            {
                var oidx = Shapes.Unravel(op, outD);
                double max = double.NegativeInfinity, sum = 0, sumSq = 0;
                int real = 0, window = 0;
                for (int kp = 0; kp < kCount; kp++)
                {
                    var kidx = Shapes.Unravel(kp, kernel);
                    bool inside = true, inPadded = true;
                    for (int i = 0; i < s; i++)
                    {
                        pos[i] = oidx[i] * strides[i] + kidx[i] - pb[i];
                        if (pos[i] < 0 || pos[i] >= d[i]) inside = false;
                        if (pos[i] < -pb[i] || pos[i] >= d[i] + pa[i]) inPadded = false;
                    }
                    if (inPadded) window++;
                    if (!inside) continue;
                    double v = x.Data[plane * inSpatial + Shapes.Ravel(pos, d)];
                    real++;
                    max = Math.Max(max, v);
                    sum += v;
                    sumSq += v * v;
                }
                o[plane * outSpatial + op] = kind switch
                {
                    PoolKind.Max => max,
                    PoolKind.Avg => (exclude ? real : window) == 0 ? 0 : sum / (exclude ? real : window),
                    _ => Math.Sqrt(sumSq),
                };
            }
        return new[] { NdArray.Store(x.DType, shape, o) };
    }
}

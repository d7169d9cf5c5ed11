using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>
/// <c>batch_norm</c> (inference form, per channel axis 1), <c>layer_norm</c> over <c>axes</c> and
/// <c>instance_norm</c> (per sample and channel over the spatial dims). Variances are biased
/// (divide by the element count); y = (x − mean)/sqrt(var + epsilon)·gamma + beta.
/// </summary>
internal static class NormalizationOps
{
    public static void Register(Dictionary<string, OpKernel> k)
    {
        k["batch_norm"] = BatchNorm;
        k["layer_norm"] = LayerNorm;
        k["instance_norm"] = InstanceNorm;
    }

    /// <summary>A per-channel parameter of shape [C]; null when optional and absent.</summary>
    private static NdArray? ChannelVector(OpContext ctx, string name, int c, bool required)
    {
        var t = required ? ctx.Tensor(name) : ctx.Optional(name);
        if (t is null) return null;
        if (t.Count != c || t.Rank != 1) throw ctx.Error($"{name} must be [{c}], got {t.TypeText}.");
        return t;
    }

    private static NdArray[] BatchNorm(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        ctx.FloatOnly("x", x);
        if (x.Rank < 2) throw ctx.Error($"x must be [n, C, *D], got {x.TypeText}.");
        int c = x.Shape[1];
        var mean = ChannelVector(ctx, "mean", c, true)!;
        var variance = ChannelVector(ctx, "variance", c, true)!;
        var gamma = ChannelVector(ctx, "gamma", c, false);
        var beta = ChannelVector(ctx, "beta", c, false);
        double eps = ctx.Double("epsilon", 1e-5);
        int inner = x.Shape.Skip(2).Aggregate(1, (a, d) => a * d);
        var o = new double[x.Count];
        for (int i = 0; i < x.Count; i++)
        {
            int ch = i / inner % c;
            double v = (x.Data[i] - mean.Data[ch]) / Math.Sqrt(variance.Data[ch] + eps);
            o[i] = v * (gamma?.Data[ch] ?? 1) + (beta?.Data[ch] ?? 0);
        }
        return new[] { NdArray.Store(x.DType, x.Shape, o) };
    }

    /// <summary>Normalises the groups of elements that agree outside <paramref name="normalized"/>.</summary>
    private static double[] Normalize(NdArray x, bool[] normalized, double eps, Func<int[], double> gamma, Func<int[], double> beta)
    {
        var kept = x.Shape.Select((d, i) => normalized[i] ? 1 : d).ToArray();
        int groups = Shapes.Count(kept);
        var sum = new double[groups];
        var count = new int[groups];
        var group = new int[x.Count];
        for (int f = 0; f < x.Count; f++)
        {
            var idx = Shapes.Unravel(f, x.Shape);
            for (int i = 0; i < idx.Length; i++) if (normalized[i]) idx[i] = 0;
            group[f] = Shapes.Ravel(idx, kept);
            sum[group[f]] += x.Data[f];
            count[group[f]]++;
        }
        var mean = sum.Select((s, g) => s / count[g]).ToArray();
        var sq = new double[groups];
        for (int f = 0; f < x.Count; f++) { double dv = x.Data[f] - mean[group[f]]; sq[group[f]] += dv * dv; }
        var o = new double[x.Count];
        for (int f = 0; f < x.Count; f++)
        {
            int g = group[f];
            var idx = Shapes.Unravel(f, x.Shape);
            var along = Enumerable.Range(0, idx.Length).Where(i => normalized[i]).Select(i => idx[i]).ToArray();
            o[f] = (x.Data[f] - mean[g]) / Math.Sqrt(sq[g] / count[g] + eps) * gamma(along) + beta(along);
        }
        return o;
    }

    private static NdArray[] LayerNorm(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        ctx.FloatOnly("x", x);
        var axesParam = ctx.Ints("axes");
        var normalized = new bool[x.Rank];
        if (axesParam is null) Array.Fill(normalized, true);
        else foreach (int a in axesParam) normalized[ctx.Axis(a, x.Rank, "axes entry")] = true;
        var normShape = x.Shape.Where((_, i) => normalized[i]).ToArray();
        var gamma = ctx.Optional("gamma");
        var beta = ctx.Optional("beta");
        foreach (var (name, t) in new[] { ("gamma", gamma), ("beta", beta) })
            if (t is not null && !t.Shape.SequenceEqual(normShape))
                throw ctx.Error($"{name} must have the shape of x over axes, {Shapes.Text(normShape)}, got {t.TypeText}.");
        if (normShape.Any(d => d == 0) || normalized.All(b => !b))
            throw ctx.Error($"layer_norm needs non-empty axes over non-empty dims of {x.TypeText}.");
        double eps = ctx.Double("epsilon", 1e-5);
        var o = Normalize(x, normalized, eps,
            along => gamma?.Data[Shapes.Ravel(along, normShape)] ?? 1,
            along => beta?.Data[Shapes.Ravel(along, normShape)] ?? 0);
        return new[] { NdArray.Store(x.DType, x.Shape, o) };
    }

    private static NdArray[] InstanceNorm(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        ctx.FloatOnly("x", x);
        if (x.Rank < 3) throw ctx.Error($"x must be [n, C, *D], got {x.TypeText}.");
        int c = x.Shape[1];
        var gamma = ChannelVector(ctx, "gamma", c, false);
        var beta = ChannelVector(ctx, "beta", c, false);
        double eps = ctx.Double("epsilon", 1e-5);
        var normalized = Enumerable.Range(0, x.Rank).Select(i => i >= 2).ToArray();
        int inner = x.Shape.Skip(2).Aggregate(1, (a, d) => a * d);
        var o = Normalize(x, normalized, eps, _ => 1, _ => 0);
        for (int i = 0; i < o.Length; i++)
        {
            int ch = i / inner % c;
            o[i] = o[i] * (gamma?.Data[ch] ?? 1) + (beta?.Data[ch] ?? 0);
        }
        return new[] { NdArray.Store(x.DType, x.Shape, o) };
    }
}

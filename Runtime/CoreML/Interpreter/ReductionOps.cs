using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>
/// <c>reduce_*</c> over <c>axes</c> (absent ⇒ all axes; an empty list reduces nothing, as NumPy
/// does), with <c>keep_dims</c>; <c>reduce_argmax/argmin</c> over one axis (first occurrence wins);
/// <c>cumsum</c>.
/// </summary>
internal static class ReductionOps
{
    public static void Register(Dictionary<string, OpKernel> k)
    {
        k["reduce_sum"] = Reduce(v => Sum(v), allowInt: true);
        k["reduce_mean"] = Reduce(v => Sum(v) / v.Count, allowInt: true);
        k["reduce_max"] = Reduce(v => v.Any(double.IsNaN) ? double.NaN : v.Max(), allowInt: true);
        k["reduce_min"] = Reduce(v => v.Any(double.IsNaN) ? double.NaN : v.Min(), allowInt: true);
        k["reduce_prod"] = Reduce(v => v.Aggregate(1.0, (a, b) => a * b), allowInt: true);
        k["reduce_sum_square"] = Reduce(v => Sum(v.Select(e => e * e).ToList()), allowInt: true);
        k["reduce_l1_norm"] = Reduce(v => Sum(v.Select(Math.Abs).ToList()), allowInt: true);
        k["reduce_l2_norm"] = Reduce(v => Math.Sqrt(Sum(v.Select(e => e * e).ToList())), allowInt: false);
        k["reduce_log_sum"] = Reduce(v => Math.Log(Sum(v)), allowInt: false);
        k["reduce_log_sum_exp"] = Reduce(LogSumExp, allowInt: false);
        k["reduce_argmax"] = Arg((a, b) => a > b);
        k["reduce_argmin"] = Arg((a, b) => a < b);
        k["cumsum"] = CumSum;
    }

    private static double Sum(IReadOnlyList<double> v)
    {
        double s = 0;
        foreach (double e in v) s += e;
        return s;
    }

    private static double LogSumExp(IReadOnlyList<double> v)
    {
        double m = v.Max();
        if (double.IsNegativeInfinity(m) || double.IsNaN(m)) return m;
        if (double.IsPositiveInfinity(m)) return m;
        double s = 0;
        foreach (double e in v) s += Math.Exp(e - m);
        return m + Math.Log(s);
    }

    private static OpKernel Reduce(Func<IReadOnlyList<double>, double> f, bool allowInt) => ctx =>
    {
        var x = ctx.Tensor("x");
        if (allowInt) ctx.Numeric("x", x); else ctx.FloatOnly("x", x);
        var axesParam = ctx.Ints("axes");
        bool keep = ctx.Bool("keep_dims", false);
        var reduced = new bool[x.Rank];
        if (axesParam is null) Array.Fill(reduced, true);
        else
            foreach (int a in axesParam)
            {
                int n = ctx.Axis(a, x.Rank, "axes entry");
                if (reduced[n]) throw ctx.Error($"axis {a} appears twice in axes.");
                reduced[n] = true;
            }
        var keptShape = x.Shape.Select((d, i) => reduced[i] ? 1 : d).ToArray();
        int outCount = Shapes.Count(keptShape);
        var groups = new List<double>[outCount];
        for (int g = 0; g < outCount; g++) groups[g] = new List<double>();
        for (int flat = 0; flat < x.Count; flat++)
        {
            var idx = Shapes.Unravel(flat, x.Shape);
            for (int i = 0; i < idx.Length; i++) if (reduced[i]) idx[i] = 0;
            groups[Shapes.Ravel(idx, keptShape)].Add(x.Data[flat]);
        }
        for (int i = 0; i < x.Rank; i++)
            if (reduced[i] && x.Shape[i] == 0) throw ctx.Error($"cannot reduce the empty axis {i} of {x.TypeText}.");
        var o = groups.Select(g => f(g)).ToArray();
        var shape = keep ? keptShape : x.Shape.Where((_, i) => !reduced[i]).ToArray();
        return new[] { NdArray.Store(x.DType, shape, o) };
    };

    private static OpKernel Arg(Func<double, double, bool> better) => ctx =>
    {
        var x = ctx.Tensor("x");
        ctx.Numeric("x", x);
        int axis = ctx.Axis(ctx.Int("axis", -1), x.Rank);
        bool keep = ctx.Bool("keep_dims", false);
        if (x.Shape[axis] == 0) throw ctx.Error($"cannot take an arg-reduction over the empty axis {axis}.");
        var o = new List<double>();
        foreach (var lane in Lanes.Along(x.Shape, axis))
        {
            int best = 0;
            for (int d = 1; d < lane.Length; d++)
                if (better(x.Data[lane[d]], x.Data[lane[best]])) best = d;
            o.Add(best);
        }
        var shape = keep ? x.Shape.Select((d, i) => i == axis ? 1 : d).ToArray() : x.Shape.Where((_, i) => i != axis).ToArray();
        return new[] { NdArray.Store(MilDType.Int32, shape, o.ToArray()) };
    };

    private static NdArray[] CumSum(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        ctx.Numeric("x", x);
        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        bool exclusive = ctx.Bool("exclusive", false), reverse = ctx.Bool("reverse", false);
        var o = new double[x.Count];
        foreach (var lane in Lanes.Along(x.Shape, axis))
        {
            var order = reverse ? Enumerable.Reverse(lane).ToArray() : lane;
            double s = 0;
            foreach (int i in order)
            {
                if (exclusive) { o[i] = s; s += x.Data[i]; }
                else { s += x.Data[i]; o[i] = s; }
            }
        }
        return new[] { NdArray.Store(x.DType, x.Shape, o) };
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>
/// Indexing ops: gather (with batch_dims), gather_along_axis, gather_nd, scatter,
/// scatter_along_axis, scatter_nd (modes update/add/sub/mul/div/max/min) and one_hot.
/// Negative indices count from the end; out-of-range indices are an error.
/// </summary>
internal static class IndexingOps
{
    public static void Register(Dictionary<string, OpKernel> k)
    {
        k["gather"] = Gather;
        k["gather_along_axis"] = GatherAlongAxis;
        k["gather_nd"] = GatherNd;
        k["scatter"] = Scatter;
        k["scatter_along_axis"] = ScatterAlongAxis;
        k["scatter_nd"] = ScatterNd;
        k["one_hot"] = OneHot;
    }

    private static int Index(OpContext ctx, double v, int dim, int axis)
    {
        int i = (int)v;
        if (v != i) throw ctx.Error($"index {v} is not an integer.");
        int n = i < 0 ? i + dim : i;
        if (n < 0 || n >= dim) throw ctx.Error($"index {i} is out of range for axis {axis} of size {dim}.");
        return n;
    }

    private static void IntIndices(OpContext ctx, NdArray indices)
    {
        if (indices.DType is not (MilDType.Int32 or MilDType.Int16 or MilDType.Int8 or MilDType.UInt8 or MilDType.Int64))
            throw ctx.Error($"indices must be an integer tensor, got {indices.TypeText}.");
    }

    private static NdArray[] Gather(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var indices = ctx.Tensor("indices");
        IntIndices(ctx, indices);
        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        int batchDims = ctx.Int("batch_dims", 0);
        if (batchDims < 0) batchDims += indices.Rank;
        if (batchDims < 0 || batchDims > axis || batchDims > indices.Rank)
            throw ctx.Error($"batch_dims {batchDims} must be between 0 and min(axis {axis}, rank of indices {indices.Rank}).");
        for (int i = 0; i < batchDims; i++)
            if (x.Shape[i] != indices.Shape[i])
                throw ctx.Error($"the first {batchDims} dims of x {x.TypeText} and indices {indices.TypeText} must match.");
        // out = x.shape[:axis] + indices.shape[batch_dims:] + x.shape[axis+1:]
        var idxPart = indices.Shape.Skip(batchDims).ToArray();
        var shape = x.Shape.Take(axis).Concat(idxPart).Concat(x.Shape.Skip(axis + 1)).ToArray();
        int n = Shapes.Count(shape);
        var src = new int[n];
        for (int flat = 0; flat < n; flat++)
        {
            var o = Shapes.Unravel(flat, shape);
            var pre = o.Take(axis).ToArray();
            var mid = o.Skip(axis).Take(idxPart.Length);
            var post = o.Skip(axis + idxPart.Length);
            var iidx = pre.Take(batchDims).Concat(mid).ToArray();
            int j = Index(ctx, indices.Data[Shapes.Ravel(iidx, indices.Shape)], x.Shape[axis], axis);
            var xidx = pre.Append(j).Concat(post).ToArray();
            src[flat] = Shapes.Ravel(xidx, x.Shape);
        }
        return new[] { ShapeOps.Gather(x, shape, src) };
    }

    private static NdArray[] GatherAlongAxis(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var indices = ctx.Tensor("indices");
        IntIndices(ctx, indices);
        int axis = ctx.Axis(ctx.Int("axis", 0), x.Rank);
        if (indices.Rank != x.Rank) throw ctx.Error($"indices {indices.TypeText} must have the rank of x {x.TypeText}.");
        for (int i = 0; i < x.Rank; i++)
            if (i != axis && indices.Shape[i] != x.Shape[i])
                throw ctx.Error($"indices {indices.TypeText} and x {x.TypeText} must match outside axis {axis}.");
        var src = new int[indices.Count];
        for (int flat = 0; flat < indices.Count; flat++)
        {
            var idx = Shapes.Unravel(flat, indices.Shape);
            idx[axis] = Index(ctx, indices.Data[flat], x.Shape[axis], axis);
            src[flat] = Shapes.Ravel(idx, x.Shape);
        }
        return new[] { ShapeOps.Gather(x, indices.Shape, src) };
    }

    private static NdArray[] GatherNd(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var indices = ctx.Tensor("indices");
        IntIndices(ctx, indices);
        if (indices.Rank < 1) throw ctx.Error($"indices must have rank ≥ 1, got {indices.TypeText}.");
        int k = indices.Shape[^1];
        if (k > x.Rank) throw ctx.Error($"indices {indices.TypeText} address {k} dims but x {x.TypeText} has {x.Rank}.");
        var lead = indices.Shape[..^1];
        var tail = x.Shape.Skip(k).ToArray();
        var shape = lead.Concat(tail).ToArray();
        int tailCount = Shapes.Count(tail);
        int n = Shapes.Count(shape);
        var src = new int[n];
        for (int flat = 0; flat < n; flat++)
        {
            int l = flat / Math.Max(tailCount, 1), t = flat % Math.Max(tailCount, 1);
            var xidx = new int[x.Rank];
            for (int i = 0; i < k; i++) xidx[i] = Index(ctx, indices.Data[l * k + i], x.Shape[i], i);
            var tidx = Shapes.Unravel(t, tail);
            for (int i = 0; i < tail.Length; i++) xidx[k + i] = tidx[i];
            src[flat] = Shapes.Ravel(xidx, x.Shape);
        }
        return new[] { ShapeOps.Gather(x, shape, src) };
    }

    private static Func<double, double, double> Mode(OpContext ctx, string defaultMode)
    {
        string mode = ctx.String("mode", defaultMode);
        return mode switch
        {
            "update" => (_, u) => u,
            "add" => (d, u) => d + u,
            "sub" => (d, u) => d - u,
            "mul" => (d, u) => d * u,
            "div" => (d, u) => d / u,
            "max" => Math.Max,
            "min" => Math.Min,
            _ => throw ctx.Error($"unknown mode '{mode}' (expected update, add, sub, mul, div, max or min)."),
        };
    }

    private static NdArray[] Scatter(OpContext ctx)
    {
        var (data, indices, updates) = ScatterInputs(ctx);
        int axis = ctx.Axis(ctx.Int("axis", 0), data.Rank);
        var f = Mode(ctx, "add");
        var expected = data.Shape.Take(axis).Concat(indices.Shape).Concat(data.Shape.Skip(axis + 1)).ToArray();
        if (!updates.Shape.SequenceEqual(expected))
            throw ctx.Error($"updates must have shape {Shapes.Text(expected)} (data.shape[:axis] + indices.shape + data.shape[axis+1:]), got {updates.TypeText}.");
        var o = (double[])data.Data.Clone();
        for (int flat = 0; flat < updates.Count; flat++)
        {
            var u = Shapes.Unravel(flat, updates.Shape);
            var iidx = u.Skip(axis).Take(indices.Rank).ToArray();
            int j = Index(ctx, indices.Data[Shapes.Ravel(iidx, indices.Shape)], data.Shape[axis], axis);
            var didx = u.Take(axis).Append(j).Concat(u.Skip(axis + indices.Rank)).ToArray();
            int p = Shapes.Ravel(didx, data.Shape);
            o[p] = f(o[p], updates.Data[flat]);
        }
        return new[] { NdArray.Store(data.DType, data.Shape, o) };
    }

    /// <summary>The operands every scatter variant takes, checked the same way.</summary>
    private static (NdArray Data, NdArray Indices, NdArray Updates) ScatterInputs(OpContext ctx)
    {
        var data = ctx.Tensor("data");
        var indices = ctx.Tensor("indices");
        var updates = ctx.Tensor("updates");
        IntIndices(ctx, indices);
        ctx.Numeric("data", data);
        ctx.SameDType("data and updates", data, updates);
        return (data, indices, updates);
    }

    private static NdArray[] ScatterAlongAxis(OpContext ctx)
    {
        var (data, indices, updates) = ScatterInputs(ctx);
        int axis = ctx.Axis(ctx.Int("axis", 0), data.Rank);
        var f = Mode(ctx, "add");
        if (!indices.Shape.SequenceEqual(updates.Shape) || indices.Rank != data.Rank)
            throw ctx.Error($"indices {indices.TypeText} and updates {updates.TypeText} must share one shape of the rank of data {data.TypeText}.");
        for (int i = 0; i < data.Rank; i++)
            if (i != axis && indices.Shape[i] != data.Shape[i])
                throw ctx.Error($"indices {indices.TypeText} and data {data.TypeText} must match outside axis {axis}.");
        var o = (double[])data.Data.Clone();
        for (int flat = 0; flat < updates.Count; flat++)
        {
            var idx = Shapes.Unravel(flat, updates.Shape);
            idx[axis] = Index(ctx, indices.Data[flat], data.Shape[axis], axis);
            int p = Shapes.Ravel(idx, data.Shape);
            o[p] = f(o[p], updates.Data[flat]);
        }
        return new[] { NdArray.Store(data.DType, data.Shape, o) };
    }

    private static NdArray[] ScatterNd(OpContext ctx)
    {
        var (data, indices, updates) = ScatterInputs(ctx);
        var f = Mode(ctx, "add");
        if (indices.Rank < 1) throw ctx.Error($"indices must have rank ≥ 1, got {indices.TypeText}.");
        int k = indices.Shape[^1];
        if (k > data.Rank) throw ctx.Error($"indices {indices.TypeText} address {k} dims but data {data.TypeText} has {data.Rank}.");
        var tail = data.Shape.Skip(k).ToArray();
        var expected = indices.Shape[..^1].Concat(tail).ToArray();
        if (!updates.Shape.SequenceEqual(expected))
            throw ctx.Error($"updates must have shape {Shapes.Text(expected)}, got {updates.TypeText}.");
        int tailCount = Math.Max(Shapes.Count(tail), 1);
        var o = (double[])data.Data.Clone();
        for (int flat = 0; flat < updates.Count; flat++)
        {
            int l = flat / tailCount, t = flat % tailCount;
            var didx = new int[data.Rank];
            for (int i = 0; i < k; i++) didx[i] = Index(ctx, indices.Data[l * k + i], data.Shape[i], i);
            var tidx = Shapes.Unravel(t, tail);
            for (int i = 0; i < tail.Length; i++) didx[k + i] = tidx[i];
            int p = Shapes.Ravel(didx, data.Shape);
            o[p] = f(o[p], updates.Data[flat]);
        }
        return new[] { NdArray.Store(data.DType, data.Shape, o) };
    }

    private static NdArray[] OneHot(OpContext ctx)
    {
        var indices = ctx.Tensor("indices");
        IntIndices(ctx, indices);
        int size = ctx.Int("one_hot_vector_size");
        if (size < 0) throw ctx.Error($"one_hot_vector_size must be non-negative, got {size}.");
        int axis = ctx.Axis(ctx.Int("axis", -1), indices.Rank + 1);
        double on = ctx.Double("on_value", 1), off = ctx.Double("off_value", 0);
        var shape = indices.Shape.Take(axis).Append(size).Concat(indices.Shape.Skip(axis)).ToArray();
        int n = Shapes.Count(shape);
        var o = new double[n];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Shapes.Unravel(flat, shape);
            int hot = idx[axis];
            var iidx = idx.Where((_, i) => i != axis).ToArray();
            double v = indices.Data[Shapes.Ravel(iidx, indices.Shape)];
            if (v < 0) v += size; // negative indices count from the end; out-of-range ones give all off_value
            o[flat] = v == hot ? on : off;
        }
        return new[] { NdArray.Store(ctx.OutputDType(), shape, o) };
    }
}

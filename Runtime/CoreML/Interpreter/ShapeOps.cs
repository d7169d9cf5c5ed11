using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>
/// Shape and construction ops: reshape, transpose, expand_dims, squeeze, concat, split, stack,
/// tile, slice_by_index, slice_by_size, pad, fill, fill_like, shape, range_1d.
/// </summary>
internal static class ShapeOps
{
    public static void Register(Dictionary<string, OpKernel> k)
    {
        k["reshape"] = Reshape;
        k["transpose"] = Transpose;
        k["expand_dims"] = ExpandDims;
        k["squeeze"] = Squeeze;
        k["concat"] = Concat;
        k["split"] = Split;
        k["stack"] = Stack;
        k["tile"] = Tile;
        k["slice_by_index"] = SliceByIndex;
        k["slice_by_size"] = SliceBySize;
        k["pad"] = Pad;
        k["fill"] = Fill;
        k["fill_like"] = FillLike;
        k["shape"] = ShapeOf;
        k["range_1d"] = Range1D;
    }

    /// <summary>Gathers elements of <paramref name="x"/> by flat source position.</summary>
    internal static NdArray Gather(NdArray x, int[] shape, int[] sourcePositions)
    {
        if (x.Strings is not null) return new NdArray(shape, sourcePositions.Select(p => x.Strings[p]).ToArray());
        return new NdArray(x.DType, shape, sourcePositions.Select(p => x.Data[p]).ToArray());
    }

    private static NdArray[] Reshape(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var spec = ctx.IntsOf(ctx.Tensor("shape"), "shape");
        var shape = new int[spec.Length];
        int infer = -1;
        for (int i = 0; i < spec.Length; i++)
        {
            int d = spec[i];
            if (d == -1)
            {
                if (infer >= 0) throw ctx.Error($"shape {Shapes.Text(spec)} has more than one -1.");
                infer = i;
                shape[i] = 1;
            }
            else if (d == 0)
            {
                // 0 copies the input dimension at the same position.
                if (i >= x.Rank) throw ctx.Error($"shape {Shapes.Text(spec)} has 0 at position {i}, beyond the rank of x {x.TypeText}.");
                shape[i] = x.Shape[i];
            }
            else if (d < -1) throw ctx.Error($"shape {Shapes.Text(spec)} has the invalid entry {d}.");
            else shape[i] = d;
        }
        if (infer >= 0)
        {
            int known = shape.Aggregate(1, (a, d) => a * d);
            if (known == 0 || x.Count % known != 0)
                throw ctx.Error($"cannot infer the -1 in {Shapes.Text(spec)} for {x.Count} elements of {x.TypeText}.");
            shape[infer] = x.Count / known;
        }
        if (Shapes.Count(shape) != x.Count)
            throw ctx.Error($"cannot reshape {x.TypeText} ({x.Count} elements) to {Shapes.Text(shape)}.");
        return new[] { x.Reshaped(shape) };
    }

    private static NdArray[] Transpose(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var perm = ctx.RequiredInts("perm");
        if (perm.Length != x.Rank) throw ctx.Error($"perm {Shapes.Text(perm)} must have one entry per dimension of {x.TypeText}.");
        var p = perm.Select(a => ctx.Axis(a, x.Rank, "perm entry")).ToArray();
        if (p.Distinct().Count() != p.Length) throw ctx.Error($"perm {Shapes.Text(perm)} is not a permutation.");
        var shape = p.Select(a => x.Shape[a]).ToArray();
        var strides = Shapes.Strides(x.Shape);
        int n = x.Count;
        var src = new int[n];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Shapes.Unravel(flat, shape);
            int s = 0;
            for (int i = 0; i < p.Length; i++) s += idx[i] * strides[p[i]];
            src[flat] = s;
        }
        return new[] { Gather(x, shape, src) };
    }

    private static NdArray[] ExpandDims(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var axes = ctx.RequiredInts("axes");
        int outRank = x.Rank + axes.Length;
        var inserted = new bool[outRank];
        foreach (int a in axes)
        {
            int n = ctx.Axis(a, outRank, "axes entry");
            if (inserted[n]) throw ctx.Error($"axis {a} appears twice in axes.");
            inserted[n] = true;
        }
        var shape = new int[outRank];
        int src = 0;
        for (int i = 0; i < outRank; i++) shape[i] = inserted[i] ? 1 : x.Shape[src++];
        return new[] { x.Reshaped(shape) };
    }

    private static NdArray[] Squeeze(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var axes = ctx.Ints("axes");
        var remove = new bool[x.Rank];
        if (axes is null)
            for (int i = 0; i < x.Rank; i++) remove[i] = x.Shape[i] == 1;
        else
            foreach (int a in axes)
            {
                int n = ctx.Axis(a, x.Rank, "axes entry");
                if (x.Shape[n] != 1) throw ctx.Error($"cannot squeeze axis {a} of {x.TypeText}: its size is not 1.");
                remove[n] = true;
            }
        return new[] { x.Reshaped(x.Shape.Where((_, i) => !remove[i]).ToArray()) };
    }

    private static NdArray[] Concat(OpContext ctx)
    {
        var values = ctx.Tuple("values");
        int rank = values[0].Rank;
        ctx.SameDType("values", values.ToArray());
        foreach (var v in values)
            if (v.Rank != rank) throw ctx.Error($"values must share one rank, got {string.Join(", ", values.Select(t => t.TypeText))}.");
        int axis = ctx.Axis(ctx.Int("axis"), rank);
        bool interleave = ctx.Bool("interleave", false);
        for (int i = 0; i < rank; i++)
            if (i != axis && values.Any(v => v.Shape[i] != values[0].Shape[i]))
                throw ctx.Error($"values differ outside axis {axis}: {string.Join(", ", values.Select(t => t.TypeText))}.");
        if (interleave && values.Any(v => v.Shape[axis] != values[0].Shape[axis]))
            throw ctx.Error("interleave needs values of one shape.");

        var shape = (int[])values[0].Shape.Clone();
        shape[axis] = values.Sum(v => v.Shape[axis]);
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < rank; i++) inner *= shape[i];

        // Each output slab along axis comes from (value index, position in that value).
        var slabs = new List<(int V, int P)>();
        if (interleave)
            for (int p = 0; p < values[0].Shape[axis]; p++)
                for (int v = 0; v < values.Count; v++) slabs.Add((v, p));
        else
            for (int v = 0; v < values.Count; v++)
                for (int p = 0; p < values[v].Shape[axis]; p++) slabs.Add((v, p));

        bool str = values[0].DType == MilDType.String;
        var data = new double[str ? 0 : Shapes.Count(shape)];
        var strs = new string[str ? Shapes.Count(shape) : 0];
        for (int o = 0; o < outer; o++)
            for (int s = 0; s < slabs.Count; s++)
            {
                var (v, p) = slabs[s];
                var src = values[v];
                int dim = src.Shape[axis];
                for (int i = 0; i < inner; i++)
                {
                    int from = (o * dim + p) * inner + i, to = (o * slabs.Count + s) * inner + i;
                    if (str) strs[to] = src.Strings![from]; else data[to] = src.Data[from];
                }
            }
        return new[] { str ? new NdArray(shape, strs) : new NdArray(values[0].DType, shape, data) };
    }

    private static NdArray[] Split(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        int axis = ctx.Axis(ctx.Int("axis"), x.Rank);
        int dim = x.Shape[axis];
        int[] sizes;
        var given = ctx.Ints("split_sizes");
        if (given is not null)
        {
            sizes = given;
            if (sizes.Any(s => s < 0) || sizes.Sum() != dim)
                throw ctx.Error($"split_sizes {Shapes.Text(sizes)} must be non-negative and sum to {dim} (axis {axis} of {x.TypeText}).");
        }
        else
        {
            int n = ctx.Has("num_splits") ? ctx.Int("num_splits") : ctx.OutputCount;
            if (n <= 0 || dim % n != 0) throw ctx.Error($"cannot split axis {axis} of size {dim} into {n} equal parts.");
            sizes = Enumerable.Repeat(dim / n, n).ToArray();
        }
        if (sizes.Length != ctx.OutputCount)
            throw ctx.Error($"produces {sizes.Length} parts but declares {ctx.OutputCount} outputs.");
        var results = new NdArray[sizes.Length];
        int start = 0;
        for (int s = 0; s < sizes.Length; s++)
        {
            results[s] = SliceAxis(x, axis, start, sizes[s]);
            start += sizes[s];
        }
        return results;
    }

    /// <summary>The elements <c>[start, start+length)</c> of <paramref name="x"/> along one axis.</summary>
    internal static NdArray SliceAxis(NdArray x, int axis, int start, int length)
    {
        var shape = (int[])x.Shape.Clone();
        shape[axis] = length;
        var strides = Shapes.Strides(x.Shape);
        int n = Shapes.Count(shape);
        var src = new int[n];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Shapes.Unravel(flat, shape);
            idx[axis] += start;
            src[flat] = idx.Select((v, i) => v * strides[i]).Sum();
        }
        return Gather(x, shape, src);
    }

    private static NdArray[] Stack(OpContext ctx)
    {
        var values = ctx.Tuple("values");
        ctx.SameDType("values", values.ToArray());
        foreach (var v in values)
            if (!v.Shape.SequenceEqual(values[0].Shape))
                throw ctx.Error($"values must share one shape, got {string.Join(", ", values.Select(t => t.TypeText))}.");
        int rank = values[0].Rank + 1;
        int axis = ctx.Axis(ctx.Int("axis"), rank);
        var shape = values[0].Shape.Take(axis).Append(values.Count).Concat(values[0].Shape.Skip(axis)).ToArray();
        int n = Shapes.Count(shape);
        bool str = values[0].DType == MilDType.String;
        var data = new double[str ? 0 : n];
        var strs = new string[str ? n : 0];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Shapes.Unravel(flat, shape);
            var src = values[idx[axis]];
            var sidx = idx.Where((_, i) => i != axis).ToArray();
            int from = Shapes.Ravel(sidx, src.Shape);
            if (str) strs[flat] = src.Strings![from]; else data[flat] = src.Data[from];
        }
        return new[] { str ? new NdArray(shape, strs) : new NdArray(values[0].DType, shape, data) };
    }

    private static NdArray[] Tile(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var reps = ctx.IntsOf(ctx.Tensor("reps"), "reps");
        if (reps.Any(r => r < 0)) throw ctx.Error($"reps {Shapes.Text(reps)} must be non-negative.");
        // NumPy rules: the shorter of reps and x.shape is padded with leading 1s.
        int rank = Math.Max(reps.Length, x.Rank);
        var xs = Enumerable.Repeat(1, rank - x.Rank).Concat(x.Shape).ToArray();
        var rs = Enumerable.Repeat(1, rank - reps.Length).Concat(reps).ToArray();
        var shape = xs.Select((d, i) => d * rs[i]).ToArray();
        int n = Shapes.Count(shape);
        var src = new int[n];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Shapes.Unravel(flat, shape);
            for (int i = 0; i < rank; i++) idx[i] %= xs[i];
            src[flat] = Shapes.Ravel(idx, xs);
        }
        return new[] { Gather(x, shape, src) };
    }

    private static NdArray[] SliceByIndex(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        int r = x.Rank;
        var begin = ctx.IntsOf(ctx.Tensor("begin"), "begin");
        var end = ctx.IntsOf(ctx.Tensor("end"), "end");
        var stride = ctx.Ints("stride") ?? Enumerable.Repeat(1, r).ToArray();
        var beginMask = ctx.Bools("begin_mask") ?? new bool[r];
        var endMask = ctx.Bools("end_mask") ?? new bool[r];
        var squeezeMask = ctx.Bools("squeeze_mask") ?? new bool[r];
        if (begin.Length != r || end.Length != r || stride.Length != r || beginMask.Length != r || endMask.Length != r || squeezeMask.Length != r)
            throw ctx.Error($"begin, end, stride and the masks need one entry per dimension of {x.TypeText}.");

        var starts = new int[r];
        var steps = new int[r];
        var counts = new int[r];
        for (int i = 0; i < r; i++)
        {
            int dim = x.Shape[i], s = stride[i];
            if (s == 0) throw ctx.Error($"stride {Shapes.Text(stride)} has a zero entry.");
            if (squeezeMask[i])
            {
                int b = begin[i] < 0 ? begin[i] + dim : begin[i];
                if (b < 0 || b >= dim) throw ctx.Error($"squeezed index {begin[i]} is out of range for axis {i} of size {dim}.");
                starts[i] = b; steps[i] = 1; counts[i] = 1;
                continue;
            }
            // Python slice semantics.
            int lo, hi;
            if (s > 0)
            {
                lo = beginMask[i] ? 0 : Clamp(begin[i] < 0 ? begin[i] + dim : begin[i], 0, dim);
                hi = endMask[i] ? dim : Clamp(end[i] < 0 ? end[i] + dim : end[i], 0, dim);
                counts[i] = hi > lo ? (hi - lo + s - 1) / s : 0;
            }
            else
            {
                lo = beginMask[i] ? dim - 1 : Clamp(begin[i] < 0 ? begin[i] + dim : begin[i], -1, dim - 1);
                hi = endMask[i] ? -1 : Clamp(end[i] < 0 ? end[i] + dim : end[i], -1, dim - 1);
                counts[i] = lo > hi ? (lo - hi + (-s) - 1) / (-s) : 0;
            }
            starts[i] = lo; steps[i] = s;
        }
        int n = counts.Aggregate(1, (a, c) => a * c);
        var strides = Shapes.Strides(x.Shape);
        var src = new int[n];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Shapes.Unravel(flat, counts);
            int p = 0;
            for (int i = 0; i < r; i++) p += (starts[i] + idx[i] * steps[i]) * strides[i];
            src[flat] = p;
        }
        var shape = counts.Where((_, i) => !squeezeMask[i]).ToArray();
        return new[] { Gather(x, shape, src) };
    }

    private static int Clamp(int v, int lo, int hi) => v < lo ? lo : v > hi ? hi : v;

    private static NdArray[] SliceBySize(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var begin = ctx.IntsOf(ctx.Tensor("begin"), "begin");
        var size = ctx.IntsOf(ctx.Tensor("size"), "size");
        if (begin.Length != x.Rank || size.Length != x.Rank)
            throw ctx.Error($"begin and size need one entry per dimension of {x.TypeText}.");
        var starts = new int[x.Rank];
        var counts = new int[x.Rank];
        for (int i = 0; i < x.Rank; i++)
        {
            int dim = x.Shape[i];
            int b = begin[i] < 0 ? begin[i] + dim : begin[i];
            int c = size[i] == -1 ? dim - b : size[i];
            if (b < 0 || c < 0 || b + c > dim)
                throw ctx.Error($"begin {Shapes.Text(begin)} / size {Shapes.Text(size)} exceed axis {i} of {x.TypeText}.");
            starts[i] = b; counts[i] = c;
        }
        var strides = Shapes.Strides(x.Shape);
        int n = Shapes.Count(counts);
        var src = new int[n];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Shapes.Unravel(flat, counts);
            int p = 0;
            for (int i = 0; i < x.Rank; i++) p += (starts[i] + idx[i]) * strides[i];
            src[flat] = p;
        }
        return new[] { Gather(x, counts, src) };
    }

    private static NdArray[] Pad(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        ctx.Numeric("x", x);
        var pad = ctx.IntsOf(ctx.Tensor("pad"), "pad");
        string mode = ctx.String("mode", "constant");
        double cval = ctx.Double("constant_val", 0);
        if (pad.Length % 2 != 0 || pad.Length / 2 > x.Rank)
            throw ctx.Error($"pad {Shapes.Text(pad)} must hold before/after pairs for at most {x.Rank} trailing dims.");
        if (pad.Any(p => p < 0)) throw ctx.Error($"pad {Shapes.Text(pad)} must be non-negative.");
        if (mode is not ("constant" or "reflect" or "replicate"))
            throw ctx.Error($"unknown mode '{mode}' (expected constant, reflect or replicate).");
        int first = x.Rank - pad.Length / 2;
        var before = new int[x.Rank];
        var after = new int[x.Rank];
        for (int i = first; i < x.Rank; i++) { before[i] = pad[2 * (i - first)]; after[i] = pad[2 * (i - first) + 1]; }
        for (int i = 0; i < x.Rank; i++)
        {
            if (mode == "reflect" && (before[i] >= x.Shape[i] || after[i] >= x.Shape[i]) && (before[i] | after[i]) != 0)
                throw ctx.Error($"reflect padding of axis {i} must be smaller than its size {x.Shape[i]}.");
            if (mode == "replicate" && x.Shape[i] == 0 && (before[i] | after[i]) != 0)
                throw ctx.Error($"cannot replicate-pad the empty axis {i}.");
        }
        var shape = x.Shape.Select((d, i) => d + before[i] + after[i]).ToArray();
        int n = Shapes.Count(shape);
        var o = new double[n];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Shapes.Unravel(flat, shape);
            bool inside = true;
            for (int i = 0; i < x.Rank; i++)
            {
                int p = idx[i] - before[i], dim = x.Shape[i];
                if (p >= 0 && p < dim) { idx[i] = p; continue; }
                if (mode == "constant") { inside = false; break; }
                if (mode == "replicate") idx[i] = p < 0 ? 0 : dim - 1;
                else idx[i] = p < 0 ? -p : 2 * (dim - 1) - p; // reflect without repeating the edge
            }
            o[flat] = inside ? x.Data[Shapes.Ravel(idx, x.Shape)] : cval;
        }
        return new[] { NdArray.Store(x.DType, shape, o) };
    }

    private static NdArray[] Fill(OpContext ctx)
    {
        var shape = ctx.IntsOf(ctx.Tensor("shape"), "shape");
        if (shape.Any(d => d < 0)) throw ctx.Error($"shape {Shapes.Text(shape)} must be non-negative.");
        double v = ctx.Double("value", 0.0);
        return new[] { NdArray.Store(ctx.OutputDType(), shape, Enumerable.Repeat(v, Shapes.Count(shape)).ToArray()) };
    }

    private static NdArray[] FillLike(OpContext ctx)
    {
        var r = ctx.Tensor("ref_tensor");
        double v = ctx.Double("value", 0.0);
        return new[] { NdArray.Store(ctx.OutputDType(), r.Shape, Enumerable.Repeat(v, r.Count).ToArray()) };
    }

    private static NdArray[] ShapeOf(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        return new[] { new NdArray(MilDType.Int32, new[] { x.Rank }, x.Shape.Select(d => (double)d).ToArray()) };
    }

    private static NdArray[] Range1D(OpContext ctx)
    {
        var startT = ctx.Tensor("start");
        var endT = ctx.Tensor("end");
        var stepT = ctx.Tensor("step");
        ctx.SameDType("start, end and step", startT, endT, stepT);
        double start = ctx.Double("start"), end = ctx.Double("end"), step = ctx.Double("step");
        if (step == 0) throw ctx.Error("step must not be zero.");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var o = Enumerable.Range(0, n).Select(i => start + i * step).ToArray();
        return new[] { NdArray.Store(startT.DType, new[] { n }, o) };
    }
}

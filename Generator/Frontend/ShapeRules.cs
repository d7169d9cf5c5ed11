using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Parse-time shape inference for ops called from <c>Forward</c>. Returns the output shape and the
/// canonical attributes (negative axes resolved), or an error message naming both shapes; the
/// parser turns that into TG3001 at the call.
/// </summary>
internal static class ShapeRules
{
    /// <summary>
    /// A shape rule as an op-table entry names it: the op's name (one rule serves a family), the
    /// operand shapes and the call's constant arguments → the output shape and canonical attributes.
    /// </summary>
    public delegate Outcome Rule(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs);

    public sealed class Outcome
    {
        public int[]? Shape { get; set; }
        public double[] Attrs { get; set; } = Array.Empty<double>();
        public string? Error { get; set; }
    }

    /// <summary>The shape rule of <paramref name="op"/>'s op-table entry, applied to its operands.</summary>
    public static Outcome Infer(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var shape = OpTable.Get(op).Shape
            ?? throw new InvalidOperationException($"Op '{op}' has no shape rule in the op table (an entry for a call needs one).");
        return shape(op, args, attrs);
    }

    // ---------------------------------------------------------------- the rules the op table names

    public static Outcome Dropout(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        if (!(attrs[0] >= 0 && attrs[0] < 1)) return Fail($"dropout probability {attrs[0]} must be in [0, 1)");
        return Ok(a, attrs);
    }

    /// <summary>Elementwise: the output has the operand's shape.</summary>
    public static Outcome SameAsInput(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs) => Ok(First(args), attrs);

    /// <summary>NumPy broadcasting of two operands (the batch dimension matches only itself or 1).</summary>
    public static Outcome Broadcast(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs) =>
        Broadcasting.Shapes(args[0], args[1]) is { } shape
            ? Ok(shape, attrs)
            : Fail($"{op} cannot broadcast {Format(args[0])} with {Format(args[1])}");

    public static Outcome LastAxis(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        return a.Length == 0 ? Fail($"{op} needs at least one dimension, got a scalar") : Ok(a, attrs);
    }

    /// <summary>A reduction over every element: a scalar.</summary>
    public static Outcome ToScalar(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs) => Ok(Array.Empty<int>(), attrs);

    public static Outcome ReduceAxis(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        int axis = (int)attrs[0], r = a.Length;
        if (axis < 0) axis += r;
        if (axis < 0 || axis >= r) return Fail($"axis {(int)attrs[0]} is out of range for shape {Format(a)}");
        bool keep = attrs.Length > 1 && attrs[1] != 0;
        var shape = keep ? a.Select((d, i) => i == axis ? 1 : d).ToArray() : a.Where((_, i) => i != axis).ToArray();
        return Ok(shape, new double[] { axis, keep ? 1 : 0 });
    }

    public static Outcome CrossEntropy(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        var l = args[1].ToArray();
        if (a.Length != 2 || l.Length != 1 || l[0] != a[0])
            return Fail($"cross_entropy needs logits [batch, classes] and labels [batch], but got {Format(a)} and {Format(l)}");
        double eps = attrs.Length > 0 ? attrs[0] : 0;
        if (eps < 0 || eps > 1) return Fail($"label smoothing {eps} is outside [0, 1]");
        return Ok(Array.Empty<int>(), new[] { eps, attrs.Length > 1 ? attrs[1] : 0 });
    }

    public static Outcome PointwiseLoss(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        var t = args[1].ToArray();
        if (!a.SequenceEqual(t)) return Fail($"{op} needs prediction and target of one shape, but got {Format(a)} and {Format(t)}");
        bool hasParam = op is "huber_loss" or "smooth_l1_loss";
        double param = hasParam ? attrs[0] : 0;
        double reduction = attrs.Length > (hasParam ? 1 : 0) ? attrs[hasParam ? 1 : 0] : 0;
        if (hasParam && param <= 0) return Fail($"{op}: {(op == "huber_loss" ? "delta" : "beta")} must be positive, got {param}");
        return Ok(Array.Empty<int>(), new[] { param, reduction });
    }

    public static Outcome Nll(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        var l = args[1].ToArray();
        if (a.Length != 2 || l.Length != 1 || l[0] != a[0])
            return Fail($"nll_loss needs log-probabilities [batch, classes] and labels [batch], but got {Format(a)} and {Format(l)}");
        return Ok(Array.Empty<int>(), new[] { attrs.Length > 0 ? attrs[0] : 0 });
    }

    public static Outcome Concat(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        var b = args[1].ToArray();
        int r = a.Length, axis = (int)attrs[0];
        if (axis < 0) axis += r;
        if (b.Length != r || axis < 0 || axis >= r || a[axis] == Dims.Batch || Enumerable.Range(0, r).Any(i => i != axis && a[i] != b[i]))
            return Fail($"concat of {Format(a)} and {Format(b)} along axis {(int)attrs[0]}: the other dimensions must match (and the batch cannot be concatenated)");
        var s = (int[])a.Clone();
        s[axis] = a[axis] + b[axis];
        return Ok(s, new double[] { axis });
    }

    public static Outcome Slice(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        int r = a.Length, axis = (int)attrs[0], start = (int)attrs[1], end = (int)attrs[2];
        if (axis < 0) axis += r;
        if (axis < 0 || axis >= r || a[axis] == Dims.Batch || start < 0 || end > a[axis] || start >= end)
            return Fail($"slice [{start}, {end}) of axis {(int)attrs[0]} is out of range for {Format(a)}");
        var s = (int[])a.Clone();
        s[axis] = end - start;
        return Ok(s, new double[] { axis, start, end });
    }

    public static Outcome Flatten(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        if (a.Length < 1) return Fail("flatten needs at least one dimension");
        return Ok(new[] { a[0], a.Skip(1).Aggregate(1, (x, y) => x * y) }, attrs);
    }

    public static Outcome Reshape(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        // attrs: count, then the dims; Dim.Batch stands for the input's batch dimension
        var dims = attrs.Skip(1).Select(v => (int)v).ToArray();
        if (dims.Count(d => d == Dims.Batch) > 1 || dims.Any(d => d == 0 || d < Dims.Batch))
            return Fail($"reshape dimensions {Format(dims)} must be positive, with at most one Dim.Batch");
        bool batchIn = a.Contains(Dims.Batch), batchOut = dims.Contains(Dims.Batch);
        if (batchIn != batchOut) return Fail($"reshape of {Format(a)} to {Format(dims)} must keep the batch dimension as Dim.Batch");
        long fixedIn = a.Where(d => d != Dims.Batch).Aggregate(1L, (x, y) => x * y);
        long fixedOut = dims.Where(d => d != Dims.Batch).Aggregate(1L, (x, y) => x * y);
        if (fixedIn != fixedOut) return Fail($"reshape cannot turn {Format(a)} into {Format(dims)}");
        return Ok(dims, attrs);
    }

    public static Outcome Permute(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        var perm = attrs.Skip(1).Select(v => (int)v).ToArray();
        if (perm.Length != a.Length || perm.Distinct().Count() != perm.Length || perm.Any(d => d < 0 || d >= a.Length))
            return Fail($"permute ({string.Join(", ", perm)}) is not a permutation of the dimensions of {Format(a)}");
        return Ok(perm.Select(d => a[d]).ToArray(), perm.Select(d => (double)d).ToArray());
    }

    public static Outcome Transpose(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        int r = a.Length, d0 = (int)attrs[0], d1 = (int)attrs[1];
        if (d0 < 0) d0 += r;
        if (d1 < 0) d1 += r;
        if (d0 < 0 || d0 >= r || d1 < 0 || d1 >= r) return Fail($"transpose({(int)attrs[0]}, {(int)attrs[1]}) is out of range for {Format(a)}");
        var s = (int[])a.Clone();
        (s[d0], s[d1]) = (s[d1], s[d0]);
        return Ok(s, new double[] { d0, d1 });
    }

    public static Outcome MatMul(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        var b = args[1].ToArray();
        if (a.Length < 2 || b.Length < 2 || a[a.Length - 1] != b[b.Length - 2] || a[a.Length - 1] == Dims.Batch)
            return Fail($"matmul {Format(a)} · {Format(b)}: inner dimensions differ");
        var ba = a.Take(a.Length - 2).ToArray();
        var bb = b.Take(b.Length - 2).ToArray();
        // One side may lack the batch dimensions (a shared weight); otherwise they must match.
        if (ba.Length > 0 && bb.Length > 0 && !ba.SequenceEqual(bb))
            return Fail($"matmul {Format(a)} · {Format(b)}: batch dimensions differ");
        var batch = ba.Length > 0 ? ba : bb;
        return Ok(batch.Concat(new[] { a[a.Length - 2], b[b.Length - 1] }).ToArray(), attrs);
    }

    public static Outcome Pool2d(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        int k = (int)attrs[0], st = attrs.Length > 1 && attrs[1] != 0 ? (int)attrs[1] : k, pad = attrs.Length > 2 ? (int)attrs[2] : 0;
        if (a.Length != 4 || a[2] == Dims.Batch || a[3] == Dims.Batch) return Fail($"{op} needs [batch, channels, h, w], got {Format(a)}");
        if (k <= 0 || st <= 0 || pad < 0 || pad * 2 > k) return Fail($"{op}: kernel {k}, stride {st}, padding {pad} are invalid (padding at most half the kernel)");
        int oh = (a[2] + 2 * pad - k) / st + 1, ow = (a[3] + 2 * pad - k) / st + 1;
        if (oh <= 0 || ow <= 0) return Fail($"{op}: kernel {k} is larger than the input {Format(a)}");
        return Ok(new[] { a[0], a[1], oh, ow }, new double[] { k, st, pad });
    }

    public static Outcome GlobalAvgPool(string op, IReadOnlyList<EquatableArray<int>> args, double[] attrs)
    {
        var a = First(args);
        if (a.Length != 4 || a[2] == Dims.Batch || a[3] == Dims.Batch) return Fail($"global_avg_pool needs [batch, channels, h, w], got {Format(a)}");
        return Ok(new[] { a[0], a[1] }, attrs);
    }

    private static int[] First(IReadOnlyList<EquatableArray<int>> args) => args.Count > 0 ? args[0].ToArray() : Array.Empty<int>();

    private static Outcome Ok(int[] shape, double[] attrs) => new() { Shape = shape, Attrs = attrs };
    private static Outcome Fail(string message) => new() { Error = message };

    /// <summary>
    /// A symbolic shape as diagnostics print it, with <c>Dims.Batch</c> as <c>batch</c>. Not shared
    /// with the runtime's <c>ShapeUtil.Format</c>: runtime shapes are concrete, and a −1 there (a
    /// corrupt file's shape, a bad argument) must print as −1, not as the batch.
    /// </summary>
    public static string Format(IEnumerable<int> s) =>
        "[" + string.Join(", ", s.Select(d => d == Dims.Batch ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}

using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.Import.Onnx;

namespace TrainingGen.Import;

// Folding of nodes whose inputs are all known at import time: Constant, and the shape arithmetic
// exporters emit around reshapes (Shape → Gather → Unsqueeze → Concat → Reshape). A shape vector
// keeps the batch as Shapes.BatchSymbol, so the Reshape it feeds gets Dim.Batch.
internal sealed partial class ImportSession
{
    private ConstantValue ConstantOf(OnnxNode node)
    {
        var a = node.Attributes.Values.FirstOrDefault() ?? throw new UnsupportedNodeException("it has no value");
        return a.Name switch
        {
            "value" when a.Tensor is { } t => new ConstantValue(t.Dims, t.Values),
            "value_float" => new ConstantValue(Array.Empty<long>(), new[] { a.Float }),
            "value_int" => new ConstantValue(Array.Empty<long>(), new[] { (double)a.Int }),
            "value_floats" => new ConstantValue(new[] { (long)a.Floats.Count }, a.Floats.ToArray()),
            "value_ints" => new ConstantValue(new[] { (long)a.Ints.Count }, a.Ints.Select(v => (double)v).ToArray()),
            _ => throw new UnsupportedNodeException($"its value is given as '{a.Name}', which the importer does not read"),
        };
    }

    /// <summary>Shape(x) of a runtime tensor: its static shape, the batch as the batch symbol.</summary>
    private ConstantValue ShapeOf(OnnxNode node)
    {
        var x = Runtime(node, 0);
        var dims = x.Shape.Select(d => d == Shapes.Batch ? Shapes.BatchSymbol : d).ToArray();
        long start = node.Int("start", 0), end = node.Int("end", dims.Length);
        int s = (int)Math.Clamp(start < 0 ? start + dims.Length : start, 0, dims.Length);
        int e = (int)Math.Clamp(end < 0 ? end + dims.Length : end, 0, dims.Length);
        var part = dims.Skip(s).Take(Math.Max(0, e - s)).ToArray();
        return new ConstantValue(new[] { (long)part.Length }, part);
    }

    private void Fold(OnnxNode node)
    {
        ConstantValue In(int k) => Constant(node, k) ?? throw new UnsupportedNodeException($"input {k} is missing");
        ConstantValue result;
        switch (node.OpType)
        {
            case "Identity" or "Cast":
                result = In(0) with { Initializer = node.OpType == "Identity" ? In(0).Initializer : null };
                if (node.OpType == "Cast" && (OnnxDataType)node.Int("to", 1) is OnnxDataType.Int64 or OnnxDataType.Int32)
                    result = result with { Values = result.Values.Select(v => v == Shapes.BatchSymbol ? v : Math.Truncate(v)).ToArray() };
                break;
            case "Transpose":
            {
                var c = In(0);
                if (c.HasBatchSymbol) throw new UnsupportedNodeException("a transposed shape vector is not supported");
                var perm = node.Ints("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, c.Rank).Reverse().ToArray();
                result = TransposeConstant(c, perm);
                break;
            }
            case "Gather":
            {
                var data = In(0);
                var idx = In(1);
                int axis = Shapes.Axis(node.Int("axis", 0), data.Rank) ?? throw new UnsupportedNodeException("axis is out of range");
                if (data.Rank != 1 || axis != 0) throw new UnsupportedNodeException("a Gather on constants is folded for 1-D vectors (shapes) only");
                var values = idx.Values.Select(v => { long k = (long)v; if (k < 0) k += data.Values.Length; return k >= 0 && k < data.Values.Length ? data.Values[k] : throw new UnsupportedNodeException($"index {v} is out of range"); }).ToArray();
                result = new ConstantValue(idx.Dims, values);
                break;
            }
            case "Unsqueeze" or "Squeeze":
            {
                var c = In(0);
                var axes = AxesOf(node, 1, 13);
                var dims = node.OpType == "Unsqueeze" ? UnsqueezeShape(c.IntDims(), axes) : SqueezeShape(c.IntDims(), axes);
                result = new ConstantValue(dims.Select(d => (long)d).ToArray(), c.Values);
                break;
            }
            case "Reshape":
            {
                var c = In(0);
                var target = In(1).Values;
                if (target.Contains(Shapes.BatchSymbol) || target.Contains(0)) throw new UnsupportedNodeException("a constant reshaped by a computed shape is not supported");
                long known = target.Where(t => t != -1).Aggregate(1L, (a, b) => a * (long)b);
                var dims = target.Select(t => t == -1 ? c.Values.Length / Math.Max(known, 1) : (long)t).ToArray();
                if (dims.Aggregate(1L, (a, b) => a * b) != c.Values.Length) throw new UnsupportedNodeException("the target shape does not fit the constant");
                result = new ConstantValue(dims, c.Values);
                break;
            }
            case "Concat":
            {
                var parts = node.Inputs.Select((_, k) => In(k)).ToList();
                if (parts.Any(p => p.Rank != 1)) throw new UnsupportedNodeException("a Concat of constants is folded for 1-D vectors (shapes) only");
                var values = parts.SelectMany(p => p.Values).ToArray();
                result = new ConstantValue(new[] { (long)values.Length }, values);
                break;
            }
            case "Slice":
            {
                var c = In(0);
                if (c.Rank != 1) throw new UnsupportedNodeException("a Slice of constants is folded for 1-D vectors (shapes) only");
                long n = c.Values.Length, s = Clamp(In(1).Values[0], n), e = Clamp(In(2).Values[0], n);
                if (node.Input(4) is not null && In(4).Values[0] != 1) throw new UnsupportedNodeException("a strided Slice of constants is not supported");
                var values = c.Values.Skip((int)s).Take((int)Math.Max(0, e - s)).ToArray();
                result = new ConstantValue(new[] { (long)values.Length }, values);
                break;
            }
            case "Add" or "Sub" or "Mul" or "Div":
            {
                var a = In(0);
                var b = In(1);
                if (a.HasBatchSymbol || b.HasBatchSymbol) throw new UnsupportedNodeException("arithmetic on the batch size cannot be folded to a static shape");
                if (!(a.Values.Length == b.Values.Length || a.Values.Length == 1 || b.Values.Length == 1))
                    throw new UnsupportedNodeException("constant arithmetic is folded for equal shapes or a scalar operand only");
                int n = Math.Max(a.Values.Length, b.Values.Length);
                var values = new double[n];
                for (int k = 0; k < n; k++)
                {
                    double x = a.Values[a.Values.Length == 1 ? 0 : k], y = b.Values[b.Values.Length == 1 ? 0 : k];
                    values[k] = node.OpType switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, _ => y == 0 ? throw new UnsupportedNodeException("division by zero") : x / y };
                }
                result = new ConstantValue(a.Values.Length >= b.Values.Length ? a.Dims : b.Dims, values);
                break;
            }
            default:
                throw new UnsupportedNodeException($"{node.OpType} on constants only is not folded by the importer");
        }
        Alias(node.Outputs[0], result);
    }

    /// <summary>The transpose of a constant; a 2-D initializer remembers it is its own transpose (Linear weights).</summary>
    private static ConstantValue TransposeConstant(ConstantValue c, int[] perm)
    {
        int r = c.Rank;
        if (perm.Length != r) throw new UnsupportedNodeException($"perm of {perm.Length} axes for a rank-{r} constant");
        var dims = c.IntDims();
        var outDims = perm.Select(p => dims[p]).ToArray();
        var inStrides = new long[r];
        for (int d = r - 1, s = 1; d >= 0; s *= dims[d], d--) inStrides[d] = s;
        var values = new double[c.Values.Length];
        var index = new int[r];
        for (int k = 0; k < values.Length; k++)
        {
            long src = 0;
            for (int d = 0; d < r; d++) src += index[d] * inStrides[perm[d]];
            values[k] = c.Values[src];
            for (int d = r - 1; d >= 0 && ++index[d] == outDims[d]; d--) index[d] = 0;
        }
        bool swap2d = r == 2 && perm[0] == 1;
        return new ConstantValue(outDims.Select(d => (long)d).ToArray(), values, swap2d ? c.Initializer : null, swap2d ? !c.Transposed : false);
    }
}

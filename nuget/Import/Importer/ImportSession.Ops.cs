using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TrainingGen.Import.Onnx;

namespace TrainingGen.Import;

// The op-by-op mapping: one statement per node on runtime tensors; nodes on constants only are folded
// (ImportSession.Folding.cs). An op outside this list is an importer error naming the node.
internal sealed partial class ImportSession
{
    private void MapNode(int i)
    {
        var node = Node(i);
        _done[i] = true;
        bool allConstant = node.Inputs.Where(n => n.Length > 0).All(n => Value(n) is ConstantValue);
        if (node.OpType == "Constant") { Alias(node.Outputs[0], ConstantOf(node)); return; }
        if (allConstant && node.Inputs.Any(n => n.Length > 0)) { Fold(node); return; }
        if (node.OpType == "Shape") { Alias(node.Outputs[0], ShapeOf(node)); return; }

        switch (node.OpType)
        {
            case "Identity":
                Alias(node.Outputs[0], Value(node.Inputs[0]));
                return;
            case "Relu": Unary(node, "relu", "Ops.Relu({0})"); return;
            case "Sigmoid": Unary(node, "sigmoid", "Ops.Sigmoid({0})"); return;
            case "Tanh": Unary(node, "tanh", "Ops.Tanh({0})"); return;
            case "Exp": Unary(node, "exp", "Ops.Exp({0})"); return;
            case "Log": Unary(node, "log", "Ops.Log({0})"); return;
            case "Sqrt": Unary(node, "sqrt", "Ops.Sqrt({0})"); return;
            case "Neg": Unary(node, "neg", "-{0}"); return;
            case "LeakyRelu":
                double alpha = node.Float("alpha", 0.01);
                Unary(node, "leakyRelu", (float)alpha == 0.01f ? "Ops.LeakyRelu({0})" : $"Ops.LeakyRelu({{0}}, {CSharpNames.Float(alpha)})");
                return;
            case "Softmax" or "LogSoftmax":
            {
                var x = Runtime(node, 0);
                long axis = node.Int("axis", Opset >= 13 ? -1 : 1);
                if (Shapes.Axis(axis, x.Rank) != x.Rank - 1)
                    throw new UnsupportedNodeException($"axis = {axis} of a rank-{x.Rank} input; TrainingGen's softmax is over the last axis");
                Unary(node, node.OpType == "Softmax" ? "softmax" : "logSoftmax", node.OpType == "Softmax" ? "Ops.Softmax({0})" : "Ops.LogSoftmax({0})");
                return;
            }
            case "Dropout": MapDropout(node); return;
            case "MaxPool" or "AveragePool":
            {
                var x = Runtime(node, 0);
                var (k, stride, pad) = PoolGeometry(node, x);
                if (node.OpType == "AveragePool" && pad > 0 && node.Int("count_include_pad", 0) == 0)
                    throw new UnsupportedNodeException("count_include_pad = 0 with padding; TrainingGen's avg_pool2d counts the padding (torch's default)");
                if (node.OpType == "MaxPool" && node.Outputs.Count > 1 && !Unused(node.Outputs[1]))
                    throw new UnsupportedNodeException("its indices output is used");
                EmitPool(node.Outputs[0], node.OpType == "MaxPool" ? "max" : "avg", x, k, stride, pad, NodeList(node));
                return;
            }
            case "GlobalAveragePool":
            {
                var x = Runtime(node, 0);
                if (x.Rank != 4) throw new UnsupportedNodeException($"input {Shapes.Format(x.Shape)} is not [n, c, h, w]");
                Emit(node.Outputs[0], "pooled", $"Ops.Reshape(Ops.GlobalAvgPool({x.Local}), {Shapes.Arguments(new[] { x.Shape[0], x.Shape[1], 1, 1 })})",
                    new[] { x.Shape[0], x.Shape[1], 1, 1 }, NodeList(node));
                return;
            }
            case "Flatten": MapFlatten(node); return;
            case "Reshape":
            {
                var x = Runtime(node, 0);
                var target = RequireConstant(node, 1, "the target shape");
                EmitReshape(node, x, ResolveReshape(x, target.Values, node.Int("allowzero", 0) != 0));
                return;
            }
            case "Squeeze" or "Unsqueeze": MapSqueeze(node); return;
            case "Transpose": MapTranspose(node); return;
            case "Concat": MapConcat(node); return;
            case "Split": MapSplit(node); return;
            case "Slice": MapSlice(node); return;
            case "ReduceMean" or "ReduceSum": MapReduce(node); return;
            case "MatMul": MapMatMul(node); return;
            case "Add" or "Sub" or "Mul" or "Div": MapBinary(node); return;
            case "Pow": MapPow(node); return;
            case "Cast":
            {
                var x = Runtime(node, 0);
                if (x.IsInteger) { Alias(node.Outputs[0], x); return; }   // int64 ↔ int32 of an integer input: both are the IntTensor
                if ((OnnxDataType)node.Int("to", 0) is not OnnxDataType.Float)
                    throw new UnsupportedNodeException($"a cast of a computed tensor to {(OnnxDataType)node.Int("to", 0)}; TrainingGen computes in float32");
                Alias(node.Outputs[0], x);
                return;
            }
            case "Erf":
                throw new UnsupportedNodeException("Erf maps only as part of exact GELU, x · 0.5 · (1 + erf(x / √2)), and this one does not have that form");
            case "Gather":
                throw new UnsupportedNodeException("Gather maps as an Embedding (a 2-D initializer indexed along axis 0) or on constant shapes; indexing a computed tensor is not supported");
            default:
                throw new UnsupportedNodeException($"{node.OpType} is not an op TrainingGen can import (supported: Gemm, MatMul, Conv, BatchNormalization, LayerNormalization, Gather, "
                    + "Relu, LeakyRelu, Sigmoid, Tanh, Softmax, LogSoftmax, MaxPool, AveragePool, Pad, GlobalAveragePool, Flatten, Reshape, Transpose, Concat, Split, Slice, "
                    + "Squeeze, Unsqueeze, ReduceMean, ReduceSum, Add, Sub, Mul, Div, Pow, Dropout, Identity, Cast, Shape, Constant, and the exact-GELU and SiLU forms)");
        }
    }

    private void Unary(OnnxNode node, string hint, string format)
    {
        var x = Runtime(node, 0);
        Emit(node.Outputs[0], hint, string.Format(CultureInfo.InvariantCulture, format, x.Local), x.Shape, NodeList(node));
    }

    private void MapDropout(OnnxNode node)
    {
        var x = Runtime(node, 0);
        double p = Opset >= 12 ? Constant(node, 1)?.Values[0] ?? 0.5 : node.Float("ratio", 0.5);
        if (Opset >= 12 && node.Input(1) is not null && Constant(node, 1) is null) throw new UnsupportedNodeException("the ratio must be a constant");
        if (Opset >= 12 && node.Input(2) is not null && Constant(node, 2) is null) throw new UnsupportedNodeException("training_mode must be a constant");
        if (node.Outputs.Count > 1 && !Unused(node.Outputs[1])) throw new UnsupportedNodeException("its mask output is used");
        if (p == 0) { Alias(node.Outputs[0], x); _mapped.Add($"{NodeList(node)} → nothing (p = 0)"); return; }
        Emit(node.Outputs[0], "dropout", $"Ops.Dropout({x.Local}, {CSharpNames.Float(p)})", x.Shape, NodeList(node));
    }

    /// <summary>Kernel, stride and padding of a 2-D pooling node (square, equal, symmetric).</summary>
    private (int K, int Stride, int Pad) PoolGeometry(OnnxNode node, RuntimeValue x)
    {
        if (x.Rank != 4) throw new UnsupportedNodeException($"input {Shapes.Format(x.Shape)}: only 2-D pooling ([n, c, h, w]) maps");
        if (node.String("auto_pad") is { } ap && ap != "NOTSET") throw new UnsupportedNodeException($"auto_pad = {ap}; export with explicit pads");
        if (node.Int("ceil_mode", 0) != 0) throw new UnsupportedNodeException("ceil_mode = 1 is not supported");
        if (Uniform(node, "dilations", 1, "dilations") != 1) throw new UnsupportedNodeException("dilated pooling is not supported");
        int k = Uniform(node, "kernel_shape", 0, "kernel_shape");
        if (k <= 0) throw new UnsupportedNodeException("it has no kernel_shape");
        return (k, Uniform(node, "strides", 1, "strides"), Uniform(node, "pads", 0, "pads"));
    }

    private void EmitPool(string output, string kind, RuntimeValue x, int k, int stride, int pad, string nodes)
    {
        int oh = (x.Shape[2] + 2 * pad - k) / stride + 1, ow = (x.Shape[3] + 2 * pad - k) / stride + 1;
        if (oh <= 0 || ow <= 0) throw new UnsupportedNodeException($"the {k}×{k} window does not fit the input {Shapes.Format(x.Shape)}");
        if (2 * pad > k) throw new UnsupportedNodeException($"padding {pad} is more than half the {k}×{k} window");
        string args = $"{x.Local}, {k}" + (stride != k || pad != 0 ? $", {stride}" : "") + (pad != 0 ? $", {pad}" : "");
        Emit(output, "pool", $"Ops.{(kind == "max" ? "MaxPool2d" : "AvgPool2d")}({args})", new[] { x.Shape[0], x.Shape[1], oh, ow }, nodes);
    }

    private void MapFlatten(OnnxNode node)
    {
        var x = Runtime(node, 0);
        int? axis = Shapes.Axis(node.Int("axis", 1), x.Rank + 1);
        if (axis is null) throw new UnsupportedNodeException($"axis {node.Int("axis", 1)} is out of range for {Shapes.Format(x.Shape)}");
        if (axis == 1 && x.HasBatch)
        {
            Emit(node.Outputs[0], "flat", $"Ops.Flatten({x.Local})", new[] { x.Shape[0], (int)Shapes.StaticCount(x.Shape) }, NodeList(node));
            return;
        }
        if (x.HasBatch && axis == 0) throw new UnsupportedNodeException("Flatten(axis = 0) would merge the batch into the features");
        var outer = x.Shape.Take(axis.Value).ToArray();
        var inner = x.Shape.Skip(axis.Value).ToArray();
        var shape = new[] { outer.Contains(Shapes.Batch) ? (outer.Length == 1 ? Shapes.Batch : throw new UnsupportedNodeException("it merges the batch with other dimensions")) : (int)Shapes.StaticCount(outer), (int)Shapes.StaticCount(inner) };
        EmitReshape(node, x, shape);
    }

    private void EmitReshape(OnnxNode node, RuntimeValue x, int[] shape)
    {
        if (shape.SequenceEqual(x.Shape)) { Alias(node.Outputs[0], x); return; }
        Emit(node.Outputs[0], "reshaped", $"Ops.Reshape({x.Local}, {Shapes.Arguments(shape)})", shape, NodeList(node));
    }

    /// <summary>
    /// The static target of a Reshape: 0 copies the input's dimension, −1 takes the rest, the folded
    /// batch symbol is the batch. The batch must stay the first dimension.
    /// </summary>
    private static int[] ResolveReshape(RuntimeValue x, double[] target, bool allowZero)
    {
        var s = new long[target.Length];
        int infer = -1;
        for (int d = 0; d < s.Length; d++)
        {
            double v = target[d];
            if (v == Shapes.BatchSymbol) s[d] = Shapes.Batch;
            else if (v == 0 && !allowZero)
            {
                if (d >= x.Rank) throw new UnsupportedNodeException($"target dimension {d} copies a dimension the input {Shapes.Format(x.Shape)} does not have");
                s[d] = x.Shape[d];
            }
            else if (v == -1)
            {
                if (infer >= 0) throw new UnsupportedNodeException("the target shape has two −1 dimensions");
                infer = d;
            }
            else if (v > 0) s[d] = (long)v;
            else throw new UnsupportedNodeException($"target dimension {d} is {v}");
        }
        long known = s.Where((v, d) => d != infer && v != Shapes.Batch).Aggregate(1L, (a, b) => a * b);
        long have = Shapes.StaticCount(x.Shape);
        bool batchInTarget = s.Where((v, d) => d != infer).Contains(Shapes.Batch);
        if (infer >= 0)
        {
            if (x.HasBatch && !batchInTarget)
            {
                // The −1 absorbs exactly the batch (e.g. x.view(-1, 256)).
                if (known != have) throw new UnsupportedNodeException($"the −1 in the target would merge the batch with other dimensions of {Shapes.Format(x.Shape)}");
                s[infer] = Shapes.Batch;
            }
            else
            {
                if (known == 0 || have % known != 0) throw new UnsupportedNodeException($"{Shapes.Format(x.Shape)} cannot be reshaped to the target");
                s[infer] = have / known;
            }
        }
        var shape = s.Select(v => checked((int)v)).ToArray();
        if (x.HasBatch != shape.Contains(Shapes.Batch) || shape.Skip(1).Contains(Shapes.Batch) || Shapes.StaticCount(shape) != have)
            throw new UnsupportedNodeException($"{Shapes.Format(x.Shape)} → {Shapes.Format(shape)} does not keep the batch as the first dimension with the same element count");
        return shape;
    }

    private long[] AxesOf(OnnxNode node, int inputIndex, int opsetFromInput)
    {
        if (Opset >= opsetFromInput)
            return node.Input(inputIndex) is null ? Array.Empty<long>() : RequireConstant(node, inputIndex, "axes").Values.Select(v => (long)v).ToArray();
        return node.Ints("axes")?.ToArray() ?? Array.Empty<long>();
    }

    private void MapSqueeze(OnnxNode node)
    {
        var x = Runtime(node, 0);
        var axes = AxesOf(node, 1, 13);
        var shape = node.OpType == "Squeeze" ? SqueezeShape(x.Shape, axes) : UnsqueezeShape(x.Shape, axes);
        if (x.HasBatch && (shape.Length == 0 || shape[0] != Shapes.Batch)) throw new UnsupportedNodeException("the batch must stay the first dimension");
        EmitReshape(node, x, shape);
    }

    private static int[] SqueezeShape(int[] s, long[] axes)
    {
        if (axes.Length == 0) return s.Where(d => d != 1).ToArray();
        var drop = axes.Select(a => Shapes.Axis(a, s.Length) ?? throw new UnsupportedNodeException($"axis {a} is out of range")).ToHashSet();
        if (drop.Any(a => s[a] != 1)) throw new UnsupportedNodeException($"it squeezes a dimension of {Shapes.Format(s)} that is not 1");
        return s.Where((_, d) => !drop.Contains(d)).ToArray();
    }

    private static int[] UnsqueezeShape(int[] s, long[] axes)
    {
        int r = s.Length + axes.Length;
        var at = axes.Select(a => Shapes.Axis(a, r) ?? throw new UnsupportedNodeException($"axis {a} is out of range")).ToHashSet();
        var result = new int[r];
        int src = 0;
        for (int d = 0; d < r; d++) result[d] = at.Contains(d) ? 1 : s[src++];
        return result;
    }

    private void MapTranspose(OnnxNode node)
    {
        var x = Runtime(node, 0);
        var perm = node.Ints("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, x.Rank).Reverse().ToArray();
        if (perm.Length != x.Rank || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= x.Rank))
            throw new UnsupportedNodeException($"perm [{string.Join(", ", perm)}] is not a permutation of {x.Rank} dimensions");
        if (x.HasBatch && perm[0] != 0) throw new UnsupportedNodeException("it moves the batch dimension; the batch must stay first");
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var moved = Enumerable.Range(0, perm.Length).Where(d => perm[d] != d).ToArray();
        if (moved.Length == 0) { Alias(node.Outputs[0], x); return; }
        string code = moved.Length == 2 ? $"Ops.Transpose({x.Local}, {moved[0]}, {moved[1]})" : $"Ops.Permute({x.Local}, {string.Join(", ", perm)})";
        Emit(node.Outputs[0], "transposed", code, shape, NodeList(node));
    }

    private void MapConcat(OnnxNode node)
    {
        var parts = node.Inputs.Select((_, k) => Runtime(node, k)).ToList();
        int rank = parts[0].Rank;
        int axis = Shapes.Axis(node.Int("axis", 0), rank) ?? throw new UnsupportedNodeException($"axis {node.Int("axis", 0)} is out of range");
        if (axis == 0 && parts[0].HasBatch) throw new UnsupportedNodeException("concatenation along the batch dimension is not supported");
        var shape = (int[])parts[0].Shape.Clone();
        foreach (var p in parts.Skip(1))
        {
            if (p.Rank != rank || Enumerable.Range(0, rank).Any(d => d != axis && p.Shape[d] != shape[d]))
                throw new UnsupportedNodeException($"inputs {string.Join(", ", parts.Select(q => Shapes.Format(q.Shape)))} differ outside axis {axis}");
            shape[axis] += p.Shape[axis];
        }
        string code = parts[0].Local;
        foreach (var p in parts.Skip(1)) code = $"Ops.Concat({code}, {p.Local}, {axis})";
        if (parts.Count == 1) { Alias(node.Outputs[0], parts[0]); return; }
        Emit(node.Outputs[0], "cat", code, shape, NodeList(node));
    }

    private void MapSplit(OnnxNode node)
    {
        var x = Runtime(node, 0);
        int axis = Shapes.Axis(node.Int("axis", 0), x.Rank) ?? throw new UnsupportedNodeException("axis is out of range");
        if (axis == 0 && x.HasBatch) throw new UnsupportedNodeException("splitting the batch dimension is not supported");
        long[] sizes = Opset >= 13
            ? (node.Input(1) is null ? Array.Empty<long>() : RequireConstant(node, 1, "split").Values.Select(v => (long)v).ToArray())
            : node.Ints("split")?.ToArray() ?? Array.Empty<long>();
        int n = node.Outputs.Count, total = x.Shape[axis];
        if (sizes.Length == 0)
        {
            int each = (total + n - 1) / n;
            sizes = Enumerable.Range(0, n).Select(k => (long)Math.Min(each, total - k * each)).ToArray();
        }
        if (sizes.Length != n || sizes.Sum() != total || sizes.Any(s => s <= 0))
            throw new UnsupportedNodeException($"split sizes [{string.Join(", ", sizes)}] do not divide {total} into {n} parts");
        long start = 0;
        for (int k = 0; k < n; k++)
        {
            var shape = (int[])x.Shape.Clone();
            shape[axis] = (int)sizes[k];
            if (node.Outputs[k].Length > 0 && !Unused(node.Outputs[k]))
                Emit(node.Outputs[k], "part", $"Ops.Slice({x.Local}, {axis}, {start}, {start + sizes[k]})", shape, NodeList(node));
            start += sizes[k];
        }
    }

    private void MapSlice(OnnxNode node)
    {
        var x = Runtime(node, 0);
        if (Opset < 10) throw new UnsupportedNodeException("Slice before opset 10 is not supported; export with opset ≥ 10");
        var starts = RequireConstant(node, 1, "starts").Values;
        var ends = RequireConstant(node, 2, "ends").Values;
        var axes = node.Input(3) is null ? Enumerable.Range(0, starts.Length).Select(a => (double)a).ToArray() : RequireConstant(node, 3, "axes").Values;
        var steps = node.Input(4) is null ? null : RequireConstant(node, 4, "steps").Values;
        if (steps is not null && steps.Any(s => s != 1)) throw new UnsupportedNodeException("slices with a step other than 1 are not supported");
        string code = x.Local;
        var shape = (int[])x.Shape.Clone();
        for (int k = 0; k < starts.Length; k++)
        {
            int axis = Shapes.Axis((long)axes[k], x.Rank) ?? throw new UnsupportedNodeException($"axis {axes[k]} is out of range");
            if (axis == 0 && x.HasBatch) throw new UnsupportedNodeException("slicing the batch dimension is not supported");
            long dim = shape[axis];
            long s = Clamp(starts[k], dim), e = Clamp(ends[k], dim);
            if (s >= e) throw new UnsupportedNodeException($"the slice [{starts[k]}, {ends[k]}) of axis {axis} is empty");
            if (s == 0 && e == dim) continue;
            code = $"Ops.Slice({code}, {axis}, {s}, {e})";
            shape[axis] = (int)(e - s);
        }
        if (code == x.Local) { Alias(node.Outputs[0], x); return; }
        Emit(node.Outputs[0], "slice", code, shape, NodeList(node));
    }

    private static long Clamp(double v, long dim)
    {
        long i = v >= long.MaxValue / 2.0 ? dim : v <= long.MinValue / 2.0 ? 0 : (long)v;
        if (i < 0) i += dim;
        return Math.Clamp(i, 0, dim);
    }

    private void MapReduce(OnnxNode node)
    {
        var x = Runtime(node, 0);
        bool mean = node.OpType == "ReduceMean";
        var axes = AxesOf(node, 1, mean ? 18 : 13);
        bool keep = node.Int("keepdims", 1) != 0;
        if (axes.Length == 0 && node.Int("noop_with_empty_axes", 0) != 0) { Alias(node.Outputs[0], x); return; }
        var norm = (axes.Length == 0 ? Enumerable.Range(0, x.Rank) : axes.Select(a => Shapes.Axis(a, x.Rank) ?? throw new UnsupportedNodeException($"axis {a} is out of range")))
            .Distinct().OrderByDescending(a => a).ToArray();
        string op = mean ? "Ops.Mean" : "Ops.Sum";
        if (norm.Length == x.Rank && !keep)
        {
            Emit(node.Outputs[0], mean ? "mean" : "sum", $"{op}({x.Local})", Array.Empty<int>(), NodeList(node));
            return;
        }
        if (norm.Contains(0) && x.HasBatch) throw new UnsupportedNodeException("reducing over the batch dimension (without reducing everything to a scalar) is not supported");
        string code = x.Local;
        foreach (int a in norm) code = $"{op}({code}, {a}{(keep ? ", keepDim: true" : "")})";
        var shape = keep ? x.Shape.Select((d, k) => norm.Contains(k) ? 1 : d).ToArray() : x.Shape.Where((_, k) => !norm.Contains(k)).ToArray();
        Emit(node.Outputs[0], mean ? "mean" : "sum", code, shape, NodeList(node));
    }

    private void MapMatMul(OnnxNode node)
    {
        var a = Operand(node, 0, "matmul");
        var b = Operand(node, 1, "matmul");
        if (a.Rank < 2 || b.Rank < 2 || a.Shape[^1] != b.Shape[^2])
            throw new UnsupportedNodeException($"{Shapes.Format(a.Shape)} · {Shapes.Format(b.Shape)} do not multiply (both operands need rank ≥ 2)");
        var lead = Shapes.Broadcast(a.Shape[..^2], b.Shape[..^2]) ?? throw new UnsupportedNodeException($"the leading dimensions of {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)} do not broadcast");
        Emit(node.Outputs[0], "matmul", $"Ops.MatMul({a.Local}, {b.Local})", lead.Concat(new[] { a.Shape[^2], b.Shape[^1] }).ToArray(), NodeList(node));
    }

    private void MapBinary(OnnxNode node)
    {
        string op = node.OpType switch { "Add" => "+", "Sub" => "-", "Mul" => "*", _ => "/" };
        string hint = node.OpType.ToLowerInvariant();
        var ca = Constant(node, 0);
        var cb = Constant(node, 1);
        // A scalar constant operand becomes a float literal (the operators Tensor × float and Tensor + float).
        if (cb is { IsScalarLike: true } && ca is null)
        {
            var x = Runtime(node, 0);
            double c = cb.Values[0];
            string code = node.OpType switch
            {
                "Add" => $"{x.Local} + {CSharpNames.Float(c)}",
                "Sub" => $"{x.Local} + {CSharpNames.Float(-c)}",
                "Mul" => $"{x.Local} * {CSharpNames.Float(c)}",
                _ => $"{x.Local} * {CSharpNames.Float(1 / c)}",
            };
            Emit(node.Outputs[0], hint, code, x.Shape, NodeList(node));
            return;
        }
        if (ca is { IsScalarLike: true } && cb is null)
        {
            var x = Runtime(node, 1);
            double c = ca.Values[0];
            string code = node.OpType switch
            {
                "Add" => $"{CSharpNames.Float(c)} + {x.Local}",
                "Sub" => $"{CSharpNames.Float(c)} + -{x.Local}",
                "Mul" => $"{CSharpNames.Float(c)} * {x.Local}",
                _ => throw new UnsupportedNodeException("a constant divided by a computed tensor is not supported"),
            };
            Emit(node.Outputs[0], hint, code, x.Shape, NodeList(node));
            return;
        }
        var a = Operand(node, 0, hint);
        var b = Operand(node, 1, hint);
        var shape = Shapes.Broadcast(a.Shape, b.Shape) ?? throw new UnsupportedNodeException($"{Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)} do not broadcast");
        if (shape.Skip(1).Contains(Shapes.Batch)) throw new UnsupportedNodeException("the batch would not stay the first dimension");
        Emit(node.Outputs[0], hint, $"{a.Local} {op} {b.Local}", shape, NodeList(node));
    }

    private void MapPow(OnnxNode node)
    {
        var x = Runtime(node, 0);
        var e = Constant(node, 1);
        if (e is not { IsScalarLike: true }) throw new UnsupportedNodeException("only a constant scalar exponent is supported");
        string code = e.Values[0] switch
        {
            1 => x.Local,
            2 => $"{x.Local} * {x.Local}",
            3 => $"{x.Local} * {x.Local} * {x.Local}",
            0.5 => $"Ops.Sqrt({x.Local})",
            _ => throw new UnsupportedNodeException($"exponent {e.Values[0]}; the importer maps the exponents 1, 2, 3 and 0.5"),
        };
        if (code == x.Local) { Alias(node.Outputs[0], x); return; }
        Emit(node.Outputs[0], "pow", code, x.Shape, NodeList(node));
    }

    /// <summary>
    /// An operand of a binary op or MatMul as a runtime tensor. A non-scalar constant becomes a
    /// <c>Parameter</c> property (trainable for an initializer, as nn.Parameter exports; [Frozen]
    /// for a Constant node), since a tensor literal has no place in <c>Forward</c>.
    /// </summary>
    private RuntimeValue Operand(OnnxNode node, int i, string hint)
    {
        string name = node.Input(i) ?? throw new UnsupportedNodeException($"input {i} is missing");
        switch (Value(name))
        {
            case RuntimeValue r: return r;
            case ConstantValue c:
            {
                if (c.HasBatchSymbol) throw new UnsupportedNodeException($"input '{name}' is a shape used as data");
                var dims = c.Rank == 0 ? new[] { 1 } : c.IntDims();
                bool frozen = c.Initializer is null || c.Transposed;
                string path = c.Initializer is not null && !c.Transposed && c.Initializer.All(ch => char.IsLetterOrDigit(ch) || ch is '_' or '.')
                    ? c.Initializer : "const" + (++_synthetic).ToString(CultureInfo.InvariantCulture);
                var layer = Layer(path, "Parameter", Shapes.Arguments(dims), NodeList(node), frozen, ("", dims, ToFloats(c.Values)));
                var v = new RuntimeValue($"{layer.Property}.Forward()", dims);
                return v;
            }
            default: throw new UnsupportedNodeException($"input '{name}' has no value");
        }
    }
}

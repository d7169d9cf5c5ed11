using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.Import.Onnx;

namespace TrainingGen.Import;

// Layer patterns: a node (and, for some, the nodes that consume it) that is one TrainingGen layer or
// fused activation. Each returns false when the node does not fit, so the op-by-op mapping (or its
// error) takes over.
internal sealed partial class ImportSession
{
    private bool TryPattern(int i) => Node(i).OpType switch
    {
        "Gemm" => TryGemm(i),
        "MatMul" => TryMatMulLinear(i),
        "Conv" => TryConv(i),
        "BatchNormalization" => TryBatchNorm(i),
        "LayerNormalization" => TryLayerNorm(i),
        "Gather" => TryEmbedding(i),
        "Div" or "Mul" => TryGelu(i),
        "Sigmoid" => TrySilu(i),
        "GlobalAveragePool" => TryGlobalPoolFlatten(i),
        "Pad" => TryPadPool(i),
        _ => false,
    };

    /// <summary>Gemm(x, W, b) with transB = 1 (PyTorch's nn.Linear on 2-D input) → Linear; transB = 0 stores Wᵀ.</summary>
    private bool TryGemm(int i)
    {
        var node = Node(i);
        if (Value(node.Inputs[0]) is not RuntimeValue x || Constant(node, 1) is not { Rank: 2 } w) return false;
        if (node.Int("transA", 0) != 0) throw new UnsupportedNodeException("transA = 1 (a transposed input) is not a Linear layer");
        if (node.Float("alpha", 1) != 1 || node.Float("beta", 1) != 1)
            throw new UnsupportedNodeException($"alpha = {node.Float("alpha", 1)}, beta = {node.Float("beta", 1)}; only alpha = beta = 1 is a Linear layer");
        bool transB = node.Int("transB", 0) != 0;
        int outF = (int)(transB ? w.Dims[0] : w.Dims[1]), inF = (int)(transB ? w.Dims[1] : w.Dims[0]);
        if (x.Rank != 2 || x.Shape[1] != inF) throw new UnsupportedNodeException($"input {Shapes.Format(x.Shape)} does not fit weights of {inF} inputs");
        var bias = Constant(node, 2);
        if (node.Input(2) is not null && bias is null) throw new UnsupportedNodeException("the bias C must be a constant");
        if (bias is not null && bias.Values.Length != outF)
            throw new UnsupportedNodeException($"bias of {bias.Values.Length} values does not fit {outF} outputs (a broadcast bias is not a Linear layer)");
        var weight = transB ? w.Values : Transpose2d(w.Values, inF, outF);
        bool named = transB != w.Transposed;
        AddLinear(node.Outputs[0], x, inF, outF, named ? w.Initializer : null, weight, bias, NodeList(node));
        _done[i] = true;
        return true;
    }

    /// <summary>
    /// MatMul(x, W) with a constant 2-D W ([in, out], or the Transpose of an [out, in] initializer as
    /// PyTorch exports nn.Linear on 3-D input), plus a following Add of a constant bias → Linear on any rank.
    /// </summary>
    private bool TryMatMulLinear(int i)
    {
        var node = Node(i);
        if (Value(node.Inputs[0]) is not RuntimeValue x || Constant(node, 1) is not { Rank: 2 } w || x.Rank < 2) return false;
        int inF = (int)w.Dims[0], outF = (int)w.Dims[1];
        if (x.Shape[^1] != inF) throw new UnsupportedNodeException($"input {Shapes.Format(x.Shape)} does not fit weights [{inF}, {outF}]");
        var nodes = new List<OnnxNode> { node };
        string output = node.Outputs[0];
        ConstantValue? bias = null;
        if (SoleConsumer(output) is int a && Node(a) is { OpType: "Add" } add)
        {
            int other = add.Inputs[0] == output ? 1 : 0;
            if (add.Input(other) is { } bName && Value(bName) is ConstantValue b && b.Values.Length == outF && b.Dims.Take(b.Rank - 1).All(d => d == 1))
            {
                bias = b;
                nodes.Add(add);
                output = add.Outputs[0];
                _done[a] = true;
            }
        }
        // An [out, in] initializer transposed by the graph keeps its name; an [in, out] one is stored transposed.
        var weight = Transpose2d(w.Values, inF, outF);
        AddLinear(output, x, inF, outF, w.Transposed ? w.Initializer : null, weight, bias, NodeList(nodes.ToArray()));
        _done[i] = true;
        return true;
    }

    private void AddLinear(string output, RuntimeValue x, int inF, int outF, string? weightInitializer, double[] weightOutIn, ConstantValue? bias, string nodes)
    {
        string path = ModulePath(weightInitializer, "weight", "linear");
        var tensors = new List<(string, int[], float[])> { ("weight", new[] { outF, inF }, ToFloats(weightOutIn)) };
        if (bias is not null) tensors.Add(("bias", new[] { outF }, ToFloats(bias.Values)));
        string args = $"{inF}, {outF}" + (bias is null ? ", bias: false" : "");
        var layer = Layer(path, "Linear", args, nodes, tensors.ToArray());
        var shape = (int[])x.Shape.Clone();
        shape[^1] = outF;
        Emit(output, CSharpNames.ToLocal(layer.Property, "linear"), $"{layer.Property}.Forward({x.Local})", shape, nodes);
    }

    /// <summary>Conv(x, W, b) with a square kernel, equal strides, symmetric padding → Conv2d.</summary>
    private bool TryConv(int i)
    {
        var node = Node(i);
        if (Value(node.Inputs[0]) is not RuntimeValue x || Constant(node, 1) is not { } w) return false;
        if (w.Rank != 4 || x.Rank != 4) throw new UnsupportedNodeException($"only 2-D convolution maps (input {Shapes.Format(x.Shape)}, weights of rank {w.Rank})");
        if (node.String("auto_pad") is { } ap && ap != "NOTSET") throw new UnsupportedNodeException($"auto_pad = {ap}; export with explicit pads");
        int outC = (int)w.Dims[0], k = (int)w.Dims[2], groups = (int)node.Int("group", 1), inC = (int)w.Dims[1] * groups;
        if (w.Dims[3] != k) throw new UnsupportedNodeException($"kernel {w.Dims[2]}×{w.Dims[3]} is not square; Conv2d takes one kernel size");
        int stride = Uniform(node, "strides", 1, "strides"), dilation = Uniform(node, "dilations", 1, "dilations"), pad = Uniform(node, "pads", 0, "pads");
        if (x.Shape[1] != inC) throw new UnsupportedNodeException($"input {Shapes.Format(x.Shape)} has {x.Shape[1]} channels, weights expect {inC}");
        var bias = Constant(node, 2);
        if (node.Input(2) is not null && bias is null) throw new UnsupportedNodeException("the bias must be a constant");
        var named = new List<string> { $"{inC}", $"{outC}", $"{k}" };
        if (stride != 1) named.Add($"stride: {stride}");
        if (pad != 0) named.Add($"padding: {pad}");
        if (dilation != 1) named.Add($"dilation: {dilation}");
        if (groups != 1) named.Add($"groups: {groups}");
        if (bias is null) named.Add("bias: false");
        var tensors = new List<(string, int[], float[])> { ("weight", w.IntDims(), ToFloats(w.Values)) };
        if (bias is not null) tensors.Add(("bias", new[] { outC }, ToFloats(bias.Values)));
        string nodes = NodeList(node);
        var layer = Layer(ModulePath(w.Initializer, "weight", "conv"), "Conv2d", string.Join(", ", named), nodes, tensors.ToArray());
        int oh = (x.Shape[2] + 2 * pad - dilation * (k - 1) - 1) / stride + 1, ow = (x.Shape[3] + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
        if (oh <= 0 || ow <= 0) throw new UnsupportedNodeException($"the kernel does not fit the input {Shapes.Format(x.Shape)}");
        Emit(node.Outputs[0], CSharpNames.ToLocal(layer.Property, "conv"), $"{layer.Property}.Forward({x.Local})", new[] { x.Shape[0], outC, oh, ow }, nodes);
        _done[i] = true;
        return true;
    }

    /// <summary>
    /// BatchNormalization on [n, c, h, w] → BatchNorm2d. A training-mode export (training_mode = 1) also
    /// outputs the updated running statistics; BatchNorm2d updates its own, so those outputs must be unused.
    /// ONNX's momentum weights the old statistic (PyTorch's 1 − momentum).
    /// </summary>
    private bool TryBatchNorm(int i)
    {
        var node = Node(i);
        if (Value(node.Inputs[0]) is not RuntimeValue x) return false;
        if (x.Rank != 4) throw new UnsupportedNodeException($"input {Shapes.Format(x.Shape)}: only BatchNorm2d ([n, c, h, w]) maps");
        var scale = RequireConstant(node, 1, "scale");
        var b = RequireConstant(node, 2, "bias");
        var mean = RequireConstant(node, 3, "running mean");
        var variance = RequireConstant(node, 4, "running variance");
        int c = x.Shape[1];
        if (new[] { scale, b, mean, variance }.Any(t => t.Values.Length != c))
            throw new UnsupportedNodeException($"its parameters must each have {c} values (one per channel)");
        foreach (var extra in node.Outputs.Skip(1))
            if (!Unused(extra)) throw new UnsupportedNodeException($"its running-statistics output '{extra}' is used by the graph; BatchNorm2d keeps its statistics itself");
        double eps = node.Float("epsilon", 1e-5), momentum = Math.Round(1 - node.Float("momentum", 0.9), 6);
        var args = new List<string> { $"{c}" };
        if ((float)eps != 1e-5f) args.Add($"eps: {CSharpNames.Float(eps)}");
        if ((float)momentum != 0.1f) args.Add($"momentum: {CSharpNames.Float(momentum)}");
        string nodes = NodeList(node) + (node.Int("training_mode", 0) != 0 ? " (training mode)" : "");
        var layer = Layer(ModulePath(scale.Initializer, "weight", "bn"), "BatchNorm2d", string.Join(", ", args), nodes,
            ("weight", new[] { c }, ToFloats(scale.Values)), ("bias", new[] { c }, ToFloats(b.Values)),
            ("running_mean", new[] { c }, ToFloats(mean.Values)), ("running_var", new[] { c }, ToFloats(variance.Values)));
        // torch's state_dict has an int64 num_batches_tracked beside the statistics; ONNX carries no
        // counter, so the weights file starts it at 0 (it only matters for momentum: null, which ONNX's
        // float momentum never asks for) and a strict import into the trainer finds every buffer.
        AddCounter(layer.StateDictPath + ".num_batches_tracked");
        Emit(node.Outputs[0], CSharpNames.ToLocal(layer.Property, "bn"), $"{layer.Property}.Forward({x.Local})", x.Shape, nodes);
        _done[i] = true;
        return true;
    }

    /// <summary>LayerNormalization over the last axis with constant scale (and bias) → LayerNorm.</summary>
    private bool TryLayerNorm(int i)
    {
        var node = Node(i);
        if (Value(node.Inputs[0]) is not RuntimeValue x) return false;
        int d = x.Shape[^1];
        if (Shapes.Axis(node.Int("axis", -1), x.Rank) != x.Rank - 1)
            throw new UnsupportedNodeException($"axis = {node.Int("axis", -1)}: LayerNorm normalises the last axis only");
        var scale = RequireConstant(node, 1, "scale");
        var bias = Constant(node, 2);
        if (node.Input(2) is not null && bias is null) throw new UnsupportedNodeException("the bias must be a constant");
        if (scale.Values.Length != d || bias is not null && bias.Values.Length != d)
            throw new UnsupportedNodeException($"scale and bias must have {d} values");
        foreach (var extra in node.Outputs.Skip(1))
            if (!Unused(extra)) throw new UnsupportedNodeException($"its mean/inverse-deviation output '{extra}' is used by the graph");
        double eps = node.Float("epsilon", 1e-5);
        string args = $"{d}" + ((float)eps != 1e-5f ? $", eps: {CSharpNames.Float(eps)}" : "");
        string nodes = NodeList(node);
        var layer = Layer(ModulePath(scale.Initializer, "weight", "norm"), "LayerNorm", args, nodes,
            ("weight", new[] { d }, ToFloats(scale.Values)), ("bias", new[] { d }, bias is null ? new float[d] : ToFloats(bias.Values)));
        Emit(node.Outputs[0], CSharpNames.ToLocal(layer.Property, "norm"), $"{layer.Property}.Forward({x.Local})", x.Shape, nodes);
        _done[i] = true;
        return true;
    }

    /// <summary>Gather(W, indices) on a 2-D initializer along axis 0 → Embedding.</summary>
    private bool TryEmbedding(int i)
    {
        var node = Node(i);
        if (Constant(node, 0) is not { Rank: 2, Initializer: not null } w || Value(node.Inputs[1]) is not RuntimeValue idx) return false;
        if (node.Int("axis", 0) != 0) throw new UnsupportedNodeException("a Gather on an initializer maps to Embedding only along axis 0");
        if (!idx.IsInteger)
            throw new UnsupportedNodeException($"its indices '{node.Inputs[1]}' are computed in the graph; an Embedding's indices must be an integer graph input (an IntTensor)");
        int n = (int)w.Dims[0], d = (int)w.Dims[1];
        string nodes = NodeList(node);
        var layer = Layer(ModulePath(w.Initializer, "weight", "embedding"), "Embedding", $"{n}, {d}", nodes, ("weight", new[] { n, d }, ToFloats(w.Values)));
        Emit(node.Outputs[0], CSharpNames.ToLocal(layer.Property, "embedding"), $"{layer.Property}.Forward({idx.Local})", idx.Shape.Append(d).ToArray(), nodes);
        _done[i] = true;
        return true;
    }

    /// <summary>
    /// Exact GELU as exporters write it: x / √2 (or x · 1/√2) → Erf → + 1 → · x → · 0.5 (either operand
    /// order) → Gelu. Every intermediate value must feed only the next node.
    /// </summary>
    private bool TryGelu(int i)
    {
        var div = Node(i);
        if (div.Inputs.Count != 2 || Value(div.Inputs[0]) is not RuntimeValue x || Constant(div, 1) is not { IsScalarLike: true } c) return false;
        double expected = div.OpType == "Div" ? Math.Sqrt(2) : 1 / Math.Sqrt(2);
        if (!Near(c.Values[0], expected)) return false;
        if (SoleConsumer(div.Outputs[0]) is not int e || Node(e).OpType != "Erf") return false;
        if (SoleConsumer(Node(e).Outputs[0]) is not int a || Node(a) is not { OpType: "Add" } add || !HasScalarOperand(add, Node(e).Outputs[0], 1)) return false;
        if (SoleConsumer(add.Outputs[0]) is not int m1 || Node(m1) is not { OpType: "Mul" } mul1 || Other(mul1, add.Outputs[0]) != div.Inputs[0]) return false;
        if (SoleConsumer(mul1.Outputs[0]) is not int m2 || Node(m2) is not { OpType: "Mul" } mul2 || !HasScalarOperand(mul2, mul1.Outputs[0], 0.5)) return false;
        string nodes = NodeList(div, Node(e), add, mul1, mul2);
        _mapped.Add($"{nodes} → Ops.Gelu (exact, erf form)");
        Emit(mul2.Outputs[0], "gelu", $"Ops.Gelu({x.Local})", x.Shape, nodes);
        foreach (int k in new[] { i, e, a, m1, m2 }) _done[k] = true;
        return true;
    }

    /// <summary>Sigmoid(x) consumed only by Mul(x, sigmoid(x)) → Silu.</summary>
    private bool TrySilu(int i)
    {
        var sig = Node(i);
        if (Value(sig.Inputs[0]) is not RuntimeValue x) return false;
        if (SoleConsumer(sig.Outputs[0]) is not int m || Node(m) is not { OpType: "Mul" } mul || Other(mul, sig.Outputs[0]) != sig.Inputs[0]) return false;
        string nodes = NodeList(sig, mul);
        _mapped.Add($"{nodes} → Ops.Silu");
        Emit(mul.Outputs[0], "silu", $"Ops.Silu({x.Local})", x.Shape, nodes);
        _done[i] = _done[m] = true;
        return true;
    }

    /// <summary>GlobalAveragePool then Flatten(axis 1) → Ops.GlobalAvgPool ([n, c]).</summary>
    private bool TryGlobalPoolFlatten(int i)
    {
        var pool = Node(i);
        if (Value(pool.Inputs[0]) is not RuntimeValue { Rank: 4 } x) return false;
        if (SoleConsumer(pool.Outputs[0]) is not int f || Node(f) is not { OpType: "Flatten" } flat || flat.Int("axis", 1) != 1) return false;
        string nodes = NodeList(pool, flat);
        _mapped.Add($"{nodes} → Ops.GlobalAvgPool");
        Emit(flat.Outputs[0], "pooled", $"Ops.GlobalAvgPool({x.Local})", new[] { x.Shape[0], x.Shape[1] }, nodes);
        _done[i] = _done[f] = true;
        return true;
    }

    /// <summary>
    /// Pad with constant zeros: all-zero pads are nothing; symmetric spatial padding before an
    /// AveragePool is its padding (zeros counted, as torch's avg_pool2d counts them).
    /// </summary>
    private bool TryPadPool(int i)
    {
        var pad = Node(i);
        if (Value(pad.Inputs[0]) is not RuntimeValue x) return false;
        if ((pad.String("mode") ?? "constant") != "constant") throw new UnsupportedNodeException($"mode = {pad.String("mode")}; only constant (zero) padding maps");
        var pads = Opset >= 11 ? RequireConstant(pad, 1, "pads").Values.Select(v => (long)v).ToArray() : pad.Ints("pads")?.ToArray()
            ?? throw new UnsupportedNodeException("it has no pads");
        double value = Opset >= 11 ? Constant(pad, 2)?.Values.FirstOrDefault() ?? 0 : pad.Float("value", 0);
        if (pad.Input(3) is not null) throw new UnsupportedNodeException("the axes input is not supported");
        if (pads.Length != 2 * x.Rank) throw new UnsupportedNodeException($"{pads.Length} pads for a rank-{x.Rank} input");
        if (pads.All(p => p == 0))
        {
            _mapped.Add($"{NodeList(pad)} → nothing (zero padding)");
            Alias(pad.Outputs[0], x);
            _done[i] = true;
            return true;
        }
        long p0 = pads[2];
        bool spatialSymmetric = x.Rank == 4 && pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0 && pads.Skip(2).Take(2).Concat(pads.Skip(6)).All(p => p == p0);
        if (value != 0 || !spatialSymmetric || SoleConsumer(pad.Outputs[0]) is not int a || Node(a) is not { OpType: "AveragePool" } avg)
            throw new UnsupportedNodeException("non-zero padding maps only as equal zero padding of height and width directly before an AveragePool");
        var (k, stride, ownPad) = PoolGeometry(avg, x);
        if (ownPad != 0) throw new UnsupportedNodeException("the AveragePool after it pads as well");
        string nodes = NodeList(pad, avg);
        _mapped.Add($"{nodes} → Ops.AvgPool2d with padding {p0}");
        EmitPool(avg.Outputs[0], "avg", x, k, stride, (int)p0, nodes);
        _done[i] = _done[a] = true;
        return true;
    }

    // ---- small helpers ----

    private static bool Near(double a, double b) => Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(b));

    /// <summary>The other input of a binary node than <paramref name="one"/> (null if neither or both are it).</summary>
    private static string? Other(OnnxNode node, string one) =>
        node.Inputs.Count == 2 && node.Inputs[0] == one ^ node.Inputs[1] == one ? (node.Inputs[0] == one ? node.Inputs[1] : node.Inputs[0]) : null;

    private bool HasScalarOperand(OnnxNode node, string one, double value) =>
        Other(node, one) is { } o && Value(o) is ConstantValue { IsScalarLike: true } c && Near(c.Values[0], value);

    private static double[] Transpose2d(double[] v, int rows, int cols)
    {
        var t = new double[v.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = v[r * cols + c];
        return t;
    }

    private static float[] ToFloats(double[] v) => v.Select(d => (float)d).ToArray();

    /// <summary>An ints attribute whose entries are all equal (a square kernel's strides, pads), or its default.</summary>
    private static int Uniform(OnnxNode node, string attribute, int fallback, string what)
    {
        var v = node.Ints(attribute);
        if (v is null || v.Count == 0) return fallback;
        if (v.Any(e => e != v[0])) throw new UnsupportedNodeException($"{what} [{string.Join(", ", v)}] differ per side or axis; TrainingGen takes one value");
        return (int)v[0];
    }
}

internal static class ConstantValueExtensions
{
    public static int[] IntDims(this ConstantValue c) => c.Dims.Select(d => checked((int)d)).ToArray();
}

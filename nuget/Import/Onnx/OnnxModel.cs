using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.Import.Onnx;

/// <summary>ONNX element types the importer knows by name (TensorProto.DataType numbers).</summary>
public enum OnnxDataType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
    Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, Complex64 = 14, Complex128 = 15, BFloat16 = 16,
}

/// <summary>
/// A constant tensor of the graph (an initializer or a <c>Constant</c> node's value), its values
/// widened to double (every float32 and every int64 below 2⁵³ is exact).
/// </summary>
public sealed record OnnxTensor(string Name, OnnxDataType DataType, long[] Dims, double[] Values)
{
    /// <summary>Number of elements (1 for a scalar, whose <see cref="Dims"/> is empty).</summary>
    public long Count => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The values as float32 (initializers are float32 in a PyTorch export).</summary>
    public float[] ToFloats() => Values.Select(v => (float)v).ToArray();

    /// <summary>The dimensions as ints.</summary>
    public int[] IntDims => Dims.Select(d => checked((int)d)).ToArray();
}

/// <summary>One dimension of a graph input or output: a size, or a symbol such as <c>batch</c>.</summary>
public readonly record struct OnnxDim(long? Value, string? Symbol)
{
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}

/// <summary>A graph input or output: name, element type and shape (null when the file gives none).</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, IReadOnlyList<OnnxDim>? Shape);

/// <summary>One attribute of a node; only the member matching <see cref="Kind"/> is set.</summary>
public sealed record OnnxAttribute(string Name, OnnxAttributeKind Kind, double Float, long Int, string? String,
    OnnxTensor? Tensor, IReadOnlyList<double> Floats, IReadOnlyList<long> Ints);

/// <summary>The attribute kinds the importer reads; anything else (graphs, sparse tensors, types) is <see cref="Other"/>.</summary>
public enum OnnxAttributeKind { Float, Int, String, Tensor, Floats, Ints, Strings, Other }

/// <summary>One node. Optional inputs that are absent are empty strings, as in the file.</summary>
public sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    public OnnxAttribute? Attribute(string name) => Attributes.TryGetValue(name, out var a) ? a : null;
    public long Int(string name, long fallback) => Attribute(name) is { Kind: OnnxAttributeKind.Int } a ? a.Int : fallback;
    public double Float(string name, double fallback) => Attribute(name) is { Kind: OnnxAttributeKind.Float } a ? a.Float : fallback;
    public IReadOnlyList<long>? Ints(string name) => Attribute(name) is { Kind: OnnxAttributeKind.Ints } a ? a.Ints : null;
    public string? String(string name) => Attribute(name) is { Kind: OnnxAttributeKind.String } a ? a.String : null;

    /// <summary>The input at <paramref name="i"/>, or null if absent (past the end or an empty name).</summary>
    public string? Input(int i) => i < Inputs.Count && Inputs[i].Length > 0 ? Inputs[i] : null;

    /// <summary>How the node is named in messages: its name if it has one, else its first output.</summary>
    public string Display => Name.Length > 0 ? Name : Outputs.Count > 0 ? "producing '" + Outputs[0] + "'" : "(unnamed)";
}

/// <summary>An ONNX model as the importer sees it: the default-domain opset, the graph's inputs, outputs, initializers and nodes.</summary>
public sealed record OnnxModel(string Path, long IrVersion, long Opset, string Producer, IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs, IReadOnlyDictionary<string, OnnxTensor> Initializers, IReadOnlyList<OnnxNode> Nodes)
{
    /// <summary>Graph inputs that are not initializers (older exporters list initializers among the inputs too).</summary>
    public IEnumerable<OnnxValueInfo> Features => Inputs.Where(i => !Initializers.ContainsKey(i.Name));
}

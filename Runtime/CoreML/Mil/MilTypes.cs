using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.CoreML.Mil;

/// <summary>
/// A tensor type. <see cref="Shape"/> holds one entry per dimension; <c>-1</c> marks an unknown
/// (flexible) dimension. A null shape means unknown rank (MIL rank −1).
/// </summary>
public sealed class MilTensorType : IEquatable<MilTensorType>
{
    public MilTensorType(MilDType dtype, long[]? shape) { DType = dtype; Shape = shape; }
    public MilDType DType { get; }
    public long[]? Shape { get; }
    public int Rank => Shape?.Length ?? -1;

    public bool Equals(MilTensorType? other) =>
        other is not null && other.DType == DType &&
        (Shape is null ? other.Shape is null : other.Shape is not null && Shape.SequenceEqual(other.Shape));
    public override bool Equals(object? obj) => Equals(obj as MilTensorType);
    public override int GetHashCode() => HashCode.Combine(DType, Shape?.Length ?? -1);
    public override string ToString() =>
        Shape is null ? $"tensor<{DType.TextName()}, *>" : $"tensor<{DType.TextName()}, [{string.Join(", ", Shape.Select(d => d < 0 ? "?" : d.ToString()))}]>";
}

/// <summary>A value type: a plain tensor, or (iOS18) a state wrapping a tensor.</summary>
public sealed class MilValueType : IEquatable<MilValueType>
{
    private MilValueType(MilTensorType tensor, bool isState) { Tensor = tensor; IsState = isState; }
    public static MilValueType Of(MilTensorType t) => new(t, false);
    public static MilValueType StateOf(MilTensorType t) => new(t, true);
    public MilTensorType Tensor { get; }
    public bool IsState { get; }
    public bool Equals(MilValueType? o) => o is not null && o.IsState == IsState && o.Tensor.Equals(Tensor);
    public override bool Equals(object? obj) => Equals(obj as MilValueType);
    public override int GetHashCode() => HashCode.Combine(Tensor, IsState);
    public override string ToString() => IsState ? $"state<{Tensor}>" : Tensor.ToString();
}

/// <summary>A named, typed value: a function input or an op output.</summary>
public sealed record MilNamedValue(string Name, MilValueType Type);

/// <summary>
/// One binding of an op parameter: either the name of an earlier value or an inline constant.
/// Parameters that take a tuple (e.g. <c>concat.values</c>) have several bindings.
/// </summary>
public sealed record MilBinding(string? Name, MilTensor? Value)
{
    public static MilBinding To(string name) => new(name, null);
    public static MilBinding Inline(MilTensor value) => new(null, value);
}

/// <summary>
/// One MIL operation. A <c>const</c> op has no inputs, one output, and its payload in
/// <see cref="Attributes"/>["val"]. Every op carries <see cref="Name"/> (written as the
/// <c>name</c> attribute). Parameter order is preserved (it is the order coremltools writes).
/// </summary>
public sealed class MilOperation
{
    public MilOperation(string type, string name) { Type = type; Name = name; }
    public string Type { get; }
    public string Name { get; }
    public List<KeyValuePair<string, List<MilBinding>>> Inputs { get; } = new();
    public List<MilNamedValue> Outputs { get; } = new();
    /// <summary>Attributes other than <c>name</c>; for const ops this holds <c>val</c>.</summary>
    public List<KeyValuePair<string, MilTensor>> Attributes { get; } = new();

    public IReadOnlyList<MilBinding>? Input(string parameter) =>
        Inputs.FirstOrDefault(kv => kv.Key == parameter).Value;

    public MilTensor? Attribute(string key) => Attributes.FirstOrDefault(kv => kv.Key == key).Value;
}

/// <summary>A MIL function: typed inputs, an opset, one block of ops and the names it returns.</summary>
public sealed class MilFunction
{
    public MilFunction(string name, string opset) { Name = name; Opset = opset; }
    public string Name { get; }
    public string Opset { get; }
    public List<MilNamedValue> Inputs { get; } = new();
    public List<MilOperation> Operations { get; } = new();
    public List<string> Outputs { get; } = new();

    /// <summary>The type of every value a function returns, looked up from the producing op or input.</summary>
    public MilValueType TypeOf(string valueName)
    {
        foreach (var i in Inputs) if (i.Name == valueName) return i.Type;
        foreach (var op in Operations)
            foreach (var o in op.Outputs) if (o.Name == valueName) return o.Type;
        throw new KeyNotFoundException($"Function '{Name}' defines no value '{valueName}'.");
    }
}

/// <summary>A MIL program: functions in declaration order (order is preserved when written).</summary>
public sealed class MilProgram
{
    public List<MilFunction> Functions { get; } = new();
    /// <summary>Program attributes (coremltools puts <c>buildInfo</c> here); string values only.</summary>
    public List<KeyValuePair<string, string>> BuildInfo { get; } = new();
    public MilFunction Function(string name) =>
        Functions.FirstOrDefault(f => f.Name == name) ?? throw new KeyNotFoundException($"The program has no function '{name}'.");
}

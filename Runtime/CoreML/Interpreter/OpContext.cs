using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>An op implementation: reads its parameters through the context, returns one array per output.</summary>
internal delegate NdArray[] OpKernel(OpContext ctx);

/// <summary>The mutable holder of one state's current value during a run.</summary>
internal sealed class StateCell
{
    public StateCell(string name, MilTensorType type, NdArray value) { Name = name; Type = type; Value = value; }
    public string Name { get; }
    public MilTensorType Type { get; }
    public NdArray Value { get; set; }
}

/// <summary>
/// What an op implementation sees: typed access to its parameters (with defaults for optional
/// ones), its declared outputs and the states of the run. Every error names the op.
/// </summary>
internal sealed class OpContext
{
    private readonly Func<string, NdArray> _value;
    private readonly Func<string, StateCell?> _state;

    public OpContext(MilOperation op, Func<string, NdArray> value, Func<string, StateCell?> state)
    {
        Op = op; _value = value; _state = state;
    }

    public MilOperation Op { get; }

    public MilInterpreterException Error(string message) =>
        new($"{Op.Type} '{Op.Name}': {message}", Op.Type, Op.Name);

    public bool Has(string parameter) => Op.Input(parameter) is { Count: > 0 };

    private NdArray Resolve(MilBinding b, string parameter)
    {
        if (b.Value is not null) return NdArray.FromTensor(b.Value);
        if (b.Name is null) throw Error($"parameter '{parameter}' has an empty binding.");
        return _value(b.Name);
    }

    /// <summary>A required single-tensor parameter.</summary>
    public NdArray Tensor(string parameter) =>
        Optional(parameter) ?? throw Error($"missing required parameter '{parameter}'.");

    /// <summary>An optional single-tensor parameter (null when absent).</summary>
    public NdArray? Optional(string parameter)
    {
        var bindings = Op.Input(parameter);
        if (bindings is null || bindings.Count == 0) return null;
        if (bindings.Count != 1)
            throw Error($"parameter '{parameter}' takes one value but has {bindings.Count} bindings.");
        return Resolve(bindings[0], parameter);
    }

    /// <summary>A tuple parameter such as <c>concat.values</c>.</summary>
    public IReadOnlyList<NdArray> Tuple(string parameter)
    {
        var bindings = Op.Input(parameter);
        if (bindings is null || bindings.Count == 0) throw Error($"missing required parameter '{parameter}'.");
        return bindings.Select(b => Resolve(b, parameter)).ToList();
    }

    /// <summary>The state bound to <paramref name="parameter"/> (by name).</summary>
    public StateCell State(string parameter)
    {
        var bindings = Op.Input(parameter);
        if (bindings is null || bindings.Count != 1 || bindings[0].Name is null)
            throw Error($"parameter '{parameter}' must be bound by name to a state input.");
        return _state(bindings[0].Name!) ??
            throw Error($"'{bindings[0].Name}' (parameter '{parameter}') is not a state of this function.");
    }

    // ---- scalar and vector parameters ----

    public double Double(string parameter, double? defaultValue = null)
    {
        var t = Optional(parameter);
        if (t is null) return defaultValue ?? throw Error($"missing required parameter '{parameter}'.");
        if (t.DType == MilDType.String || t.Count != 1)
            throw Error($"parameter '{parameter}' must be a numeric scalar, got {t.TypeText}.");
        return t.Data[0];
    }

    public int Int(string parameter, int? defaultValue = null)
    {
        var t = Optional(parameter);
        if (t is null) return defaultValue ?? throw Error($"missing required parameter '{parameter}'.");
        if (t.DType == MilDType.String || t.Count != 1)
            throw Error($"parameter '{parameter}' must be an integer scalar, got {t.TypeText}.");
        return ToInt(t.Data[0], parameter);
    }

    public bool Bool(string parameter, bool defaultValue)
    {
        var t = Optional(parameter);
        if (t is null) return defaultValue;
        if (t.DType == MilDType.String || t.Count != 1)
            throw Error($"parameter '{parameter}' must be a bool scalar, got {t.TypeText}.");
        return t.Data[0] != 0;
    }

    public string String(string parameter, string? defaultValue = null)
    {
        var t = Optional(parameter);
        if (t is null) return defaultValue ?? throw Error($"missing required parameter '{parameter}'.");
        if (t.Strings is null || t.Count != 1)
            throw Error($"parameter '{parameter}' must be a string scalar, got {t.TypeText}.");
        return t.Strings[0];
    }

    /// <summary>An integer vector parameter (a scalar counts as a one-element vector).</summary>
    public int[]? Ints(string parameter, int[]? defaultValue = null)
    {
        var t = Optional(parameter);
        if (t is null) return defaultValue;
        return IntsOf(t, parameter);
    }

    public int[] RequiredInts(string parameter) =>
        Ints(parameter) ?? throw Error($"missing required parameter '{parameter}'.");

    public int[] IntsOf(NdArray t, string parameter)
    {
        if (t.DType == MilDType.String || t.Rank > 1)
            throw Error($"parameter '{parameter}' must be an integer vector, got {t.TypeText}.");
        return t.Data.Select(v => ToInt(v, parameter)).ToArray();
    }

    public bool[]? Bools(string parameter)
    {
        var t = Optional(parameter);
        if (t is null) return null;
        if (t.DType == MilDType.String || t.Rank > 1)
            throw Error($"parameter '{parameter}' must be a bool vector, got {t.TypeText}.");
        return t.Data.Select(v => v != 0).ToArray();
    }

    private int ToInt(double v, string parameter)
    {
        if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
            throw Error($"parameter '{parameter}' must hold integers, got {v.ToString(CultureInfo.InvariantCulture)}.");
        return (int)v;
    }

    // ---- outputs ----

    public int OutputCount => Op.Outputs.Count;

    public MilTensorType OutputType(int index = 0)
    {
        if (index >= Op.Outputs.Count) throw Error($"declares {Op.Outputs.Count} output(s); output {index} is needed.");
        return Op.Outputs[index].Type.Tensor;
    }

    public MilDType OutputDType(int index = 0) => OutputType(index).DType;

    // ---- checks ----

    public int Axis(int axis, int rank, string parameter = "axis")
    {
        int a = Shapes.Axis(axis, rank);
        if (a < 0) throw Error($"{parameter} {axis} is out of range for rank {rank}.");
        return a;
    }

    public void SameDType(string what, params NdArray[] values)
    {
        for (int i = 1; i < values.Length; i++)
            if (values[i].DType != values[0].DType)
                throw Error($"{what} must share one dtype, got {string.Join(" and ", values.Select(v => v.DType.TextName()))} (insert a cast).");
    }

    public void Numeric(string parameter, NdArray t)
    {
        if (t.DType is MilDType.String or MilDType.Bool)
            throw Error($"parameter '{parameter}' must be numeric, got {t.TypeText}.");
    }

    public void FloatOnly(string parameter, NdArray t)
    {
        if (!t.IsFloat) throw Error($"parameter '{parameter}' must be fp16/fp32, got {t.TypeText}.");
    }

    public void BoolOnly(string parameter, NdArray t)
    {
        if (t.DType != MilDType.Bool) throw Error($"parameter '{parameter}' must be bool, got {t.TypeText}.");
    }

    /// <summary>A single result in the op's declared output dtype.</summary>
    public NdArray[] Result(int[] shape, double[] data) => new[] { NdArray.Store(OutputDType(), shape, data) };

    public NdArray[] Result(NdArray value) => new[] { value.As(OutputDType()) };
}

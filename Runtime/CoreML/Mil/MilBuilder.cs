using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.CoreML.Mil;

/// <summary>A value inside a function being built: its name and static type.</summary>
public sealed record MilVar(string Name, MilTensorType Type)
{
    public long[] Shape => Type.Shape ?? throw new InvalidOperationException($"'{Name}' has unknown rank.");
    public int Rank => Type.Rank;
}

/// <summary>
/// Builds one MIL function the way coremltools does: every op parameter — including defaulted
/// scalars such as <c>transpose_x</c> or <c>keep_dims</c> — becomes its own named <c>const</c>
/// op bound by name (coreml-format.md §5), output types are inferred here, and names are valid,
/// unique MIL identifiers. Generated code calls this API; it never touches protobuf.
/// Every value it declares has rank ≤ <see cref="MaxRank"/>: Core ML rejects the whole package otherwise.
/// </summary>
public sealed class MilFunctionBuilder
{
    /// <summary>Core ML's limit on tensor rank ("Core ML only supports tensors with rank &lt;= 5").</summary>
    public const int MaxRank = 5;

    private readonly MilFunction _function;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consts = new(StringComparer.Ordinal);
    private int _counter;

    public MilFunctionBuilder(string name, string opset = "CoreML8")
    {
        _function = new MilFunction(MilNames.Check(name), opset);
    }

    public string Name => _function.Name;

    /// <summary>Declares a function input.</summary>
    public MilVar Input(string name, MilDType dtype, params long[] shape)
    {
        CheckRank("input", name, shape.Length);
        var v = new MilVar(Claim(name), new MilTensorType(dtype, shape));
        _function.Inputs.Add(new MilNamedValue(v.Name, MilValueType.Of(v.Type)));
        return v;
    }

    /// <summary>Adds a <c>const</c> op holding <paramref name="value"/>.</summary>
    public MilVar Const(MilTensor value, string? name = null)
    {
        CheckRank("const", name, value.Rank);
        var op = new MilOperation("const", Claim(name ?? Fresh("const")));
        _consts.Add(op.Name);
        op.Attributes.Add(new("val", value));
        op.Outputs.Add(new MilNamedValue(op.Name, MilValueType.Of(value.Type)));
        _function.Operations.Add(op);
        return new MilVar(op.Name, value.Type);
    }

    /// <summary>
    /// Adds an op of any type. <paramref name="parameters"/> are bound in order; a
    /// <see cref="MilTensor"/> argument becomes a fresh const op named <c>{opName}_{param}</c>.
    /// </summary>
    public MilVar Op(string type, MilTensorType outputType, string? name, params (string Parameter, object Argument)[] parameters)
    {
        CheckRank(type, name, outputType.Rank);
        string opName = Claim(name ?? Fresh(type));
        var op = new MilOperation(type, opName);
        foreach (var (p, arg) in parameters)
        {
            var bindings = arg switch
            {
                MilVar v => new List<MilBinding> { MilBinding.To(v.Name) },
                MilTensor t => new List<MilBinding> { MilBinding.To(Const(t, $"{opName}_{p}").Name) },
                IEnumerable<MilVar> vs => vs.Select(v => MilBinding.To(v.Name)).ToList(),
                _ => throw new ArgumentException($"Unsupported argument for {type}.{p}: {arg?.GetType().Name ?? "null"}"),
            };
            op.Inputs.Add(new(p, bindings));
        }
        op.Outputs.Add(new MilNamedValue(opName, MilValueType.Of(outputType)));
        _function.Operations.Add(op);
        return new MilVar(opName, outputType);
    }

    // ---- typed helpers: output types inferred from the inputs (NumPy broadcasting) ----

    public MilVar Add(MilVar x, MilVar y, string? name = null) => Binary("add", x, y, name);
    public MilVar Sub(MilVar x, MilVar y, string? name = null) => Binary("sub", x, y, name);
    public MilVar Mul(MilVar x, MilVar y, string? name = null) => Binary("mul", x, y, name);
    public MilVar RealDiv(MilVar x, MilVar y, string? name = null) => Binary("real_div", x, y, name);
    public MilVar Maximum(MilVar x, MilVar y, string? name = null) => Binary("maximum", x, y, name);
    public MilVar Minimum(MilVar x, MilVar y, string? name = null) => Binary("minimum", x, y, name);
    public MilVar Pow(MilVar x, MilVar y, string? name = null) => Binary("pow", x, y, name);

    public MilVar Equal(MilVar x, MilVar y, string? name = null) => Compare("equal", x, y, name);
    public MilVar Greater(MilVar x, MilVar y, string? name = null) => Compare("greater", x, y, name);
    public MilVar Less(MilVar x, MilVar y, string? name = null) => Compare("less", x, y, name);

    public MilVar Unary(string type, MilVar x, string? name = null) => Op(type, x.Type, name, ("x", x));
    public MilVar Relu(MilVar x, string? name = null) => Unary("relu", x, name);
    public MilVar Tanh(MilVar x, string? name = null) => Unary("tanh", x, name);
    public MilVar Sigmoid(MilVar x, string? name = null) => Unary("sigmoid", x, name);
    public MilVar Exp(MilVar x, string? name = null) => Unary("exp", x, name);
    public MilVar Sqrt(MilVar x, string? name = null) => Unary("sqrt", x, name);
    public MilVar Identity(MilVar x, string? name = null) => Unary("identity", x, name);

    public MilVar Log(MilVar x, float epsilon = 1e-45f, string? name = null) =>
        Op("log", x.Type, name, ("x", x), ("epsilon", MilTensor.Scalar(epsilon)));

    public MilVar Softmax(MilVar x, int axis = -1, string? name = null) =>
        Op("softmax", x.Type, name, ("x", x), ("axis", MilTensor.Scalar(axis)));

    /// <summary><c>select(cond, a, b)</c>: a where cond, else b (broadcast).</summary>
    public MilVar Select(MilVar cond, MilVar a, MilVar b, string? name = null) =>
        Op("select", new MilTensorType(a.Type.DType, Broadcast(Broadcast(cond.Shape, a.Shape), b.Shape)), name,
            ("cond", cond), ("a", a), ("b", b));

    /// <summary>NumPy-style matmul of two runtime tensors (rank ≥ 2 here).</summary>
    public MilVar MatMul(MilVar x, MilVar y, bool transposeX = false, bool transposeY = false, string? name = null)
    {
        long[] xs = x.Shape, ys = y.Shape;
        if (xs.Length < 2 || ys.Length < 2) throw new ArgumentException("MatMul here needs rank ≥ 2 operands.");
        long m = transposeX ? xs[^1] : xs[^2], kx = transposeX ? xs[^2] : xs[^1];
        long ky = transposeY ? ys[^1] : ys[^2], n = transposeY ? ys[^2] : ys[^1];
        if (kx >= 0 && ky >= 0 && kx != ky)
            throw new ArgumentException($"matmul inner dimensions differ: {x.Type} · {y.Type}.");
        var batch = Broadcast(xs.Take(xs.Length - 2).ToArray(), ys.Take(ys.Length - 2).ToArray());
        var shape = batch.Concat(new[] { m, n }).ToArray();
        return Op("matmul", new MilTensorType(x.Type.DType, shape), name,
            ("x", x), ("y", y), ("transpose_x", MilTensor.Scalar(transposeX)), ("transpose_y", MilTensor.Scalar(transposeY)));
    }

    public MilVar ReduceMean(MilVar x, int[] axes, bool keepDims, string? name = null) => Reduce("reduce_mean", x, axes, keepDims, name);
    public MilVar ReduceSum(MilVar x, int[] axes, bool keepDims, string? name = null) => Reduce("reduce_sum", x, axes, keepDims, name);
    public MilVar ReduceMax(MilVar x, int[] axes, bool keepDims, string? name = null) => Reduce("reduce_max", x, axes, keepDims, name);

    public MilVar Reshape(MilVar x, long[] shape, string? name = null) =>
        Op("reshape", new MilTensorType(x.Type.DType, shape), name,
            ("x", x), ("shape", MilTensor.Vector(shape.Select(d => checked((int)d)).ToArray())));

    public MilVar Transpose(MilVar x, int[] perm, string? name = null) =>
        Op("transpose", new MilTensorType(x.Type.DType, perm.Select(p => x.Shape[p]).ToArray()), name,
            ("x", x), ("perm", MilTensor.Vector(perm)));

    /// <summary><c>fill(shape, value)</c>: a constant-valued fp32 tensor of a static shape.</summary>
    public MilVar Fill(long[] shape, float value, string? name = null) =>
        Op("fill", new MilTensorType(MilDType.Float32, shape), name,
            ("shape", MilTensor.Vector(shape.Select(d => checked((int)d)).ToArray())), ("value", MilTensor.Scalar(value)));

    public MilVar Cast(MilVar x, MilDType dtype, string? name = null) =>
        Op("cast", new MilTensorType(dtype, x.Type.Shape), name, ("x", x), ("dtype", MilTensor.Scalar(dtype.TextName())));

    /// <summary>Adds a rank-0 fp32 constant (an op of its own, as coremltools writes it).</summary>
    public MilVar Scalar(float value, string? name = null) => Const(MilTensor.Scalar(value), name);

    /// <summary>True when <paramref name="value"/> is the output of a <c>const</c> op of this function (a compile-time constant).</summary>
    public bool IsConst(MilVar value) => _consts.Contains(value.Name);

    /// <summary>Marks <paramref name="value"/> as a function output, in call order.</summary>
    public void Output(MilVar value) => _function.Outputs.Add(value.Name);

    public MilFunction Build()
    {
        if (_function.Outputs.Count == 0) throw new InvalidOperationException($"Function '{Name}' has no outputs.");
        return _function;
    }

    // ---- internals ----

    private MilVar Binary(string type, MilVar x, MilVar y, string? name)
    {
        if (x.Type.DType != y.Type.DType)
            throw new ArgumentException($"{type}: operands must share a dtype ({x.Type} vs {y.Type}); insert a cast.");
        return Op(type, new MilTensorType(x.Type.DType, Broadcast(x.Shape, y.Shape)), name, ("x", x), ("y", y));
    }

    private MilVar Compare(string type, MilVar x, MilVar y, string? name) =>
        Op(type, new MilTensorType(MilDType.Bool, Broadcast(x.Shape, y.Shape)), name, ("x", x), ("y", y));

    private MilVar Reduce(string type, MilVar x, int[] axes, bool keepDims, string? name)
    {
        var s = x.Shape;
        var norm = axes.Select(a => a < 0 ? a + s.Length : a).ToHashSet();
        var outShape = keepDims
            ? s.Select((d, i) => norm.Contains(i) ? 1 : d).ToArray()
            : s.Where((_, i) => !norm.Contains(i)).ToArray();
        return Op(type, new MilTensorType(x.Type.DType, outShape), name,
            ("x", x), ("axes", MilTensor.Vector(axes)), ("keep_dims", MilTensor.Scalar(keepDims)));
    }

    /// <summary>NumPy broadcasting of two static shapes (−1 = unknown dimension).</summary>
    public static long[] Broadcast(long[] a, long[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new long[r];
        for (int i = 0; i < r; i++)
        {
            long da = i < r - a.Length ? 1 : a[i - (r - a.Length)];
            long db = i < r - b.Length ? 1 : b[i - (r - b.Length)];
            if (da == db || db == 1) o[i] = da;
            else if (da == 1) o[i] = db;
            else if (da < 0 || db < 0) o[i] = -1;
            else throw new ArgumentException($"Shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast.");
        }
        return o;
    }

    private void CheckRank(string kind, string? name, int rank)
    {
        if (rank > MaxRank)
            throw new ArgumentException(
                $"Function '{_function.Name}': {kind}{(name is null ? "" : $" '{name}'")} would have rank {rank}; Core ML only supports tensors with rank <= {MaxRank}.");
    }

    private string Fresh(string stem) => $"{stem}_{_counter++}";

    private string Claim(string name)
    {
        name = MilNames.Check(name);
        if (!_names.Add(name)) throw new ArgumentException($"Function '{_function.Name}' already defines a value named '{name}'.");
        return name;
    }
}

/// <summary>Rules for MIL identifiers (coreml-format.md §3, pitfall 13).</summary>
public static class MilNames
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "any", "bool", "program", "func", "tensor", "list", "dict", "tuple", "true", "false", "string",
        "bf16", "fp16", "fp32", "fp64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "state",
    };

    public static bool IsValid(string name) =>
        name.Length > 0 && (char.IsLetter(name[0]) && name[0] < 128 || name[0] == '_') &&
        name.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_' || c == '@')) && !Reserved.Contains(name);

    public static string Check(string name) =>
        IsValid(name) ? name : throw new ArgumentException($"'{name}' is not a valid MIL identifier ([A-Za-z_][A-Za-z0-9_@]*, not a reserved word).");

    /// <summary>Turns a PyTorch-style path such as <c>backend.linear_1.weight</c> into a MIL name.</summary>
    public static string FromPath(string path)
    {
        var chars = path.Select(c => c < 128 && char.IsLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
        var s = new string(chars);
        if (s.Length == 0 || char.IsDigit(s[0])) s = "_" + s;
        return Reserved.Contains(s) ? s + "_workaround" : s;
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>An error while running a MIL function; names the op when one is involved.</summary>
public class MilInterpreterException : Exception
{
    public MilInterpreterException(string message, string? opType = null, string? opName = null, Exception? inner = null)
        : base(message, inner) { OpType = opType; OpName = opName; }
    /// <summary>The type of the op that failed, if any.</summary>
    public string? OpType { get; }
    /// <summary>The name of the op that failed, if any.</summary>
    public string? OpName { get; }
}

/// <summary>The function uses an op type the interpreter does not implement.</summary>
public sealed class MilUnsupportedOpException : MilInterpreterException
{
    public MilUnsupportedOpException(string opType, string opName)
        : base($"Unsupported MIL op type '{opType}' (op '{opName}').", opType, opName) { }
}

/// <summary>
/// The reference executor for MIL functions: runs the ops of one <see cref="MilFunction"/> in order
/// with plain implementations written from the op definitions (coreml-format.md §6, NumPy
/// semantics). Every op computes in <see cref="double"/> and stores its results in the op's declared
/// output dtype (fp16 rounded to half, fp32 to single). It is deliberately simple, not fast.
/// </summary>
public sealed class MilInterpreter
{
    private static readonly Dictionary<string, OpKernel> Kernels = BuildKernels();

    public MilInterpreter(MilFunction function)
    {
        Function = function ?? throw new ArgumentNullException(nameof(function));
    }

    /// <summary>The function this interpreter runs.</summary>
    public MilFunction Function { get; }

    /// <summary>Every op type the interpreter implements (plus <c>const</c>).</summary>
    public static IReadOnlyCollection<string> SupportedOps { get; } =
        Kernels.Keys.Append("const").OrderBy(k => k, StringComparer.Ordinal).ToArray();

    public static bool Supports(string opType) => opType == "const" || Kernels.ContainsKey(opType);

    /// <summary>
    /// Runs the function. Every non-state function input must be present with the declared dtype
    /// and shape (−1 dims accept any size); extra entries are ignored. States, if the function has
    /// any, start from the value given under their name in <paramref name="inputs"/> or else zeros,
    /// and their final values are discarded. Returns the outputs in the function's output order.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, MilTensor>> Run(IReadOnlyDictionary<string, MilTensor> inputs) =>
        Run(inputs, new Dictionary<string, MilTensor>(StringComparer.Ordinal));

    /// <summary>
    /// Runs the function with states: each state input starts from <paramref name="states"/>[name]
    /// (or from the same name in <paramref name="inputs"/>, or zeros) and the final value of every
    /// state is written back into <paramref name="states"/>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, MilTensor>> Run(
        IReadOnlyDictionary<string, MilTensor> inputs, IDictionary<string, MilTensor> states)
    {
        if (inputs is null) throw new ArgumentNullException(nameof(inputs));
        if (states is null) throw new ArgumentNullException(nameof(states));

        // Fail before computing anything if the function uses an op we cannot run.
        foreach (var op in Function.Operations)
            if (!Supports(op.Type)) throw new MilUnsupportedOpException(op.Type, op.Name);

        var values = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        var cells = new Dictionary<string, StateCell>(StringComparer.Ordinal);

        foreach (var input in Function.Inputs)
        {
            var type = input.Type.Tensor;
            if (input.Type.IsState)
            {
                MilTensor? given = states.TryGetValue(input.Name, out var s) ? s
                    : inputs.TryGetValue(input.Name, out var si) ? si : null;
                NdArray initial;
                if (given is null)
                {
                    if (type.Shape is null || type.Shape.Any(d => d < 0))
                        throw new ArgumentException(
                            $"Function '{Function.Name}': state '{input.Name}' has no initial value and its type {type} has no fixed shape to create zeros.");
                    var shape = type.Shape.Select(d => checked((int)d)).ToArray();
                    initial = NdArray.Store(type.DType, shape, new double[Shapes.Count(shape)]);
                }
                else
                {
                    CheckInput("state", input.Name, type, given);
                    initial = NdArray.FromTensor(given);
                }
                cells[input.Name] = new StateCell(input.Name, type, initial);
                continue;
            }

            if (!inputs.TryGetValue(input.Name, out var t) || t is null)
                throw new ArgumentException(
                    $"Function '{Function.Name}': missing input '{input.Name}' ({type}). Given: {(inputs.Count == 0 ? "none" : string.Join(", ", inputs.Keys))}.");
            CheckInput("input", input.Name, type, t);
            values[input.Name] = NdArray.FromTensor(t);
        }

        foreach (var op in Function.Operations) Execute(op, values, cells);

        var outputs = new List<KeyValuePair<string, MilTensor>>(Function.Outputs.Count);
        foreach (var name in Function.Outputs)
        {
            if (!values.TryGetValue(name, out var v))
                throw new MilInterpreterException(
                    cells.ContainsKey(name)
                        ? $"Function '{Function.Name}' returns the state '{name}' directly; states are read with read_state."
                        : $"Function '{Function.Name}' returns '{name}', which no op or input defines.");
            outputs.Add(new KeyValuePair<string, MilTensor>(name, v.ToTensor()));
        }
        foreach (var cell in cells.Values) states[cell.Name] = cell.Value.ToTensor();
        return outputs;
    }

    private void CheckInput(string kind, string name, MilTensorType expected, MilTensor given)
    {
        bool shapeOk = expected.Shape is null ||
            (expected.Shape.Length == given.Shape.Length &&
             expected.Shape.Zip(given.Shape, (e, g) => e < 0 || e == g).All(ok => ok));
        if (given.DType != expected.DType || !shapeOk)
            throw new ArgumentException(
                $"Function '{Function.Name}': {kind} '{name}' expects {expected.DType.TextName()} {Shapes.Text(expected.Shape ?? Array.Empty<long>())}" +
                $"{(expected.Shape is null ? " (any rank)" : "")} but was given {given.DType.TextName()} {Shapes.Text(given.Shape)}.");
    }

    private void Execute(MilOperation op, Dictionary<string, NdArray> values, Dictionary<string, StateCell> cells)
    {
        NdArray[] results;
        if (op.Type == "const")
        {
            var val = op.Attribute("val") ??
                throw new MilInterpreterException($"const '{op.Name}' has no 'val' attribute.", op.Type, op.Name);
            if (op.Outputs.Count != 1)
                throw new MilInterpreterException($"const '{op.Name}' must declare exactly one output.", op.Type, op.Name);
            results = new[] { NdArray.FromTensor(val) };
        }
        else
        {
            if (!Kernels.TryGetValue(op.Type, out var kernel)) throw new MilUnsupportedOpException(op.Type, op.Name);
            var ctx = new OpContext(op,
                name => values.TryGetValue(name, out var v) ? v
                    : cells.ContainsKey(name)
                        ? throw new MilInterpreterException($"{op.Type} '{op.Name}': '{name}' is a state; read it with read_state first.", op.Type, op.Name)
                        : throw new MilInterpreterException($"{op.Type} '{op.Name}' uses '{name}', which is not defined before it.", op.Type, op.Name),
                name => cells.TryGetValue(name, out var c) ? c : null);
            try
            {
                results = kernel(ctx);
            }
            catch (MilInterpreterException) { throw; }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new MilInterpreterException($"{op.Type} '{op.Name}': {ex.Message}", op.Type, op.Name, ex);
            }
        }

        if (results.Length != op.Outputs.Count)
            throw new MilInterpreterException(
                $"{op.Type} '{op.Name}' declares {op.Outputs.Count} output(s) but produces {results.Length}.", op.Type, op.Name);
        for (int i = 0; i < results.Length; i++)
        {
            var declared = op.Outputs[i];
            values[declared.Name] = Conform(op, declared, results[i]);
        }
    }

    /// <summary>Checks a result against the declared output type and stores it in the declared dtype.</summary>
    private static NdArray Conform(MilOperation op, MilNamedValue declared, NdArray result)
    {
        var type = declared.Type.Tensor;
        if (type.Shape is not null)
        {
            bool ok = type.Shape.Length == result.Rank &&
                      type.Shape.Zip(result.Shape, (e, g) => e < 0 || e == g).All(b => b);
            if (!ok)
                throw new MilInterpreterException(
                    $"{op.Type} '{op.Name}': output '{declared.Name}' is declared {type} but the op computes shape {Shapes.Text(result.Shape)}.",
                    op.Type, op.Name);
        }
        if (type.DType == result.DType) return result;
        if (type.DType == MilDType.String || result.DType == MilDType.String)
            throw new MilInterpreterException(
                $"{op.Type} '{op.Name}': output '{declared.Name}' is declared {type} but the op computes {result.DType.TextName()}.",
                op.Type, op.Name);
        try
        {
            return result.As(type.DType);
        }
        catch (OverflowException ex)
        {
            throw new MilInterpreterException($"{op.Type} '{op.Name}': output '{declared.Name}': {ex.Message}", op.Type, op.Name, ex);
        }
    }

    private static Dictionary<string, OpKernel> BuildKernels()
    {
        var k = new Dictionary<string, OpKernel>(StringComparer.Ordinal);
        ElementwiseOps.Register(k);
        LinearAlgebraOps.Register(k);
        ReductionOps.Register(k);
        ShapeOps.Register(k);
        IndexingOps.Register(k);
        ConvPoolOps.Register(k);
        NormalizationOps.Register(k);
        StateOps.Register(k);
        return k;
    }
}

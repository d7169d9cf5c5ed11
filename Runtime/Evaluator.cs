using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Interpreter;
using TrainingGen.CoreML.Mil;

namespace TrainingGen;

/// <summary>
/// Opens a Core ML ML Program package and runs any of its functions by name through the
/// <see cref="MilInterpreter"/> (the reference executor on platforms without Core ML).
/// </summary>
public sealed class Evaluator : IDisposable
{
    private readonly MlModelSpec _spec;
    private readonly string[] _functions;
    private readonly Dictionary<string, MilInterpreter> _interpreters = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _metadata;
    private bool _disposed;

    private Evaluator(MlModelSpec spec)
    {
        _spec = spec ?? throw new ArgumentNullException(nameof(spec));
        var described = spec.Functions.Select(f => f.Name).ToList();
        var programmed = spec.Program.Functions.Select(f => f.Name).ToList();
        _functions = (described.Count > 0 ? described.Concat(programmed.Where(p => !described.Contains(p))) : programmed)
            .Distinct(StringComparer.Ordinal).ToArray();
        if (_functions.Length == 0) throw new ArgumentException("The model has no functions.", nameof(spec));
        DefaultFunction = spec.DefaultFunctionName is { Length: > 0 } d ? d
            : _functions.Contains("main") ? "main" : _functions[0];
        _metadata = new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(spec.UserDefined, StringComparer.Ordinal));
    }

    /// <summary>Opens an <c>.mlpackage</c> directory.</summary>
    public static Evaluator Open(string packagePath)
    {
        if (packagePath is null) throw new ArgumentNullException(nameof(packagePath));
        return new Evaluator(MlPackage.Open(packagePath));
    }

    /// <summary>Wraps an in-memory model (e.g. one just built, before it is written).</summary>
    public static Evaluator FromSpec(MlModelSpec spec) => new(spec);

    /// <summary>The model this evaluator runs.</summary>
    public MlModelSpec Spec { get { ThrowIfDisposed(); return _spec; } }

    /// <summary>Function names: the described functions in description order.</summary>
    public IReadOnlyList<string> Functions { get { ThrowIfDisposed(); return _functions; } }

    /// <summary>The default function (<c>defaultFunctionName</c>, else <c>main</c>, else the first).</summary>
    public string DefaultFunction { get; }

    /// <summary><c>Metadata.userDefined</c> of the model (e.g. the training manifest).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get { ThrowIfDisposed(); return _metadata; } }

    /// <summary>
    /// The description of a function: inputs, outputs (in order) and states. Taken from the model
    /// description, or derived from the program when the description does not list the function.
    /// </summary>
    public FunctionSpec Describe(string function)
    {
        ThrowIfDisposed();
        CheckName(function);
        var described = _spec.Functions.FirstOrDefault(f => f.Name == function);
        if (described is not null) return described;
        var fn = ProgramFunction(function);
        var spec = new FunctionSpec(function);
        foreach (var input in fn.Inputs)
        {
            var feature = Feature(input.Name, input.Type.Tensor, input.Type.IsState);
            (input.Type.IsState ? spec.States : spec.Inputs).Add(feature);
        }
        foreach (var output in fn.Outputs) spec.Outputs.Add(Feature(output, fn.TypeOf(output).Tensor, false));
        return spec;
    }

    private static FeatureSpec Feature(string name, MilTensorType t, bool isState) =>
        new(name, t.DType, t.Shape ?? Array.Empty<long>(), isState);

    /// <summary>
    /// Runs a function. Inputs are checked against the function's declared inputs (dtype and shape;
    /// flexible dims accept any size). States, if the function has any, start at zero and are
    /// discarded. Returns the outputs in the function's output order.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, MilTensor>> Run(string function, IReadOnlyDictionary<string, MilTensor> inputs) =>
        Run(function, inputs, new Dictionary<string, MilTensor>(StringComparer.Ordinal));

    /// <summary>
    /// Runs a stateful function: each state starts from <paramref name="states"/>[name] (a zero
    /// tensor of the state's type when missing) and its value after the call is written back into
    /// <paramref name="states"/>, so passing the same dictionary again continues from it.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, MilTensor>> Run(
        string function, IReadOnlyDictionary<string, MilTensor> inputs, IDictionary<string, MilTensor> states)
    {
        ThrowIfDisposed();
        if (inputs is null) throw new ArgumentNullException(nameof(inputs));
        if (states is null) throw new ArgumentNullException(nameof(states));
        CheckName(function);
        MilInterpreter? interpreter;
        lock (_interpreters)
        {
            if (!_interpreters.TryGetValue(function, out interpreter))
            {
                interpreter = new MilInterpreter(ProgramFunction(function));
                _interpreters[function] = interpreter;
            }
        }
        return interpreter.Run(inputs, states); // the interpreter keeps no per-run state: safe to share
    }

    /// <summary>Zero-valued states for <paramref name="function"/> (empty if it has none).</summary>
    public Dictionary<string, MilTensor> CreateStates(string function)
    {
        ThrowIfDisposed();
        CheckName(function);
        var states = new Dictionary<string, MilTensor>(StringComparer.Ordinal);
        foreach (var input in ProgramFunction(function).Inputs.Where(i => i.Type.IsState))
        {
            var t = input.Type.Tensor;
            if (t.Shape is null || t.Shape.Any(d => d < 0))
                throw new InvalidOperationException($"State '{input.Name}' of '{function}' has no fixed shape ({t}).");
            var shape = t.Shape.Select(d => checked((int)d)).ToArray();
            int n = shape.Aggregate(1, (a, d) => checked(a * d));
            states[input.Name] = t.DType switch
            {
                MilDType.Float16 or MilDType.Float32 or MilDType.Float64 => MilTensor.OfFloats(t.DType, shape, new float[n]),
                MilDType.Int64 => MilTensor.Int64(shape, new long[n]),
                MilDType.Bool => MilTensor.Bool(shape, new bool[n]),
                _ => MilTensor.OfInts(t.DType, shape, new int[n]),
            };
        }
        return states;
    }

    public void Dispose() => _disposed = true;

    private void CheckName(string function)
    {
        if (function is null) throw new ArgumentNullException(nameof(function));
        if (!_functions.Contains(function))
            throw new ArgumentException(
                $"The model has no function '{function}'. Available functions: {string.Join(", ", _functions)}.", nameof(function));
    }

    private MilFunction ProgramFunction(string function) =>
        _spec.Program.Functions.FirstOrDefault(f => f.Name == function) ??
        throw new InvalidOperationException(
            $"Function '{function}' is described but the program has no such function (program functions: {string.Join(", ", _spec.Program.Functions.Select(f => f.Name))}).");

    private void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(Evaluator));
    }
}

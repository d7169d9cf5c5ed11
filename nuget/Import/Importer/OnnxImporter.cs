using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TrainingGen.Import.Onnx;

namespace TrainingGen.Import;

/// <summary>
/// Turns an ONNX graph into a TrainingGen <c>[Model]</c> class: layer patterns first (Gemm → Linear,
/// MatMul + Add → Linear, Conv → Conv2d, BatchNormalization → BatchNorm2d, LayerNormalization →
/// LayerNorm, Gather on an initializer → Embedding, the Erf form of exact GELU → Gelu,
/// x·sigmoid(x) → Silu), then the remaining nodes one by one; shape arithmetic (Shape → Gather →
/// Unsqueeze → Concat → Reshape) is folded to static shapes with the batch kept symbolic. Every node
/// it cannot map is collected and reported together (node name, op type, opset) as an
/// <see cref="OnnxImportException"/>; the importer never returns source that would not build.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Imports <paramref name="model"/>; throws <see cref="OnnxImportException"/> listing every unsupported construct.</summary>
    public static ImportResult Import(OnnxModel model, ImportOptions options)
    {
        if (!CSharpNames.IsIdentifier(options.ClassName))
            throw new OnnxImportException($"'{options.ClassName}' is not a valid C# class name.");
        if (!string.IsNullOrEmpty(options.Namespace) && !options.Namespace.Split('.').All(CSharpNames.IsIdentifier))
            throw new OnnxImportException($"'{options.Namespace}' is not a valid C# namespace.");
        return new ImportSession(model, options).Run();
    }
}

/// <summary>A node the importer cannot map; the session adds the node's name, op type and opset.</summary>
internal sealed class UnsupportedNodeException : Exception
{
    public UnsupportedNodeException(string reason) : base(reason) { }
}

/// <summary>One import: the value of every ONNX name, the layers, weights and statements so far.</summary>
internal sealed partial class ImportSession
{
    private readonly OnnxModel _model;
    private readonly ImportOptions _options;
    private readonly Dictionary<string, ImportValue> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs;
    private readonly bool[] _done;
    private readonly List<string> _errors = new();
    private readonly List<string> _mapped = new();
    private readonly List<ImportedLayer> _layers = new();
    private readonly Dictionary<string, ImportedLayer> _layerByPath = new(StringComparer.Ordinal);
    private readonly List<ImportedTensor> _weights = new();
    private readonly List<(string Code, string Comment)> _statements = new();
    private readonly List<(string Name, int[] Shape, string OnnxName, OnnxDataType Type)> _inputs = new();
    private readonly HashSet<string> _locals = new(StringComparer.Ordinal);
    private readonly HashSet<string> _properties = new(StringComparer.Ordinal);

    /// <summary>Marks a value whose producer failed, so its consumers are not reported again.</summary>
    private sealed record FailedValue : ImportValue;

    public ImportSession(OnnxModel model, ImportOptions options)
    {
        _model = model;
        _options = options;
        _graphOutputs = new HashSet<string>(model.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        _done = new bool[model.Nodes.Count];
        for (int i = 0; i < model.Nodes.Count; i++)
            foreach (var input in model.Nodes[i].Inputs.Where(s => s.Length > 0))
                (_consumers.TryGetValue(input, out var list) ? list : _consumers[input] = new List<int>()).Add(i);
        _locals.UnionWith(new[] { "Forward", options.ClassName, "Dim", "Ops", "Tensor", "IntTensor" });
        _properties.UnionWith(new[] { "Forward", options.ClassName, "Dim", "Ops", "Tensor", "IntTensor" });
    }

    private long Opset => _model.Opset;

    public ImportResult Run()
    {
        DeclareInputs();
        foreach (var init in _model.Initializers.Values)
            if (!_values.ContainsKey(init.Name)) _values[init.Name] = new ConstantValue(init.Dims, init.Values, init.Name);

        // Constants first: patterns look ahead at operands (GELU's 1 and 0.5) that a later Constant node defines.
        for (int i = 0; i < _model.Nodes.Count; i++)
        {
            if (Node(i).OpType != "Constant" || Node(i).Inputs.Count > 0) continue;
            try { _values[Node(i).Outputs[0]] = ConstantOf(Node(i)); }
            catch (UnsupportedNodeException e) { _errors.Add($"node '{Node(i).Display}' (Constant, opset {Opset}): {e.Message}."); Fail(Node(i)); }
            _done[i] = true;
        }

        for (int i = 0; i < _model.Nodes.Count; i++)
        {
            if (_done[i]) continue;
            var node = _model.Nodes[i];
            if (node.Inputs.Any(n => n.Length > 0 && _values.TryGetValue(n, out var v) && v is FailedValue))
            {
                Fail(node);
                continue;
            }
            try
            {
                if (node.Domain is not ("" or "ai.onnx"))
                    throw new UnsupportedNodeException($"operator domain '{node.Domain}' is not the default ONNX domain");
                foreach (var input in node.Inputs.Where(n => n.Length > 0))
                    if (!_values.ContainsKey(input)) throw new UnsupportedNodeException($"input '{input}' is not produced by any earlier node, initializer or graph input (nodes must be in topological order)");
                CheckIntegerOperands(node);
                if (!TryPattern(i)) MapNode(i);
            }
            catch (UnsupportedNodeException e)
            {
                _errors.Add($"node '{node.Display}' ({node.OpType}, opset {Opset}): {e.Message}.");
                Fail(node);
            }
        }

        if (_model.Outputs.Count != 1)
            _errors.Add($"the graph has {_model.Outputs.Count} outputs; the importer maps a model with exactly one output.");
        else if (!_values.TryGetValue(_model.Outputs[0].Name, out var output))
            _errors.Add($"the graph output '{_model.Outputs[0].Name}' is not produced by any node.");
        else if (output is ConstantValue)
            _errors.Add($"the graph output '{_model.Outputs[0].Name}' is a constant; a model's output must depend on its input.");
        else if (output is RuntimeValue r && _inputs.Any(p => p.Name == r.Local))
            _errors.Add($"the graph output '{_model.Outputs[0].Name}' is the input itself; there is nothing to train.");

        if (_errors.Count > 0)
            throw new OnnxImportException($"'{_model.Path}' cannot be imported ({_errors.Count} problem{(_errors.Count == 1 ? "" : "s")}):"
                + string.Concat(_errors.Select(e => Environment.NewLine + "  " + e)));

        var result = (RuntimeValue)_values[_model.Outputs[0].Name];
        string source = CSharpModelWriter.Write(_model, _options, _layers, _inputs.Select(p => (p.Name, p.Shape, p.OnnxName, p.Type)).ToList(),
            _statements, result);
        return new ImportResult(_options.ClassName, source, _layers, _weights, _mapped);
    }

    private void Fail(OnnxNode node)
    {
        foreach (var o in node.Outputs.Where(o => o.Length > 0)) _values[o] = new FailedValue();
    }

    private void DeclareInputs()
    {
        foreach (var input in _model.Features)
        {
            string where = $"graph input '{input.Name}'";
            if (input.ElementType is not (OnnxDataType.Float or OnnxDataType.Int64 or OnnxDataType.Int32))
            {
                _errors.Add($"{where} has element type {input.ElementType}; the importer maps float32 features and int32/int64 indices.");
                _values[input.Name] = new FailedValue();
                continue;
            }
            if (input.Shape is null || input.Shape.Count == 0)
            {
                _errors.Add($"{where} has no shape; export with a fixed example input so every dimension but the batch is known.");
                _values[input.Name] = new FailedValue();
                continue;
            }
            var shape = new int[input.Shape.Count];
            bool ok = true;
            for (int d = 0; d < shape.Length; d++)
            {
                var dim = input.Shape[d];
                if (dim.Value is long v and > 0) shape[d] = checked((int)v);
                else if (d == 0) shape[d] = Shapes.Batch;   // the dynamic batch (dim_param "batch", or unknown)
                else
                {
                    _errors.Add($"{where} has a dynamic dimension {d} ('{dim}'); only the first (batch) dimension may be dynamic — export with dynamic_axes on the batch only.");
                    ok = false;
                }
            }
            if (!ok) { _values[input.Name] = new FailedValue(); continue; }
            string name = UniqueLocal(CSharpNames.ToLocal(input.Name, "input"));
            bool integer = input.ElementType != OnnxDataType.Float;
            _inputs.Add((name, shape, input.Name, input.ElementType));
            _values[input.Name] = new RuntimeValue(name, shape, integer);
            _mapped.Add($"input {input.Name} {Shapes.Format(shape)}" + (integer ? $" ({input.ElementType.ToString().ToLowerInvariant()} indices) → IntTensor {name}" : $" → Tensor {name}"));
        }
    }

    /// <summary>
    /// An integer graph input is an <c>IntTensor</c> parameter, which the generator accepts only as
    /// indices (TG0020 otherwise): here, the indices of an Embedding (Gather on a 2-D initializer).
    /// Reading its shape, passing it through Identity, or a Cast to another integer type are fine too;
    /// anything else is an importer error rather than source that does not build.
    /// </summary>
    private void CheckIntegerOperands(OnnxNode node)
    {
        for (int k = 0; k < node.Inputs.Count; k++)
        {
            if (node.Inputs[k].Length == 0 || Value(node.Inputs[k]) is not RuntimeValue { IsInteger: true } v) continue;
            bool allowed = node.OpType switch
            {
                "Gather" => k == 1 && Constant(node, 0) is { Rank: 2, Initializer: not null },
                "Shape" or "Identity" => true,
                "Cast" => (OnnxDataType)node.Int("to", 0) is OnnxDataType.Int64 or OnnxDataType.Int32,
                _ => false,
            };
            if (!allowed)
                throw new UnsupportedNodeException($"input '{node.Inputs[k]}' is integer data (the IntTensor parameter '{v.Local}'); integer inputs can only be "
                    + "the indices of an Embedding (Gather on a 2-D initializer along axis 0), TrainingGen does not compute with them");
        }
    }

    // ---- helpers shared by the pattern and op mappers ----

    private OnnxNode Node(int i) => _model.Nodes[i];

    private ImportValue Value(string name) => _values[name];

    /// <summary>The node's input <paramref name="i"/> as a runtime tensor, or an unsupported-node error naming what it is instead.</summary>
    private RuntimeValue Runtime(OnnxNode node, int i)
    {
        string? name = node.Input(i) ?? throw new UnsupportedNodeException($"input {i} is missing");
        return Value(name) as RuntimeValue ?? throw new UnsupportedNodeException($"input '{name}' is a constant here; the importer maps this op on computed tensors only");
    }

    private ConstantValue? Constant(OnnxNode node, int i) => node.Input(i) is { } name ? Value(name) as ConstantValue : null;

    private ConstantValue RequireConstant(OnnxNode node, int i, string what) =>
        Constant(node, i) ?? throw new UnsupportedNodeException($"{what} (input {i}) must be a constant known at import time");

    /// <summary>The single consumer of <paramref name="value"/> if it has exactly one and is not a graph output.</summary>
    private int? SoleConsumer(string value) =>
        !_graphOutputs.Contains(value) && _consumers.TryGetValue(value, out var list) && list.Count == 1 && !_done[list[0]] ? list[0] : null;

    private bool Unused(string value) => value.Length == 0 || !_graphOutputs.Contains(value) && !_consumers.ContainsKey(value);

    /// <summary>Adds <c>var local = code;</c> for the node's first output and records its value.</summary>
    private RuntimeValue Emit(string output, string hint, string code, int[] shape, string nodes)
    {
        string local = UniqueLocal(hint);
        _statements.Add(($"var {local} = {code};", Shapes.Format(shape)));
        var v = new RuntimeValue(local, shape);
        _values[output] = v;
        return v;
    }

    private void Alias(string output, ImportValue value) => _values[output] = value;

    private string UniqueLocal(string hint)
    {
        string name = hint;
        for (int k = 2; !_locals.Add(name) || CSharpNames.IsKeyword(name); k++) name = hint + (char.IsDigit(hint[^1]) ? "_" : "") + k.ToString(CultureInfo.InvariantCulture);
        return name;
    }

    /// <summary>An int64 buffer of the weights file (BatchNorm's counter), added once.</summary>
    private void AddCounter(string name)
    {
        foreach (var w in _weights) if (w.Name == name) return;   // a shared layer has its counter already
        _weights.Add(new ImportedTensor(name, Array.Empty<int>(), new[] { 0f }, IsInt64: true));
    }

    /// <summary>
    /// The layer property for module path <paramref name="path"/> (reused when the graph applies the same
    /// weights twice), declaring it and its weights on first use.
    /// </summary>
    private ImportedLayer Layer(string path, string type, string arguments, string nodes, params (string Suffix, int[] Shape, float[] Values)[] tensors) =>
        Layer(path, type, arguments, nodes, false, tensors);

    private ImportedLayer Layer(string path, string type, string arguments, string nodes, bool frozen, params (string Suffix, int[] Shape, float[] Values)[] tensors)
    {
        if (_layerByPath.TryGetValue(path, out var existing))
        {
            if (existing.Type != type || existing.Arguments != arguments)
                throw new UnsupportedNodeException($"its weights '{path}' are already used by a {existing.Type}({existing.Arguments}); sharing them with a {type}({arguments}) cannot be expressed");
            _mapped.Add($"{nodes} → {existing.Property} (shared)");
            return existing;
        }
        string property = CSharpNames.ToProperty(path);
        for (int k = 2; !_properties.Add(property); k++) property = CSharpNames.ToProperty(path) + "_" + k.ToString(CultureInfo.InvariantCulture);
        var layer = new ImportedLayer(property, path, type, arguments, nodes, frozen);
        _layers.Add(layer);
        _layerByPath[path] = layer;
        foreach (var (suffix, shape, values) in tensors)
            _weights.Add(new ImportedTensor(suffix.Length == 0 ? path : path + "." + suffix, shape, values));
        _mapped.Add($"{nodes} → {property} = {(frozen ? "[Frozen] " : "")}{type}({arguments})");
        return layer;
    }

    private int _synthetic;

    /// <summary>
    /// The PyTorch module path of a layer from its weight's initializer name (<c>fc1.weight</c> → <c>fc1</c>);
    /// a name that is not a state_dict path (constant-folded exports name weights <c>onnx::MatMul_12</c>)
    /// gives <paramref name="fallback"/> with a number.
    /// </summary>
    private string ModulePath(string? initializer, string expectedLeaf, string fallback)
    {
        if (initializer is not null && initializer.EndsWith("." + expectedLeaf, StringComparison.Ordinal))
        {
            string path = initializer[..^(expectedLeaf.Length + 1)];
            if (path.Length > 0 && path.All(c => char.IsLetterOrDigit(c) || c is '_' or '.')) return path;
        }
        return fallback + (++_synthetic).ToString(CultureInfo.InvariantCulture);
    }

    private static string NodeList(params OnnxNode[] nodes) => string.Join(" + ", nodes.Select(n => $"{n.OpType} '{n.Display}'"));
}

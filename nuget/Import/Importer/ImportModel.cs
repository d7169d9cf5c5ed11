using System.Collections.Generic;

namespace TrainingGen.Import;

/// <summary>How <see cref="OnnxImporter"/> names and writes the model.</summary>
public sealed class ImportOptions
{
    /// <summary>The C# class name of the model (<c>--name</c>).</summary>
    public string ClassName { get; init; } = "Net";

    /// <summary>The namespace of the generated class (<c>--namespace</c>); null or empty for a file-less global namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>
    /// Put <c>[StateDictName("fc1")]</c> on each layer property, so the trainer's parameter names are
    /// the PyTorch module paths exactly (the property <c>Fc1</c> alone would give <c>fc_1</c>). On by default.
    /// </summary>
    public bool EmitStateDictNames { get; init; } = true;

    /// <summary>The file name shown in the generated header (the command line's argument); defaults to the model's path.</summary>
    public string? SourceName { get; init; }
}

/// <summary>One layer (or free parameter) property of the imported model.</summary>
/// <param name="Property">C# property name, e.g. <c>Fc1</c>.</param>
/// <param name="StateDictPath">PyTorch module path, e.g. <c>fc1</c> or <c>layers.0</c>.</param>
/// <param name="Type">Runtime layer type, e.g. <c>Linear</c>.</param>
/// <param name="Arguments">Constructor arguments as C# text, e.g. <c>256, 120</c>.</param>
/// <param name="Nodes">The ONNX nodes (or initializer) the layer stands for, for the report.</param>
/// <param name="Frozen">Marked [Frozen]: a constant of the graph that is not a weight.</param>
public sealed record ImportedLayer(string Property, string StateDictPath, string Type, string Arguments, string Nodes, bool Frozen = false);

/// <summary>One tensor of the weights file: its state_dict name, shape and values.</summary>
/// <remarks><paramref name="IsInt64"/>: an int64 buffer (BatchNorm's <c>num_batches_tracked</c>), written as I64.</remarks>
public sealed record ImportedTensor(string Name, int[] Shape, float[] Values, bool IsInt64 = false);

/// <summary>What an import produced: the C# source, the weights, and a line per mapping for the report.</summary>
public sealed record ImportResult(string ClassName, string Source, IReadOnlyList<ImportedLayer> Layers, IReadOnlyList<ImportedTensor> Weights,
    IReadOnlyList<string> Mapped);

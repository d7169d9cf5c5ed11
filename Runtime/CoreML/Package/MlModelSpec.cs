using System.Collections.Generic;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML;

/// <summary>
/// A feature of a model description (FeatureTypes.proto <c>ArrayFeatureType</c> or
/// <c>StateFeatureType</c>). <see cref="ShapeRanges"/>, when set, gives a (lower, upper) pair per
/// dimension (upper −1 = unbounded) written as <c>shapeRange</c>.
/// </summary>
public sealed record FeatureSpec(string Name, MilDType DType, long[] Shape, bool IsState = false,
    (long Lower, long Upper)[]? ShapeRanges = null, string? ShortDescription = null);

/// <summary>A function's description (Model.proto <c>FunctionDescription</c>).</summary>
public sealed class FunctionSpec
{
    public FunctionSpec(string name) { Name = name; }
    public string Name { get; }
    public List<FeatureSpec> Inputs { get; } = new();
    public List<FeatureSpec> Outputs { get; } = new();
    public List<FeatureSpec> States { get; } = new();
}

/// <summary>
/// Everything in <c>model.mlmodel</c> for an ML Program: spec version, description (functions,
/// default function, metadata) and the program. For a single-function model
/// (<see cref="Functions"/> has one entry named <c>main</c> and <see cref="IsMultiFunction"/> is
/// false) the description is written to the top-level input/output/state lists instead.
/// </summary>
public sealed class MlModelSpec
{
    public int SpecificationVersion { get; set; } = 9;
    public bool IsMultiFunction { get; set; } = true;
    public string? DefaultFunctionName { get; set; }
    public List<FunctionSpec> Functions { get; } = new();
    public string? ShortDescription { get; set; }
    public string? Author { get; set; }
    public string? License { get; set; }
    public string? VersionString { get; set; }
    /// <summary>Metadata.userDefined, in insertion order (written sorted by key).</summary>
    public SortedDictionary<string, string> UserDefined { get; } = new(System.StringComparer.Ordinal);
    public MilProgram Program { get; set; } = new();
}

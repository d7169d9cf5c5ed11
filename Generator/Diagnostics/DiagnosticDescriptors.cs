using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TrainingGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic TrainingGen reports. IDs by area: 0xxx model shape, 1xxx C# subset of
/// Forward, 2xxx differentiability, 3xxx shapes, 4xxx optimizer and loss, 9xxx internal.
/// Each has a help page docs/diagnostics/TGnnnn.md, linked through <see cref="HelpLink"/>.
/// </summary>
internal static class DiagnosticDescriptors
{
    public const string HelpBase = "https://github.com/traininggen/traininggen/blob/main/docs/diagnostics/";

    public static string HelpLink(string id) => HelpBase + id + ".md";

    private static DiagnosticDescriptor Create(string id, string title, string message, string category,
        DiagnosticSeverity severity) =>
        new(id, title, message, category, severity, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    public static readonly DiagnosticDescriptor LossNotFirst = Create("TG0001",
        "The first output of a training model must be the loss",
        "The first output of training model '{0}' must be the loss, but '{1}' is not produced by a [Loss] function or a built-in loss; return the loss first, e.g. (loss, prediction)",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NotPartial = Create("TG0002",
        "Model class must be partial",
        "'{0}' is marked [{1}] but is not partial, so TrainingGen cannot add its trainer; add the 'partial' modifier",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NoForward = Create("TG0003",
        "Model has no Forward method",
        "'{0}' is marked [{1}] but has no single method named 'Forward'; declare exactly one, e.g. 'public Tensor Forward(Tensor x)'",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MissingShape = Create("TG0004",
        "Training model input needs a [Shape]",
        "Input '{0}' of training model '{1}' needs a [Shape(...)] attribute with constant dimensions; add one, e.g. [Shape(Dim.Batch, 4)]",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedLayer = Create("TG0005",
        "Layer property is not supported",
        "Property '{0}' cannot be used as a layer: {1}; change its declaration accordingly",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateName = Create("TG0006",
        "Duplicate name in the training package",
        "Input '{0}' has the same name in the training package as parameter '{1}' (or a value derived from it); rename the input",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidShape = Create("TG0007",
        "Shape attribute is not a constant list of valid dimensions",
        "[Shape] on input '{0}' is not usable: {1}; list constant dimensions, each positive or Dim.Batch",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateParameterName = Create("TG0008",
        "Duplicate parameter name",
        "Property '{0}' of '{1}' gives parameter name '{2}', which property '{3}' already uses; the state_dict and the training package need distinct names, so rename one of them",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor GenericModel = Create("TG0009",
        "Model class must not be generic",
        "'{0}' is marked [{1}] but is generic, and TrainingGen sizes a trainer for one concrete model; remove the type parameters {2}",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor OuterNotPartial = Create("TG0010",
        "Class containing a training model must be partial",
        "Training model '{0}' is nested in '{1}', which is not partial, so TrainingGen cannot add its trainer; add the 'partial' modifier to '{1}'",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NoParameters = Create("TG0011",
        "Training model has no parameters",
        "Training model '{0}' has no parameters, so there is nothing to train; add a layer property such as 'public Linear Fc {{ get; }} = new(4, 2);' and use it in Forward",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor AllFrozen = Create("TG0012",
        "Every parameter of the training model is frozen",
        "Every parameter of training model '{0}' is [Frozen], so the optimizer has nothing to update; remove [Frozen] from at least one layer",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor OnlyLoss = Create("TG0013",
        "Training model returns only the loss",
        "Training model '{0}' returns only its loss, so the package's 'main' function would have no outputs; return the predictions after the loss, e.g. (loss, pred)",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LayerField = Create("TG0014",
        "Layer declared as a field",
        "'{0}' is a field, but layers and sub-models must be get-only properties; declare it as '{1}'",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MissingModelAttribute = Create("TG0015",
        "Sub-model class is not marked [Model]",
        "'{0}' has a Forward method but is not marked [Model], so '{1}' cannot be inlined; add [Model] to '{0}'",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InaccessibleLayer = Create("TG0016",
        "Layer property of a sub-model is not accessible",
        "Layer property '{0}' of sub-model '{1}' is {2}, so the generated trainer cannot read its parameters; make it public or internal",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor IntegerWhereFloat = Create("TG0020",
        "Integer tensor used where a float tensor is needed",
        "'{0}' is an integer tensor (IntTensor), but {1} takes a float Tensor; use integer tensors only as class labels (Ops.CrossEntropy, Ops.NllLoss) or Embedding indices",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor IntegerOutput = Create("TG0021",
        "Integer tensor returned as an output",
        "Output '{0}' of training model '{1}' is an integer tensor (IntTensor), but the outputs after the loss are float predictions; return only float Tensors after the loss",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor FloatWhereInteger = Create("TG0022",
        "Float tensor passed for an IntTensor parameter",
        "'{0}' is a float Tensor, but parameter '{1}' of '{2}' is an IntTensor; pass an IntTensor input (declare it '[Shape(...)] IntTensor {1}') or change the parameter to Tensor",
        "TrainingGen.Model", DiagnosticSeverity.Error);
    // [StateDictName] (state_dict names that match PyTorch's)
    public static readonly DiagnosticDescriptor InvalidStateDictName = Create("TG0017",
        "Invalid [StateDictName]",
        "[StateDictName] on property '{0}' cannot give the name {1}: {2}; use dot-separated segments of ASCII letters, digits and '_', e.g. \"fc1\" or \"features.0\"",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DuplicateStateDictName = Create("TG0018",
        "[StateDictName] gives a parameter name another property already has",
        "[StateDictName] on property '{0}' of '{1}' gives parameter name '{2}', which property '{3}' also gives; the state_dict and the training package need distinct names, so change one of them",
        "TrainingGen.Model", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UselessStateDictName = Create("TG0019",
        "[StateDictName] has no effect here",
        "[StateDictName] on property '{0}' has no effect: {1}; put it on a layer or sub-model property of a [Model] or [TrainingModel] class, or remove it",
        "TrainingGen.Model", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor UnsupportedSyntax = Create("TG1001",
        "Unsupported C# in Forward",
        "{0} is not supported in a Forward method: {1}",
        "TrainingGen.Forward", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnknownCall = Create("TG1002",
        "Call to an unknown method in Forward",
        "'{0}' is not a known op, [Loss] function or model Forward, so it cannot be differentiated; write it with Ops calls, or mark a loss function [Loss]",
        "TrainingGen.Forward", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedLoop = Create("TG1003",
        "Loop in Forward",
        "{0} is not supported in a Forward method: {1}",
        "TrainingGen.Forward", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedBranch = Create("TG1004",
        "Branch in Forward",
        "{0} is not supported in a Forward method: {1}",
        "TrainingGen.Forward", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedLinq = Create("TG1005",
        "LINQ in Forward",
        "{0} is not supported in a Forward method: {1}",
        "TrainingGen.Forward", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedLambda = Create("TG1006",
        "Lambda or local function in Forward",
        "{0} is not supported in a Forward method: {1}",
        "TrainingGen.Forward", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedAwait = Create("TG1007",
        "'await' in Forward",
        "{0} is not supported in a Forward method: {1}",
        "TrainingGen.Forward", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedMutation = Create("TG1008",
        "Mutation of a tensor element, field or property in Forward",
        "{0} is not supported in a Forward method: {1}",
        "TrainingGen.Forward", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NotDifferentiable = Create("TG2001",
        "Trainable value flows into a non-differentiable operand",
        "The {0} of '{1}' depend on a trainable parameter, but they cannot be differentiated ({2}); compute them from inputs only, or freeze what they depend on",
        "TrainingGen.Differentiability", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NoGradient = Create("TG2002",
        "Trainable parameter never receives a gradient",
        "'{0}' of training model '{1}' is trainable but never receives a gradient: {2}; use it on the path to the loss, remove it, or mark it [Frozen]",
        "TrainingGen.Differentiability", DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ShapeMismatch = Create("TG3001",
        "Shape mismatch",
        "{0}; {1}",
        "TrainingGen.Shapes", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor RankTooHigh = Create("TG3002",
        "Tensor rank exceeds Core ML's limit of 5",
        "{0} has rank {1} (shape {2}), but Core ML only supports tensors with up to 5 dimensions; change the shapes so it has at most 5 (merge adjacent dimensions)",
        "TrainingGen.Shapes", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LossNotScalar = Create("TG4003",
        "Loss is not a scalar",
        "The loss of training model '{0}' has shape {1}; a loss must be a scalar (reduce it with Ops.Mean or Ops.Sum)",
        "TrainingGen.Loss", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidHyperParameter = Create("TG4001",
        "Invalid optimizer hyper-parameter",
        "{0} = {1} is invalid: {2}; change the value",
        "TrainingGen.Optimizer", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NoOptimizer = Create("TG4002",
        "Training model has no optimizer",
        "Training model '{0}' declares no optimizer; add one, e.g. [Sgd(LearningRate = 0.01)]",
        "TrainingGen.Optimizer", DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InternalError = Create("TG9999",
        "Internal TrainingGen error",
        "TrainingGen failed on '{0}' during {1}: {2}; please report this with the model's source",
        "TrainingGen.Internal", DiagnosticSeverity.Error);

    public static readonly IReadOnlyList<DiagnosticDescriptor> All = new[]
    {
        LossNotFirst, NotPartial, NoForward, MissingShape, UnsupportedLayer, DuplicateName, InvalidShape, DuplicateParameterName,
        GenericModel, OuterNotPartial, NoParameters, AllFrozen, OnlyLoss, LayerField, MissingModelAttribute, InaccessibleLayer,
        IntegerWhereFloat, IntegerOutput, FloatWhereInteger,
        InvalidStateDictName, DuplicateStateDictName, UselessStateDictName,
        UnsupportedSyntax, UnknownCall, UnsupportedLoop, UnsupportedBranch, UnsupportedLinq, UnsupportedLambda, UnsupportedAwait,
        UnsupportedMutation, NotDifferentiable, NoGradient, ShapeMismatch, RankTooHigh, InvalidHyperParameter, NoOptimizer, LossNotScalar, InternalError,
    };

    /// <summary>
    /// Ids the analyzers report (TrainingGen.Analyzers reads the same front end as the generator).
    /// The generator never reports these, so a build shows each problem once; it keeps only what
    /// nothing but the generator can know (TG9999, an internal failure of its own stages).
    /// </summary>
    public static readonly ISet<string> ReportedByAnalyzers = new HashSet<string>(
        All.Where(d => d.Id != InternalError.Id).Select(d => d.Id), System.StringComparer.Ordinal);

    public static DiagnosticDescriptor ById(string id) => All.First(d => d.Id == id);
}

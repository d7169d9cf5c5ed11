using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;
using static TrainingGen.Generator.Frontend.ModelNaming;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Lowers a [TrainingModel] class to <see cref="TrainingModelIr"/>: straight-line SSA over the
/// op table, with submodel Forward calls and [Loss] functions inlined and every value's static
/// shape inferred. This is the only code that reads Roslyn symbols. Anything it cannot lower is a
/// diagnostic at the exact syntax node, never an exception.
/// This file discovers the model (inputs, outputs, parameter order); the other parts, by concern:
/// <c>.Statements</c> and <c>.Expressions</c> (lowering), <c>.Ops</c> (op-table calls),
/// <c>.Layers</c> (layer specs), <c>.Inlining</c> (sub-models and [Loss] functions),
/// <c>.Optimizer</c>, <c>.Declarations</c> ([Shape]s, symbols, reporting) and <c>.Checks</c>
/// (model-level diagnostics); <see cref="ModelNaming"/> names inputs and outputs.
/// </summary>
internal sealed partial class ModelParser
{
    private readonly Compilation _compilation;
    private readonly CancellationToken _ct;
    private readonly List<Node> _nodes = new();
    private readonly List<Param> _params = new();
    private readonly Dictionary<string, int> _paramNodes = new(StringComparer.Ordinal);
    private readonly List<string> _paramOrder = new();
    private readonly List<(Counter Counter, string Order)> _counters = new();
    // Values that depend on a trainable parameter (for TG2001).
    private readonly HashSet<int> _fromTrainable = new();
    // Values that are integer tensors (IntTensor inputs): data for integer operands only (TG0020–TG0022).
    private readonly HashSet<int> _integer = new();
    private readonly List<DiagnosticInfo> _diagnostics = new();

    private ModelParser(Compilation compilation, CancellationToken ct)
    {
        _compilation = compilation;
        _ct = ct;
    }

    /// <summary>Thrown only inside the parser to stop at the first construct it reported.</summary>
    private sealed class Abort : Exception { }

    /// <summary>Where an expression is evaluated: the model instance path and the locals in scope.</summary>
    private sealed class Scope
    {
        public Scope(string prefix, string access, bool frozen, SemanticModel model, string order = "")
        {
            Prefix = prefix; Access = access; Frozen = frozen; Model = model; Order = order;
        }
        /// <summary>Sort key of this model instance: the declaration positions of the properties leading to it.</summary>
        public string Order { get; }
        public string Prefix { get; }
        public string Access { get; }
        public bool Frozen { get; }
        public SemanticModel Model { get; }
        public Dictionary<ISymbol, int> Locals { get; } = new(SymbolEqualityComparer.Default);
    }

    public static Result<TrainingModelIr> Parse(INamedTypeSymbol type, Compilation compilation, CancellationToken ct)
    {
        var p = new ModelParser(compilation, ct);
        TrainingModelIr? ir = null;
        try { ir = p.ParseTrainingModel(type); }
        catch (Abort) { }
        return new Result<TrainingModelIr>(ir, p._diagnostics.ToEquatable());
    }

    private TrainingModelIr? ParseTrainingModel(INamedTypeSymbol type)
    {
        if (ReportIfGeneric(type, "TrainingModel")) return null;
        var (forward, syntax) = FindForward(type, "TrainingModel");
        if (forward is null || syntax is null) return null;
        var model = _compilation.GetSemanticModel(syntax.SyntaxTree);

        // TG0001 is the analyzer's to report; without a loss first there is nothing to train.
        if (LossRule.NonLossFirstOutputs(syntax, model).Any()) return null;

        var optimizer = ParseOptimizer(type);

        var scope = new Scope("", "model", false, model);
        var inputs = new List<Input>();
        foreach (var parameter in forward.Parameters)
        {
            var shape = ReadShape(parameter, type);
            bool integer = IsIntTensor(parameter.Type);
            int id = Add("input", Array.Empty<int>(), shape, 0, parameter.Name, parameter.Name);
            if (integer) _integer.Add(id);
            scope.Locals[parameter] = id;
            inputs.Add(new Input(InputName(parameter.Name), shape.ToEquatable(), false, id, integer));
        }

        var returned = EvaluateBody(syntax, scope, expectTuple: true);
        int loss = returned[0];
        if (_nodes[loss].Shape.Count != 0)
        {
            Report(DiagnosticDescriptors.LossNotScalar, LossRule.FirstOutput(LossRule.ReturnedExpressions(syntax).First()), type.Name, FormatShape(_nodes[loss].Shape));
            return null;
        }
        if (returned.Count == 1) { ReportOnlyLoss(type, syntax); return null; }
        if (optimizer is null) return null;
        if (ReportIfIntegerOutput(type, forward, syntax, returned)) return null;

        // An output that is an input or a parameter gets its own value (a copy), so every output
        // has a buffer in the trainer and a distinct name in the package.
        for (int k = 1; k < returned.Count; k++)
            if (_nodes[returned[k]].Op is "input" or "param")
                returned[k] = AddWithAttrs("reshape", new[] { returned[k] }, _nodes[returned[k]].Shape.ToArray(), Array.Empty<double>(), "", _nodes[returned[k]].Source);
        var names = OutputNames(forward, returned.Count, inputs.Select(i => i.Name));
        var outputs = returned.Skip(1).Select((id, i) => new Output(names[i], id)).ToList();

        // Inputs that feed a prediction are features; the rest (used only by the loss) are labels.
        var feedsPrediction = Reachable(outputs.Select(o => o.NodeId));
        inputs = inputs.Select(i => i with { IsLabel = !feedsPrediction.Contains(i.NodeId) }).ToList();

        if (_diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error)) return null;
        if (ReportIfNothingTrainable(type)) return null;
        SortParametersByDeclaration();
        NumberDropouts();
        foreach (var input in inputs)
            if (_params.FirstOrDefault(p => p.MilName == input.Name || TrainingNamesClash(p.MilName, input.Name)) is { } clash)
            {
                var at = forward.Parameters.First(q => InputName(q.Name) == input.Name).DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_ct);
                Report(DiagnosticDescriptors.DuplicateName, at, input.Name, clash.Path);
                return null;
            }

        var containing = new List<string>();
        for (var t = type.ContainingType; t is not null; t = t.ContainingType) containing.Insert(0, t.Name);
        return new TrainingModelIr(
            type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
            containing.ToEquatable(),
            type.Name,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            LossDisplayName(syntax, model),
            _nodes.ToEquatable(),
            _params.ToEquatable(),
            inputs.ToEquatable(),
            loss,
            outputs.ToEquatable(),
            optimizer,
            SpotOf(type),
            _counters.OrderBy(k => k.Order, StringComparer.Ordinal).Select(k => k.Counter).ToEquatable());
    }

    /// <summary>
    /// Orders parameters as PyTorch's state_dict does: by declaration (property order, depth
    /// first), not by first use in Forward; parameter nodes are renumbered to match.
    /// </summary>
    private void SortParametersByDeclaration()
    {
        var order = Enumerable.Range(0, _params.Count).OrderBy(i => _paramOrder[i], StringComparer.Ordinal).ToList();
        var newIndex = new int[order.Count];
        for (int k = 0; k < order.Count; k++) newIndex[order[k]] = k;
        var sorted = order.Select(i => _params[i]).ToList();
        _params.Clear(); _params.AddRange(sorted);
        for (int id = 0; id < _nodes.Count; id++)
            if (_nodes[id].Op == "param")
                _nodes[id] = _nodes[id] with { Name = newIndex[int.Parse(_nodes[id].Name, System.Globalization.CultureInfo.InvariantCulture)].ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    /// <summary>Gives every dropout its ordinal (its mask is package input dropout_mask_{ordinal}).</summary>
    private void NumberDropouts()
    {
        int k = 0;
        for (int id = 0; id < _nodes.Count; id++)
            if (OpTable.IsMask(_nodes[id].Op))
                _nodes[id] = _nodes[id] with { Attrs = new double[] { k++ }.ToEquatable() };
    }

    private SourceSpot? SpotOf(INamedTypeSymbol type)
    {
        var decl = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<ClassDeclarationSyntax>().FirstOrDefault();
        if (decl is null) return null;
        var line = decl.Identifier.GetLocation().GetLineSpan();
        return new SourceSpot(decl.SyntaxTree.FilePath, decl.Identifier.Span.Start, decl.Identifier.Span.Length,
            line.StartLinePosition.Line, line.StartLinePosition.Character, line.EndLinePosition.Line, line.EndLinePosition.Character);
    }

    /// <summary>A fixed-width sort key for a property: its file and position.</summary>
    private static string DeclarationKey(IPropertySymbol prop)
    {
        var r = prop.DeclaringSyntaxReferences.FirstOrDefault();
        return $"{r?.SyntaxTree.FilePath}#{r?.Span.Start ?? 0:D9}/";
    }
}

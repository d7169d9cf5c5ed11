using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Frontend;
using TrainingGen.Generator.Model;

namespace TrainingGen.Analyzers;

/// <summary>
/// Runs the generator's own front end (<see cref="ModelParser"/>, compiled into this assembly
/// from the same source) on every [TrainingModel] the generator would generate for, and reports
/// what it finds while the user types: TG0003–TG0007, TG0011–TG0013, TG0015, TG0016, TG1001–TG1008, TG3001,
/// TG4002, TG4003.
/// The generator stops on the same diagnostics without reporting them, so each appears once.
/// On a model that parses, it adds TG2002 (a trainable parameter that never receives a gradient).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ModelFrontEndAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Parser diagnostics that dedicated analyzers report (everywhere, not only on a parsed model).</summary>
    private static readonly ImmutableHashSet<string> ReportedElsewhere = ImmutableHashSet.Create(StringComparer.Ordinal,
        DiagnosticDescriptors.LossNotFirst.Id, DiagnosticDescriptors.NotPartial.Id,
        DiagnosticDescriptors.InvalidHyperParameter.Id, DiagnosticDescriptors.DuplicateParameterName.Id,
        DiagnosticDescriptors.GenericModel.Id, DiagnosticDescriptors.LayerField.Id);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.NoForward, DiagnosticDescriptors.MissingShape, DiagnosticDescriptors.UnsupportedLayer,
        DiagnosticDescriptors.DuplicateName, DiagnosticDescriptors.InvalidShape,
        DiagnosticDescriptors.UnsupportedSyntax, DiagnosticDescriptors.UnknownCall, DiagnosticDescriptors.UnsupportedLoop,
        DiagnosticDescriptors.UnsupportedBranch, DiagnosticDescriptors.UnsupportedLinq, DiagnosticDescriptors.UnsupportedLambda,
        DiagnosticDescriptors.UnsupportedAwait, DiagnosticDescriptors.UnsupportedMutation, DiagnosticDescriptors.NotDifferentiable, DiagnosticDescriptors.NoGradient,
        DiagnosticDescriptors.ShapeMismatch, DiagnosticDescriptors.RankTooHigh, DiagnosticDescriptors.NoOptimizer, DiagnosticDescriptors.LossNotScalar,
        DiagnosticDescriptors.NoParameters, DiagnosticDescriptors.AllFrozen, DiagnosticDescriptors.OnlyLoss, DiagnosticDescriptors.MissingModelAttribute,
        DiagnosticDescriptors.InaccessibleLayer,
        DiagnosticDescriptors.IntegerWhereFloat, DiagnosticDescriptors.IntegerOutput, DiagnosticDescriptors.FloatWhereInteger);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var training = start.Compilation.GetTypeByMetadataName(KnownNames.TrainingModelAttribute);
            if (training is null) return; // TrainingGen.Runtime not referenced
            // A sub-model shared by several training models gets each TG2002 once.
            var warned = new ConcurrentDictionary<Location, bool>();
            start.RegisterSymbolAction(ctx => Analyze(ctx, training, warned), SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext ctx, INamedTypeSymbol training, ConcurrentDictionary<Location, bool> warned)
    {
        var type = (INamedTypeSymbol)ctx.Symbol;
        var attr = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, training));
        if (attr is null || !GeneratorWouldRun(type, attr, ctx)) return;
        if (ParameterNames.AnyCollision(type)) return; // TG0008 says why; the parser would see shared weights

        Result<TrainingModelIr> parsed;
        try
        {
            parsed = ModelParser.Parse(type, ctx.Compilation, ctx.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return; // the generator's guard reports TG9999 with the exception; no AD0001 here
        }

        foreach (var d in parsed.Diagnostics)
        {
            if (ReportedElsewhere.Contains(d.Id) || d.Id == DiagnosticDescriptors.InternalError.Id) continue;
            if (d.Tree is not null && !ctx.Compilation.ContainsSyntaxTree(d.Tree)) continue;
            ctx.ReportDiagnostic((d.AlsoTree is null || ctx.Compilation.ContainsSyntaxTree(d.AlsoTree) ? d : d with { AlsoTree = null }).ToDiagnostic());
        }
        if (parsed.Value is { } ir)
            foreach (var (property, reason) in GradientRule.ParametersWithoutGradient(type, ir))
            {
                var at = property.Locations.FirstOrDefault(l => l.IsInSource);
                if (at is null || !warned.TryAdd(at, true)) continue;
                ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NoGradient, at,
                    property.ContainingType.Name + "." + property.Name, type.Name, reason));
            }
    }

    /// <summary>The generator's gate: the attributed declaration and every containing type are partial.</summary>
    private static bool GeneratorWouldRun(INamedTypeSymbol type, AttributeData attr, SymbolAnalysisContext ctx)
    {
        if (attr.ApplicationSyntaxReference?.GetSyntax(ctx.CancellationToken)?.Parent?.Parent is not ClassDeclarationSyntax decl ||
            !decl.Modifiers.Any(SyntaxKind.PartialKeyword))
            return false;
        return Nesting.OuterNotPartial(type, ctx.CancellationToken) is null;
    }
}

using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Frontend;

namespace TrainingGen.Analyzers;

/// <summary>
/// TG0008 at the later of two layer/sub-model properties of a [Model] or [TrainingModel] whose
/// parameter names meet (<c>Fc1</c> and <c>FC1</c> both give <c>fc_1.weight</c>); decided from
/// symbols alone by <see cref="ParameterNames"/>, the rule the generator also checks. When a
/// [StateDictName] on one of the two made the names meet, TG0018 at that attribute's argument instead.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DuplicateParameterNameAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.DuplicateParameterName, DiagnosticDescriptors.DuplicateStateDictName);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var training = start.Compilation.GetTypeByMetadataName(KnownNames.TrainingModelAttribute);
            var model = start.Compilation.GetTypeByMetadataName(KnownNames.ModelAttribute);
            if (training is null || model is null) return;
            start.RegisterSymbolAction(ctx =>
            {
                var type = (INamedTypeSymbol)ctx.Symbol;
                if (!type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, training) ||
                                                   SymbolEqualityComparer.Default.Equals(a.AttributeClass, model)))
                    return;
                foreach (var c in ParameterNames.Collisions(type))
                {
                    // A [StateDictName] that makes the names meet is where the fix is: TG0018 at its argument.
                    var (named, other) = StateNames.Explicit(c.Property) is not null ? (c.Property, c.Earlier)
                        : StateNames.Explicit(c.Earlier) is not null ? (c.Earlier, c.Property) : (null, null);
                    if (named is not null && StateDictNameAnalyzer.ArgumentLocation(StateNames.Explicit(named)!.Value.Attribute, ctx.CancellationToken) is { } arg)
                    {
                        ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateStateDictName, arg, named.Name, type.Name, c.Name, other!.Name));
                        continue;
                    }
                    var at = c.Property.Locations.FirstOrDefault(l => l.IsInSource);
                    if (at is null) continue;
                    ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateParameterName, at,
                        c.Property.Name, type.Name, c.Name, c.Earlier.Name));
                }
            }, SymbolKind.NamedType);
        });
    }
}

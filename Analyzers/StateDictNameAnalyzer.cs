using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Frontend;

namespace TrainingGen.Analyzers;

/// <summary>
/// [StateDictName] checks that need only symbols: TG0017 for a name that cannot be a state_dict
/// name (on the layer and sub-model properties of a [Model] or [TrainingModel], the names
/// <see cref="ParameterNames.InvalidNames"/> finds — the generator then skips the model), and
/// TG0019 for the attribute where it names nothing (a property that holds no layer or sub-model,
/// or a class that is no model). Both at the attribute's argument. Duplicates are TG0018, reported
/// with TG0008 by <see cref="DuplicateParameterNameAnalyzer"/>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StateDictNameAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.InvalidStateDictName, DiagnosticDescriptors.UselessStateDictName);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var attribute = start.Compilation.GetTypeByMetadataName(StateNames.AttributeName);
            if (attribute is null) return;
            start.RegisterSymbolAction(ctx =>
            {
                var p = (IPropertySymbol)ctx.Symbol;
                if (StateNames.Explicit(p) is not { } e) return;
                var owner = p.ContainingType;
                string? why = !IsModel(owner) ? $"'{owner.Name}' is not a [Model] or [TrainingModel] class"
                    : !ParameterNames.LayerProperties(owner).Contains(p, SymbolEqualityComparer.Default)
                        ? (p.IsStatic ? "the property is static" : $"its type '{p.Type.ToDisplayString()}' is neither a layer nor a [Model]")
                        : null;
                if (why is not null)
                    ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UselessStateDictName, ArgumentLocation(e.Attribute, ctx.CancellationToken), p.Name, why));
                else if (ParameterNames.InvalidNames(owner).FirstOrDefault(i => SymbolEqualityComparer.Default.Equals(i.Property, p)) is { } bad)
                    ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidStateDictName, ArgumentLocation(e.Attribute, ctx.CancellationToken),
                        p.Name, bad.Name is null ? "null" : "\"" + bad.Name + "\"", bad.Why));
            }, SymbolKind.Property);
        });
    }

    private static bool IsModel(INamedTypeSymbol t) => t.GetAttributes().Any(a =>
        a.AttributeClass?.ToDisplayString() is KnownNames.ModelAttribute or KnownNames.TrainingModelAttribute);

    /// <summary>The attribute's first argument (<c>"fc1"</c>), else the attribute, else nothing.</summary>
    internal static Location? ArgumentLocation(AttributeData a, CancellationToken ct) =>
        a.ApplicationSyntaxReference?.GetSyntax(ct) is AttributeSyntax s
            ? ((SyntaxNode?)s.ArgumentList?.Arguments.FirstOrDefault() ?? s).GetLocation()
            : null;
}

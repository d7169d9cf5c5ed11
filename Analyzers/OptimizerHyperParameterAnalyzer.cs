using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Frontend;

namespace TrainingGen.Analyzers;

/// <summary>
/// TG4001 at the named argument of an optimizer attribute whose value torch.optim would reject
/// (lr < 0, betas outside [0, 1), ...: torch.optim's rules), checked by <see cref="OptimizerRules"/> on
/// every optimizer attribute of every class, whether or not the rest of the model is valid yet.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OptimizerHyperParameterAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.InvalidHyperParameter);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var optimizer = start.Compilation.GetTypeByMetadataName(KnownNames.OptimizerAttribute);
            if (optimizer is null) return;
            start.RegisterSymbolAction(ctx =>
            {
                foreach (var attr in ctx.Symbol.GetAttributes())
                {
                    if (!DerivesFrom(attr.AttributeClass, optimizer)) continue;
                    var syntax = attr.ApplicationSyntaxReference?.GetSyntax(ctx.CancellationToken) as AttributeSyntax;
                    if (syntax is null) continue;
                    foreach (var problem in OptimizerRules.Check(attr))
                    {
                        var arg = syntax.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == problem.Argument);
                        ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidHyperParameter,
                            ((SyntaxNode?)arg ?? syntax).GetLocation(), problem.Argument, problem.Value, problem.Reason));
                    }
                }
            }, SymbolKind.NamedType);
        });
    }

    private static bool DerivesFrom(INamedTypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (SymbolEqualityComparer.Default.Equals(t, baseType)) return true;
        return false;
    }
}

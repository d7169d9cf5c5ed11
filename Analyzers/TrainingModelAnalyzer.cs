using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Frontend;

namespace TrainingGen.Analyzers;

/// <summary>
/// IDE diagnostics for model classes, live while the user types:
/// TG0001 (a training model's first output is not the loss — the rule from Apple's on-device
/// training guide) at the offending tuple element, and TG0002 (a model class that is not partial)
/// at the class name.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrainingModelAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.LossNotFirst, DiagnosticDescriptors.NotPartial);

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var training = start.Compilation.GetTypeByMetadataName(KnownNames.TrainingModelAttribute);
            var model = start.Compilation.GetTypeByMetadataName(KnownNames.ModelAttribute);
            if (training is null || model is null) return; // TrainingGen.Runtime not referenced

            start.RegisterSyntaxNodeAction(ctx => AnalyzeClass(ctx, training, model), SyntaxKind.ClassDeclaration);
            start.RegisterSyntaxNodeAction(ctx => AnalyzeForward(ctx, training), SyntaxKind.MethodDeclaration);
        });
    }

    private static void AnalyzeClass(SyntaxNodeAnalysisContext ctx, INamedTypeSymbol training, INamedTypeSymbol model)
    {
        var decl = (ClassDeclarationSyntax)ctx.Node;
        if (decl.Modifiers.Any(SyntaxKind.PartialKeyword)) return;
        if (ctx.SemanticModel.GetDeclaredSymbol(decl, ctx.CancellationToken) is not INamedTypeSymbol type) return;
        var attr = type.GetAttributes().FirstOrDefault(a =>
            SymbolEqualityComparer.Default.Equals(a.AttributeClass, training) || SymbolEqualityComparer.Default.Equals(a.AttributeClass, model));
        if (attr is null) return;
        string name = SymbolEqualityComparer.Default.Equals(attr.AttributeClass, training) ? "TrainingModel" : "Model";
        ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NotPartial, decl.Identifier.GetLocation(), type.Name, name));
    }

    private static void AnalyzeForward(SyntaxNodeAnalysisContext ctx, INamedTypeSymbol training)
    {
        var method = (MethodDeclarationSyntax)ctx.Node;
        if (method.Identifier.Text != KnownNames.ForwardMethod) return;
        if (ctx.SemanticModel.GetDeclaredSymbol(method, ctx.CancellationToken) is not IMethodSymbol symbol) return;
        var type = symbol.ContainingType;
        if (!type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, training))) return;

        foreach (var first in LossRule.NonLossFirstOutputs(method, ctx.SemanticModel))
            ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LossNotFirst, first.GetLocation(), type.Name, first.ToString()));
    }
}

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
/// training guide) at the offending tuple element, TG0002 (a model class that is not partial)
/// at the class name, TG0009 (a generic model) at its type parameters, TG0010 (a training model
/// nested in a class that is not partial) at that class's name, and TG0014 (a layer declared as a
/// field) at the field's name. All are decidable from declarations, so they are reported wherever
/// they occur, whether or not the rest of the model parses.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrainingModelAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.LossNotFirst, DiagnosticDescriptors.NotPartial, DiagnosticDescriptors.GenericModel,
            DiagnosticDescriptors.OuterNotPartial, DiagnosticDescriptors.LayerField);

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
            start.RegisterSymbolAction(ctx => AnalyzeField(ctx, training, model), SymbolKind.Field);
        });
    }

    private static void AnalyzeClass(SyntaxNodeAnalysisContext ctx, INamedTypeSymbol training, INamedTypeSymbol model)
    {
        var decl = (ClassDeclarationSyntax)ctx.Node;
        if (!decl.Modifiers.Any(SyntaxKind.PartialKeyword) && decl.Members.Any(m => m is TypeDeclarationSyntax))
            ReportNestedTrainingModels(ctx, decl, training);
        if (decl.AttributeLists.Count == 0) return; // each check reports on the declaration that carries the attribute
        if (ctx.SemanticModel.GetDeclaredSymbol(decl, ctx.CancellationToken) is not INamedTypeSymbol type) return;
        var attr = type.GetAttributes().FirstOrDefault(a =>
            SymbolEqualityComparer.Default.Equals(a.AttributeClass, training) || SymbolEqualityComparer.Default.Equals(a.AttributeClass, model));
        if (attr?.ApplicationSyntaxReference is not { } applied || applied.SyntaxTree != decl.SyntaxTree || !decl.Span.Contains(applied.Span)) return;
        string name = SymbolEqualityComparer.Default.Equals(attr.AttributeClass, training) ? "TrainingModel" : "Model";
        if (!decl.Modifiers.Any(SyntaxKind.PartialKeyword))
            ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NotPartial, decl.Identifier.GetLocation(), type.Name, name));
        if (decl.TypeParameterList is { } generic)
            ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GenericModel, generic.GetLocation(), type.Name, name, generic.ToString()));
    }

    /// <summary>
    /// TG0010 on a non-partial class for each training model nested in it whose innermost
    /// non-partial container it is (reported while analyzing that class, so the diagnostic is local to it).
    /// </summary>
    private static void ReportNestedTrainingModels(SyntaxNodeAnalysisContext ctx, ClassDeclarationSyntax decl, INamedTypeSymbol training)
    {
        if (ctx.SemanticModel.GetDeclaredSymbol(decl, ctx.CancellationToken) is not INamedTypeSymbol outer) return;
        var pending = new System.Collections.Generic.Stack<INamedTypeSymbol>(outer.GetTypeMembers());
        while (pending.Count > 0)
        {
            var nested = pending.Pop();
            foreach (var inner in nested.GetTypeMembers()) pending.Push(inner);
            if (nested.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, training)) &&
                Nesting.OuterNotPartial(nested, ctx.CancellationToken) is { } o && o.SyntaxTree == decl.SyntaxTree && o.Span == decl.Span)
                ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.OuterNotPartial, decl.Identifier.GetLocation(), nested.Name, outer.Name));
        }
    }

    private static void AnalyzeField(SymbolAnalysisContext ctx, INamedTypeSymbol training, INamedTypeSymbol model)
    {
        var field = (IFieldSymbol)ctx.Symbol;
        if (field.ContainingType is not { } owner || !LayerFieldRule.IsLayerField(field) || !owner.GetAttributes().Any(a =>
                SymbolEqualityComparer.Default.Equals(a.AttributeClass, training) || SymbolEqualityComparer.Default.Equals(a.AttributeClass, model)))
            return;
        if (field.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(ctx.CancellationToken) is not VariableDeclaratorSyntax declarator) return;
        ctx.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LayerField, declarator.Identifier.GetLocation(),
            field.Name, LayerFieldRule.PropertyText(declarator)));
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

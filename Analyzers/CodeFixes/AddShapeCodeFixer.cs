using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TrainingGen.Generator.Frontend;

namespace TrainingGen.CodeFixes;

/// <summary>
/// TG0004: adds <c>[Shape(Dim.Batch, n)]</c> to a training input. When the input goes straight
/// into a Linear layer (directly, or through sub-model Forwards that pass it on), n is that
/// layer's <c>inFeatures</c>; otherwise <c>[Shape(Dim.Batch, /* TODO */ 1)]</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddShapeCodeFixer)), Shared]
public sealed class AddShapeCodeFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MissingShape);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        var parameter = root?.FindNode(context.Span).AncestorsAndSelf().OfType<ParameterSyntax>().FirstOrDefault();
        if (root is null || model is null || parameter is null) return;
        if (parameter.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString().EndsWith("Shape", System.StringComparison.Ordinal)))
            return; // an existing but unusable [Shape] is TG0007's business

        var symbol = model.GetDeclaredSymbol(parameter, context.CancellationToken) as IParameterSymbol;
        int? features = symbol is null ? null : InferFeatures(symbol, model.Compilation, 0, context.CancellationToken);
        string size = features?.ToString(CultureInfo.InvariantCulture) ?? "/* TODO: feature size */ 1";
        string title = features is null ? "Add [Shape(Dim.Batch, …)]" : $"Add [Shape(Dim.Batch, {size})]";
        var list = CodeFixHelpers.AttributeList($"[{CodeFixHelpers.Qualify(parameter, "Shape")}({CodeFixHelpers.Qualify(parameter, "Dim")}.Batch, {size})]");
        var fixedParameter = CodeFixHelpers.WithLeadingAttribute(parameter, list, p => p.AttributeLists, (p, l) => p.WithAttributeLists(l));

        foreach (var diagnostic in context.Diagnostics)
            context.RegisterCodeFix(CodeAction.Create(title,
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(parameter, fixedParameter))),
                equivalenceKey: nameof(AddShapeCodeFixer)), diagnostic);
    }

    /// <summary>The inFeatures of the Linear that <paramref name="parameter"/> feeds first, following sub-model Forwards.</summary>
    private static int? InferFeatures(IParameterSymbol parameter, Compilation compilation, int depth, CancellationToken ct)
    {
        if (depth > 8 || parameter.ContainingSymbol is not IMethodSymbol method) return null;
        foreach (var declaration in method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<MethodDeclarationSyntax>())
        {
            var model = compilation.GetSemanticModel(declaration.SyntaxTree);
            foreach (var call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (call.ArgumentList.Arguments.Count != 1 || call.Expression is not MemberAccessExpressionSyntax { Name.Identifier.Text: KnownNames.ForwardMethod } access) continue;
                if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(call.ArgumentList.Arguments[0].Expression, ct).Symbol, parameter)) continue;
                if (model.GetSymbolInfo(access.Expression, ct).Symbol is not IPropertySymbol property || property.Type is not INamedTypeSymbol layer) continue;
                if (HasOp(layer, "linear")) return LinearInFeatures(property, compilation, ct);
                if (layer.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.ModelAttribute) &&
                    layer.GetMembers(KnownNames.ForwardMethod).OfType<IMethodSymbol>().FirstOrDefault() is { Parameters.Length: 1 } inner)
                    return InferFeatures(inner.Parameters[0], compilation, depth + 1, ct);
            }
        }
        return null;
    }

    private static int? LinearInFeatures(IPropertySymbol property, Compilation compilation, CancellationToken ct)
    {
        var decl = property.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
        if (decl?.Initializer?.Value is not { } init) return null;
        if (compilation.GetSemanticModel(decl.SyntaxTree).GetOperation(init, ct) is not IObjectCreationOperation creation) return null;
        var inFeatures = creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "inFeatures");
        return inFeatures?.Value.ConstantValue is { HasValue: true, Value: int n } && n > 0 ? n : null;
    }

    private static bool HasOp(INamedTypeSymbol type, string op) =>
        type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.OpAttribute &&
                                      a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value as string == op);
}

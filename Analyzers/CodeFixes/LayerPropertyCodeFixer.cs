using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Frontend;

namespace TrainingGen.CodeFixes;

/// <summary>
/// TG0014: turns a layer field (<c>public Linear L2 = new(3, 3);</c>) into the get-only property
/// TrainingGen reads (<c>public Linear L2 { get; } = new(3, 3);</c>), keeping its attributes,
/// comments and indentation.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LayerPropertyCodeFixer)), Shared]
public sealed class LayerPropertyCodeFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.LayerField);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var declarator = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<VariableDeclaratorSyntax>().FirstOrDefault();
        // One layer per declaration: "Linear a = new(1, 1), b = new(2, 2);" is left to the user.
        if (root is null || declarator?.Parent?.Parent is not FieldDeclarationSyntax field || field.Declaration.Variables.Count != 1) return;
        foreach (var diagnostic in context.Diagnostics)
            context.RegisterCodeFix(CodeAction.Create("Declare as a get-only property",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(Replace(root, field, declarator))),
                equivalenceKey: nameof(LayerPropertyCodeFixer)), diagnostic);
    }

    private static SyntaxNode Replace(SyntaxNode root, FieldDeclarationSyntax field, VariableDeclaratorSyntax declarator)
    {
        string attributes = string.Concat(field.AttributeLists.Select(a => a.ToString() + " "));
        var property = ((PropertyDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration(attributes + LayerFieldRule.PropertyText(declarator))!)
            .WithLeadingTrivia(field.GetLeadingTrivia())
            .WithTrailingTrivia(field.GetTrailingTrivia());
        return root.ReplaceNode(field, property);
    }
}

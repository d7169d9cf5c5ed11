using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.CodeFixes;

/// <summary>
/// TG0002: adds <c>partial</c> to the model class (as the last modifier, where C# wants it);
/// TG0010: the same to the class a training model is nested in (the diagnostic is at its name).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFixer)), Shared]
public sealed class MakePartialCodeFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NotPartial, DiagnosticIds.OuterNotPartial);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var decl = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<ClassDeclarationSyntax>().FirstOrDefault();
        if (root is null || decl is null || decl.Modifiers.Any(SyntaxKind.PartialKeyword)) return;
        foreach (var diagnostic in context.Diagnostics)
            context.RegisterCodeFix(CodeAction.Create("Make partial",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(decl, MakePartial(decl)))),
                equivalenceKey: nameof(MakePartialCodeFixer)), diagnostic);
    }

    internal static ClassDeclarationSyntax MakePartial(ClassDeclarationSyntax decl)
    {
        if (decl.Modifiers.Count == 0)
        {
            // "class X" → "partial class X", keeping the keyword's leading trivia (indentation, comments) in front.
            var keyword = decl.Keyword;
            var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
            return decl.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(partial));
        }
        var token = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        return decl.WithModifiers(decl.Modifiers.Add(token));
    }
}

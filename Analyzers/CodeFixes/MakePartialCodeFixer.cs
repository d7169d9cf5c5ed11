using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.CodeFixes;

/// <summary>
/// TG0002: adds <c>partial</c> to the model class (as the last modifier, where C# wants it);
/// TG0010: the same to the class a training model is nested in (the diagnostic is at its name).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFixer)), Shared]
public sealed class MakePartialCodeFixer : SyntaxFixProvider<ClassDeclarationSyntax>
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NotPartial, DiagnosticIds.OuterNotPartial);

    protected override string Title => "Make partial";

    protected override SyntaxNode? Rewrite(ClassDeclarationSyntax decl) => decl.Modifiers.Any(SyntaxKind.PartialKeyword) ? null : MakePartial(decl);

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

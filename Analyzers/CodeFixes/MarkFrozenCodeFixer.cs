using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.CodeFixes;

/// <summary>TG2002: marks a layer property that never receives a gradient <c>[Frozen]</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MarkFrozenCodeFixer)), Shared]
public sealed class MarkFrozenCodeFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NoGradient);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var property = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<PropertyDeclarationSyntax>().FirstOrDefault();
        if (root is null || property is null) return;
        var list = CodeFixHelpers.AttributeList($"[{CodeFixHelpers.Qualify(property, "Frozen")}]");
        var frozen = CodeFixHelpers.WithLeadingAttribute(property, list, p => p.AttributeLists, (p, l) => p.WithAttributeLists(l));
        foreach (var diagnostic in context.Diagnostics)
            context.RegisterCodeFix(CodeAction.Create("Mark [Frozen]",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(property, frozen))),
                equivalenceKey: nameof(MarkFrozenCodeFixer)), diagnostic);
    }
}

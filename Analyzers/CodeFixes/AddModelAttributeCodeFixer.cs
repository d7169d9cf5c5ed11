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
/// TG0015: marks the sub-model class <c>[Model]</c> (and partial, which [Model] needs: TG0002).
/// The diagnostic is at the call in Forward; its additional location is the class's name, which
/// may be in another document.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddModelAttributeCodeFixer)), Shared]
public sealed class AddModelAttributeCodeFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MissingModelAttribute);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            var at = diagnostic.AdditionalLocations.FirstOrDefault();
            var document = at?.SourceTree is { } tree ? context.Document.Project.Solution.GetDocument(tree) : null;
            if (at is null || document is null) continue;
            context.RegisterCodeFix(CodeAction.Create("Add [Model]",
                ct => AddModel(document, at.SourceSpan, ct),
                equivalenceKey: nameof(AddModelAttributeCodeFixer)), diagnostic);
        }
        return Task.CompletedTask;
    }

    private static async Task<Solution> AddModel(Document document, Microsoft.CodeAnalysis.Text.TextSpan span, CancellationToken ct)
    {
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        var decl = root?.FindToken(span.Start).Parent?.AncestorsAndSelf().OfType<ClassDeclarationSyntax>().FirstOrDefault();
        if (root is null || decl is null) return document.Project.Solution;
        var list = CodeFixHelpers.AttributeList($"[{CodeFixHelpers.Qualify(decl, "Model")}]");
        var marked = CodeFixHelpers.WithLeadingAttribute(decl, list, c => c.AttributeLists, (c, l) => c.WithAttributeLists(l));
        if (!marked.Modifiers.Any(SyntaxKind.PartialKeyword)) marked = MakePartialCodeFixer.MakePartial(marked);
        return document.WithSyntaxRoot(root.ReplaceNode(decl, marked)).Project.Solution;
    }
}

using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Frontend;

namespace TrainingGen.CodeFixes;

/// <summary>
/// TG0001: swaps the loss (the first tuple element that <see cref="LossRule"/> recognises) into
/// position 0 of every returned tuple of Forward, and the same two elements (type and name) of
/// Forward's declared tuple return type.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MoveLossFirstCodeFixer)), Shared]
public sealed class MoveLossFirstCodeFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.LossNotFirst);

    public override FixAllProvider? GetFixAllProvider() => null; // one Forward per model; the fix rewrites all its returns

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        var tuple = root.FindNode(context.Span, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<TupleExpressionSyntax>().FirstOrDefault();
        var method = tuple?.Ancestors().OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (tuple is null || method is null) return;
        int k = LossIndex(tuple, model);
        if (k <= 0) return;

        foreach (var diagnostic in context.Diagnostics)
            context.RegisterCodeFix(CodeAction.Create("Move the loss to the first output",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(Swap(root, method, model, k))),
                equivalenceKey: nameof(MoveLossFirstCodeFixer)), diagnostic);
    }

    /// <summary>The index of the first element after 0 that is a loss, or −1.</summary>
    private static int LossIndex(TupleExpressionSyntax tuple, SemanticModel model)
    {
        for (int i = 1; i < tuple.Arguments.Count; i++)
            if (LossRule.IsLoss(tuple.Arguments[i].Expression, model, 0)) return i;
        return -1;
    }

    private static SyntaxNode Swap(SyntaxNode root, MethodDeclarationSyntax method, SemanticModel model, int k)
    {
        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        void SwapPair(SyntaxNode a, SyntaxNode b)
        {
            replacements[a] = b.WithTriviaFrom(a);
            replacements[b] = a.WithTriviaFrom(b);
        }
        foreach (var returned in LossRule.ReturnedExpressions(method))
        {
            var e = returned;
            while (e is ParenthesizedExpressionSyntax p) e = p.Expression;
            if (e is TupleExpressionSyntax t && t.Arguments.Count > k && !LossRule.IsLoss(t.Arguments[0].Expression, model, 0) &&
                LossRule.IsLoss(t.Arguments[k].Expression, model, 0))
                SwapPair(t.Arguments[0], t.Arguments[k]);
        }
        if (method.ReturnType is TupleTypeSyntax type && type.Elements.Count > k)
            SwapPair(type.Elements[0], type.Elements[k]);
        return root.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]);
    }
}

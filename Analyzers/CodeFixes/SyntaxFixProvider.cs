using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace TrainingGen.CodeFixes;

/// <summary>
/// A code fix that replaces the innermost <typeparamref name="TNode"/> around the diagnostic with
/// a rewritten node in the same document: one action per diagnostic, batch Fix All.
/// </summary>
public abstract class SyntaxFixProvider<TNode> : CodeFixProvider where TNode : SyntaxNode
{
    /// <summary>The action's title in the light-bulb menu.</summary>
    protected abstract string Title { get; }

    /// <summary>The replacement for <paramref name="node"/>, or null when this fix does not apply.</summary>
    protected abstract SyntaxNode? Rewrite(TNode node);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var node = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<TNode>().FirstOrDefault();
        if (root is null || node is null || Rewrite(node) is not { } replacement) return;
        foreach (var diagnostic in context.Diagnostics)
            context.RegisterCodeFix(CodeAction.Create(Title,
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(node, replacement))),
                equivalenceKey: GetType().Name), diagnostic);
    }
}

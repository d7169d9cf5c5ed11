using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// The rule from Apple's on-device training guide that a training function's first output is the
/// loss (TG0001). Shared by the analyzer (which reports it while the user types) and the
/// generator (which then declines to generate for that model).
/// </summary>
internal static class LossRule
{
    /// <summary>
    /// The first-output expressions of every <c>return</c> of <paramref name="forward"/> (or of its
    /// expression body) that are not losses.
    /// </summary>
    public static IEnumerable<ExpressionSyntax> NonLossFirstOutputs(MethodDeclarationSyntax forward, SemanticModel model)
    {
        foreach (var returned in ReturnedExpressions(forward))
        {
            var first = FirstOutput(returned);
            if (!IsLoss(first, model, 0)) yield return first;
        }
    }

    public static IEnumerable<ExpressionSyntax> ReturnedExpressions(MethodDeclarationSyntax forward)
    {
        if (forward.ExpressionBody is { } arrow) { yield return arrow.Expression; yield break; }
        if (forward.Body is null) yield break;
        foreach (var ret in forward.Body.DescendantNodes(n => n is not (LambdaExpressionSyntax or LocalFunctionStatementSyntax or AnonymousMethodExpressionSyntax))
                     .OfType<ReturnStatementSyntax>())
            if (ret.Expression is not null) yield return ret.Expression;
    }

    public static ExpressionSyntax FirstOutput(ExpressionSyntax returned)
    {
        var e = Strip(returned);
        return e is TupleExpressionSyntax t && t.Arguments.Count > 0 ? t.Arguments[0].Expression : returned;
    }

    /// <summary>
    /// A loss is a call to a [Loss] method or a loss op, a local initialised from one, or
    /// arithmetic on a loss (e.g. <c>0.5f * loss</c>, <c>loss1 + loss2</c>).
    /// </summary>
    public static bool IsLoss(ExpressionSyntax expression, SemanticModel model, int depth)
    {
        if (depth > 16) return false;
        var e = Strip(expression);
        switch (e)
        {
            case InvocationExpressionSyntax call:
            {
                // A call C# cannot bind yet (an argument has an error, e.g. an IntTensor where a Tensor
                // goes) is a loss when every candidate is one: its C# error and the front end's say
                // what is wrong; "the loss is not first" would not be true.
                var info = model.GetSymbolInfo(call);
                return info.Symbol is IMethodSymbol m ? IsLossMethod(m)
                    : info.CandidateSymbols.Length > 0 && info.CandidateSymbols.All(c => c is IMethodSymbol cm && IsLossMethod(cm));
            }
            case BinaryExpressionSyntax bin when bin.IsKind(SyntaxKind.AddExpression) || bin.IsKind(SyntaxKind.MultiplyExpression)
                                                 || bin.IsKind(SyntaxKind.SubtractExpression) || bin.IsKind(SyntaxKind.DivideExpression):
                return IsLoss(bin.Left, model, depth + 1) || IsLoss(bin.Right, model, depth + 1);
            case IdentifierNameSyntax id when model.GetSymbolInfo(id).Symbol is ILocalSymbol local:
                foreach (var r in local.DeclaringSyntaxReferences)
                    if (r.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } init } && init.SyntaxTree == e.SyntaxTree)
                        return IsLoss(init, model, depth + 1);
                return false;
            default:
                return false;
        }
    }

    public static bool IsLossMethod(IMethodSymbol m)
    {
        foreach (var a in m.GetAttributes())
        {
            string? n = a.AttributeClass?.ToDisplayString();
            if (n == KnownNames.LossAttribute) return true;
            // A built-in loss says so on its runtime method: [Op("l1_loss", IsLoss = true)].
            if (n == KnownNames.OpAttribute && a.NamedArguments.Any(kv => kv.Key == "IsLoss" && kv.Value.Value is true))
                return true;
        }
        return false;
    }

    private static ExpressionSyntax Strip(ExpressionSyntax e)
    {
        while (e is ParenthesizedExpressionSyntax p) e = p.Expression;
        return e;
    }
}

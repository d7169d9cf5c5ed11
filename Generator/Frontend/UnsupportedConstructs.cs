using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Diagnostics;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// One diagnostic id per family of C# that <c>Forward</c> cannot contain (ComputeSharp's one
/// <c>Visit*</c> per syntax kind): loops TG1003, branches TG1004, LINQ TG1005, lambdas and local
/// functions TG1006, <c>await</c> TG1007, mutation of an element/field/property TG1008; anything
/// else stays the general TG1001. The parser reports at the offending node; this picks the id.
/// </summary>
internal static class UnsupportedConstructs
{
    public static DiagnosticDescriptor For(SyntaxNode? at) => at switch
    {
        ForStatementSyntax or ForEachStatementSyntax or ForEachVariableStatementSyntax or WhileStatementSyntax or DoStatementSyntax
            => DiagnosticDescriptors.UnsupportedLoop,
        IfStatementSyntax or SwitchStatementSyntax or ConditionalExpressionSyntax or SwitchExpressionSyntax
            => DiagnosticDescriptors.UnsupportedBranch,
        QueryExpressionSyntax => DiagnosticDescriptors.UnsupportedLinq,
        LambdaExpressionSyntax or AnonymousMethodExpressionSyntax or LocalFunctionStatementSyntax
            => DiagnosticDescriptors.UnsupportedLambda,
        AwaitExpressionSyntax => DiagnosticDescriptors.UnsupportedAwait,
        ExpressionStatementSyntax { Expression: var e } when IsMutation(e) => DiagnosticDescriptors.UnsupportedMutation,
        AssignmentExpressionSyntax a when !(a.Left is IdentifierNameSyntax) => DiagnosticDescriptors.UnsupportedMutation,
        _ => DiagnosticDescriptors.UnsupportedSyntax,
    };

    /// <summary>An assignment, <c>++</c> or <c>--</c> whose target is not a plain local.</summary>
    private static bool IsMutation(ExpressionSyntax e) => e switch
    {
        AssignmentExpressionSyntax a => !(a.Left is IdentifierNameSyntax),
        PostfixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PostIncrementExpression) || p.IsKind(SyntaxKind.PostDecrementExpression)
            => !(p.Operand is IdentifierNameSyntax),
        PrefixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PreIncrementExpression) || p.IsKind(SyntaxKind.PreDecrementExpression)
            => !(p.Operand is IdentifierNameSyntax),
        _ => false,
    };
}

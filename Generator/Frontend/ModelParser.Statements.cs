using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Diagnostics;

namespace TrainingGen.Generator.Frontend;

/// <summary>Statement lowering: a Forward or [Loss] body is straight-line code, so each local is one SSA value.</summary>
internal sealed partial class ModelParser
{
    /// <summary>Evaluates a Forward/[Loss] body; returns the ids of the returned values (one, or a tuple's).</summary>
    private List<int> EvaluateBody(BaseMethodDeclarationSyntax method, Scope scope, bool expectTuple)
    {
        _ct.ThrowIfCancellationRequested();
        if (method.ExpressionBody is { } arrow) return Returned(arrow.Expression, scope, expectTuple);
        if (method.Body is null) { Report(DiagnosticDescriptors.UnsupportedSyntax, method, "A method without a body", "Forward needs a body"); throw new Abort(); }

        var statements = method.Body.Statements;
        for (int i = 0; i < statements.Count; i++)
        {
            var s = statements[i];
            switch (s)
            {
                case LocalDeclarationStatementSyntax local:
                    foreach (var v in local.Declaration.Variables)
                    {
                        if (v.Initializer is null) Fail(v, "A local without an initializer", "declare each value where it is computed");
                        int id = Eval(v.Initializer!.Value, scope);
                        var symbol = scope.Model.GetDeclaredSymbol(v, _ct) ?? throw new Abort();
                        scope.Locals[symbol] = NameLocal(id, v.Identifier.ValueText);
                    }
                    break;
                case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assign } when assign.Left is IdentifierNameSyntax target
                        && scope.Model.GetSymbolInfo(target, _ct).Symbol is { } local && local is ILocalSymbol or IParameterSymbol && scope.Locals.ContainsKey(local):
                {
                    // Straight-line code is SSA already: a reassignment just rebinds the name.
                    string? op = assign.Kind() switch
                    {
                        SyntaxKind.SimpleAssignmentExpression => null,
                        SyntaxKind.AddAssignmentExpression => "add",
                        SyntaxKind.SubtractAssignmentExpression => "sub",
                        SyntaxKind.MultiplyAssignmentExpression => "mul",
                        SyntaxKind.DivideAssignmentExpression => "div",
                        _ => "unsupported",
                    };
                    if (op == "unsupported") Fail(assign, $"The operator '{assign.OperatorToken.Text}'", "only =, +=, -=, *= and /= can update a local");
                    int value = Eval(assign.Right, scope);
                    scope.Locals[local] = NameLocal(op is null ? value : AddBinary(op, scope.Locals[local], value, assign), local.Name);
                    break;
                }
                case ReturnStatementSyntax ret when i == statements.Count - 1 && ret.Expression is not null:
                    return Returned(ret.Expression, scope, expectTuple);
                case ReturnStatementSyntax ret:
                    Fail(ret, "An early return", "Forward is straight-line code ending in one return");
                    break;
                default:
                    Fail(s, ConstructName(s), UnsupportedReason(s));
                    break;
            }
        }
        Fail(method, "A Forward without a final return", "end Forward with 'return'");
        return null!;
    }

    private List<int> Returned(ExpressionSyntax e, Scope scope, bool expectTuple)
    {
        var stripped = e;
        while (stripped is ParenthesizedExpressionSyntax p) stripped = p.Expression;
        if (stripped is TupleExpressionSyntax tuple)
        {
            if (!expectTuple) Fail(tuple, "Returning a tuple from a model's Forward", "only the training model returns (loss, predictions)");
            return tuple.Arguments.Select(a => Eval(a.Expression, scope)).ToList();
        }
        return new List<int> { Eval(e, scope) };
    }

    private static string ConstructName(StatementSyntax s) => s switch
    {
        IfStatementSyntax => "An 'if' statement",
        ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax => "A loop",
        ExpressionStatementSyntax => "An expression statement",
        TryStatementSyntax => "A 'try' statement",
        LocalFunctionStatementSyntax => "A local function",
        SwitchStatementSyntax => "A 'switch' statement",
        _ => $"A '{s.Kind()}' statement",
    };

    private static string UnsupportedReason(StatementSyntax s) => s switch
    {
        IfStatementSyntax => "the training graph must not depend on tensor values; compute both branches and combine them with ops",
        ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax => "write the layers out (loops are not yet unrolled)",
        ExpressionStatementSyntax => "use statements that assign tensors to locals only (no calls for their side effects, no fields or elements)",
        _ => "Forward is straight-line code: locals computed from ops, then one return",
    };

    /// <summary>Records the user's local name on the value it now holds (the first name wins), so generated code can use it.</summary>
    private int NameLocal(int id, string local)
    {
        if (_nodes[id].Display.Length == 0 && _nodes[id].Op is not ("input" or "param" or "const"))
            _nodes[id] = _nodes[id] with { Display = local };
        return id;
    }
}

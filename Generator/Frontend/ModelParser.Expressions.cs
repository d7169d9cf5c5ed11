using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;

namespace TrainingGen.Generator.Frontend;

/// <summary>Expression lowering: operators, constants, and calls to ops, layers, sub-models and [Loss] functions.</summary>
internal sealed partial class ModelParser
{
    private int Eval(ExpressionSyntax e, Scope scope)
    {
        _ct.ThrowIfCancellationRequested();
        // const fields, static readonly scalars, 1f / 3, MathF.Sqrt(8f): scalars known at compile time.
        if (e is not LiteralExpressionSyntax and not PrefixUnaryExpressionSyntax && ConstantFolder.TryFold(e, scope.Model, _ct) is { } folded)
            return Add("const", Array.Empty<int>(), Array.Empty<int>(), folded, "", e.ToString());
        switch (e)
        {
            case ParenthesizedExpressionSyntax p:
                return Eval(p.Expression, scope);

            case IdentifierNameSyntax id:
            {
                var symbol = scope.Model.GetSymbolInfo(id, _ct).Symbol;
                if (symbol is not null && scope.Locals.TryGetValue(symbol, out int v)) return v;
                Fail(id, $"Reading '{id.Identifier.Text}'", "only Forward's parameters and locals can be read");
                return -1;
            }

            case LiteralExpressionSyntax lit when lit.IsKind(SyntaxKind.NumericLiteralExpression):
                return Add("const", Array.Empty<int>(), Array.Empty<int>(), Convert.ToDouble(lit.Token.Value, System.Globalization.CultureInfo.InvariantCulture), "", lit.ToString());

            case PrefixUnaryExpressionSyntax neg when neg.IsKind(SyntaxKind.UnaryMinusExpression):
            {
                if (neg.Operand is LiteralExpressionSyntax l && l.IsKind(SyntaxKind.NumericLiteralExpression))
                    return Add("const", Array.Empty<int>(), Array.Empty<int>(), -Convert.ToDouble(l.Token.Value, System.Globalization.CultureInfo.InvariantCulture), "", neg.ToString());
                int a = Eval(neg.Operand, scope);
                RequireFloat(a, neg.Operand, "the operator '-'");
                return Add("neg", new[] { a }, _nodes[a].Shape.ToArray(), 0, "", neg.ToString());
            }

            case BinaryExpressionSyntax bin:
            {
                string? op = bin.Kind() switch
                {
                    SyntaxKind.AddExpression => "add",
                    SyntaxKind.SubtractExpression => "sub",
                    SyntaxKind.MultiplyExpression => "mul",
                    SyntaxKind.DivideExpression => "div",
                    _ => null,
                };
                if (op is null) Fail(bin, $"The operator '{bin.OperatorToken.Text}'", "only + - * / are differentiable tensor operators");
                int a = Eval(bin.Left, scope), b = Eval(bin.Right, scope);
                RequireFloat(a, bin.Left, $"the operator '{bin.OperatorToken.Text}'");
                RequireFloat(b, bin.Right, $"the operator '{bin.OperatorToken.Text}'");
                return AddBinary(op!, a, b, bin);
            }

            case InvocationExpressionSyntax call:
                return EvalCall(call, scope);

            case TupleExpressionSyntax:
                Fail(e, "A tuple here", "only the training model's return statement builds a tuple");
                return -1;

            default:
                Fail(e, ExpressionName(e), "compute the value from locals, + - * /, numeric constants, and calls to ops, layers, models or [Loss] functions");
                return -1;
        }
    }

    private static string ExpressionName(ExpressionSyntax e) => e switch
    {
        LambdaExpressionSyntax or AnonymousMethodExpressionSyntax => "A lambda",
        AwaitExpressionSyntax => "'await'",
        QueryExpressionSyntax => "A LINQ query",
        ElementAccessExpressionSyntax => "Indexing a tensor",
        AssignmentExpressionSyntax => "An assignment",
        ConditionalExpressionSyntax => "A conditional expression",
        ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax => "Creating an object",
        _ => $"The expression '{e}'",
    };

    private int EvalCall(InvocationExpressionSyntax call, Scope scope)
    {
        var info = scope.Model.GetSymbolInfo(call, _ct);
        if (info.Symbol is not IMethodSymbol method)
        {
            ReportIfIntegerMismatch(call, info, scope);
            Report(DiagnosticDescriptors.UnknownCall, call.Expression, call.Expression.ToString());
            throw new Abort();
        }

        if (HasAttribute(method, KnownNames.LossAttribute)) return InlineLoss(call, method, scope);

        if (OpName(method) is { } opName)
            return OpCall(opName, call, scope);

        // Layer.Forward(x) or SubModel.Forward(x) on a property of the current model.
        if (method.Name == KnownNames.ForwardMethod && call.Expression is MemberAccessExpressionSyntax ma &&
            scope.Model.GetSymbolInfo(ma.Expression, _ct).Symbol is IPropertySymbol prop)
        {
            var args = call.ArgumentList.Arguments.Select(a => Eval(a.Expression, scope)).ToArray();
            bool frozen = scope.Frozen || HasAttribute(prop, KnownNames.FrozenAttribute);
            string prefix = Join(scope.Prefix, StateNames.Of(prop));
            string access = scope.Access + "." + prop.Name;
            string order = scope.Order + DeclarationKey(prop);
            ReportIfInaccessible(prop, scope);
            if (prop.Type is INamedTypeSymbol lt && OpName(lt) is { } layerOp && OpTable.Find(layerOp)?.Layer is { } layer)
                return Layer(layer, prop, ma, prefix, access, frozen, args, order);
            if (prop.Type is INamedTypeSymbol mt && HasAttribute(mt, KnownNames.ModelAttribute))
                return ReportIfGeneric(mt, "Model") ? throw new Abort() : InlineModel(mt, call, prefix, access, frozen, args, order);
        }
        if (method.Name == KnownNames.ForwardMethod && call.Expression is MemberAccessExpressionSyntax member)
            ReportMisdeclaredLayer(member, scope.Model.GetSymbolInfo(member.Expression, _ct).Symbol);

        Report(DiagnosticDescriptors.UnknownCall, call.Expression, method.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat));
        throw new Abort();
    }

    // ---------------------------------------------------------------- nodes

    private int AddBinary(string op, int a, int b, SyntaxNode at)
    {
        var shape = Broadcasting.Shapes(_nodes[a].Shape, _nodes[b].Shape);
        if (shape is null)
        {
            throw ShapeError(at, $"'{OneLine(at.ToString())}' combines shapes {FormatShape(_nodes[a].Shape)} and {FormatShape(_nodes[b].Shape)}, which do not broadcast", ShapeFix);
        }
        return Add(op, new[] { a, b }, shape, 0, "", at.ToString());
    }


    private int Add(string op, int[] args, int[] shape, double scalar, string name, string source) =>
        AddWithAttrs(op, args, shape, scalar == 0 && op != "const" ? Array.Empty<double>() : new[] { scalar }, name, source);

    private int AddWithAttrs(string op, int[] args, int[] shape, double[] attrs, string name, string source)
    {
        int id = _nodes.Count;
        if (args.Any(a => a >= 0 && _fromTrainable.Contains(a))) _fromTrainable.Add(id);
        _nodes.Add(new Node(id, op, args.ToEquatable(), shape.ToEquatable(), attrs.ToEquatable(), name, OneLine(source)));
        return id;
    }

    private static string OneLine(string s)
    {
        var t = SourceSnippet.OneLine(s);
        return t.Length > 100 ? t.Substring(0, 97) + "..." : t;
    }

    private static string FormatShape(EquatableArray<int> s) => ShapeRules.Format(s);

    /// <summary>All nodes the given nodes depend on (including themselves).</summary>
    private HashSet<int> Reachable(IEnumerable<int> roots) => IrQueries.Reachable(_nodes, roots);
}

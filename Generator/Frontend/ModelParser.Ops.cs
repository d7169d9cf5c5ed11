using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;

namespace TrainingGen.Generator.Frontend;

/// <summary>Op calls: a call to a runtime method marked [Op] becomes the node its op-table entry describes.</summary>
internal sealed partial class ModelParser
{
    /// <summary>
    /// A call to a runtime method marked [Op]: Tensor arguments become operands, every other
    /// argument (including defaulted ones) must be a compile-time constant and becomes an attribute.
    /// </summary>
    private int OpCall(string opName, InvocationExpressionSyntax call, Scope scope)
    {
        var op = OpTable.Find(opName);
        if (op is null || op.Kind == OpKind.Layer ||
            scope.Model.GetOperation(call, _ct) is not IInvocationOperation invocation)
        {
            Report(DiagnosticDescriptors.UnknownCall, call.Expression, call.Expression.ToString());
            throw new Abort();
        }
        var args = new List<int>();
        var attrs = new List<double>();
        foreach (var arg in invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0))
        {
            if (arg.Parameter?.Type.ToDisplayString() == KnownNames.Tensor || IsIntTensor(arg.Parameter?.Type))
            {
                if (arg.Value.Syntax is not ExpressionSyntax e) Fail(call, $"The argument '{arg.Parameter!.Name}'", "pass a tensor expression");
                int operand = Eval((ExpressionSyntax)arg.Value.Syntax, scope);
                if (!op.AcceptsInteger(args.Count)) RequireFloat(operand, arg.Value.Syntax, $"parameter '{arg.Parameter!.Name}' of {op.Name}");
                args.Add(operand);
                continue;
            }
            if (arg.ArgumentKind == ArgumentKind.ParamArray && arg.Value is IArrayCreationOperation array)
            {
                var elements = array.Initializer?.ElementValues ?? System.Collections.Immutable.ImmutableArray<IOperation>.Empty;
                attrs.Add(elements.Length);
                foreach (var el in elements) attrs.Add(ConstantOf(el, call, arg.Parameter?.Name));
                continue;
            }
            attrs.Add(ConstantOf(arg.Value, call, arg.Parameter?.Name));
        }

        string src = call.ToString();
        if (op.Expand is { } expand) return expand(new CallExpansion(this, call), args.ToArray(), attrs.ToArray());
        if (op.Broadcasts) return AddBinary(op.Name, args[0], args[1], call);

        // Class labels and targets of losses are data, not differentiable values.
        if (op.Label is { } label && _fromTrainable.Contains(args[label.Index]))
        {
            Report(DiagnosticDescriptors.NotDifferentiable, call.ArgumentList.Arguments.Count > label.Index ? call.ArgumentList.Arguments[label.Index] : call,
                label.Noun, op.Name, label.Reason);
            throw new Abort();
        }
        var outcome = ShapeRules.Infer(op.Name, args.Select(a => _nodes[a].Shape).ToList(), attrs.ToArray());
        if (outcome.Shape is null) throw ShapeError(call, outcome.Error ?? "the shapes do not fit", ArgumentFix);
        CheckRank(outcome.Shape, call, $"The result of {op.Name}");
        // A mask is a value of its own: the trainer fills it, the package takes it as an input.
        if (op.MaskOp is { } maskOp)
            args.Add(AddWithAttrs(maskOp, Array.Empty<int>(), outcome.Shape, new double[] { 0 }, "", "mask of " + src));
        return AddWithAttrs(op.Name, args.ToArray(), outcome.Shape, outcome.Attrs, "", src);
    }

    private double ConstantOf(IOperation value, SyntaxNode at, string? parameter)
    {
        var c = value.ConstantValue;
        if (!c.HasValue || c.Value is null or string)
        {
            Fail(value.Syntax ?? at, $"The argument '{parameter}'", "op options must be compile-time constants (numbers or bools)");
        }
        return c.Value is bool b ? (b ? 1 : 0) : Convert.ToDouble(c.Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A composite op's expansion at one call: its nodes are the parser's, its source the call.</summary>
    private sealed class CallExpansion : IExpansionBuilder
    {
        private readonly ModelParser _parser;
        private readonly InvocationExpressionSyntax _call;

        public CallExpansion(ModelParser parser, InvocationExpressionSyntax call) { _parser = parser; _call = call; }

        public EquatableArray<int> ShapeOf(int id) => _parser._nodes[id].Shape;
        public int Binary(string op, int a, int b) => _parser.AddBinary(op, a, b, _call);
        public int ReduceAll(string op, int a) => _parser.Add(op, new[] { a }, Array.Empty<int>(), 0, "", _call.ToString());
        public Exception ShapeMismatch(string problem) => _parser.ShapeError(_call, problem, ShapeFix);
    }
}

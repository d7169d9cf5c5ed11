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

internal sealed partial class ModelParser
{
    // ---------------------------------------------------------------- ops and shapes

    /// <summary>
    /// A call to a runtime method marked [Op]: Tensor arguments become operands, every other
    /// argument (including defaulted ones) must be a compile-time constant and becomes an attribute.
    /// </summary>
    private int OpCall(string opName, InvocationExpressionSyntax call, Scope scope)
    {
        var op = OpTable.Find(opName);
        if (op is null || op.Name is "linear" or "parameter" ||
            scope.Model.GetOperation(call, _ct) is not IInvocationOperation invocation)
        {
            Report(DiagnosticDescriptors.UnknownCall, call.Expression, call.Expression.ToString());
            throw new Abort();
        }
        var args = new List<int>();
        var attrs = new List<double>();
        foreach (var arg in invocation.Arguments.OrderBy(a => a.Parameter?.Ordinal ?? 0))
        {
            if (arg.Parameter?.Type.ToDisplayString() == KnownNames.Tensor)
            {
                if (arg.Value.Syntax is not ExpressionSyntax e) Fail(call, $"The argument '{arg.Parameter.Name}'", "pass a tensor expression");
                args.Add(Eval((ExpressionSyntax)arg.Value.Syntax, scope));
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
        if (op.Name == "mse_loss")
        {
            // torch.nn.functional.mse_loss(reduction='mean') = mean((p − t)²), lowered to primitives.
            if (!_nodes[args[0]].Shape.Equals(_nodes[args[1]].Shape))
            {
                throw ShapeError(call, $"mse_loss needs prediction and target of one shape, but gets {FormatShape(_nodes[args[0]].Shape)} and {FormatShape(_nodes[args[1]].Shape)}", ShapeFix);
            }
            int d = AddBinary("sub", args[0], args[1], call);
            int sq = AddBinary("mul", d, d, call);
            return Add(attrs.Count > 0 && attrs[0] == 1 ? "sum" : "mean", new[] { sq }, Array.Empty<int>(), 0, "", src);
        }
        if (op.Broadcasts) return AddBinary(op.Name, args[0], args[1], call);

        // Class labels and targets of these losses are data, not differentiable values.
        if (op.Name is "cross_entropy" or "nll_loss" or "bce_with_logits" && _fromTrainable.Contains(args[1]))
        {
            Report(DiagnosticDescriptors.NotDifferentiable, call.ArgumentList.Arguments.Count > 1 ? call.ArgumentList.Arguments[1] : call,
                op.Name == "bce_with_logits" ? "targets" : "labels", op.Name, op.Name == "bce_with_logits" ? "only the logits are differentiated" : "class indices have no derivative");
            throw new Abort();
        }
        var outcome = ShapeRules.Infer(op.Name, args.Select(a => _nodes[a].Shape).ToList(), attrs.ToArray());
        if (outcome.Shape is null)
        {
            throw ShapeError(call, RuleClause(outcome.Error), ArgumentFix);
        }
        CheckRank(outcome.Shape, call, $"The result of {op.Name}");
        if (op.Name == "dropout")
        {
            // The mask is a value of its own: the trainer fills it, the package takes it as an input.
            int mask = AddWithAttrs("dropout_mask", Array.Empty<int>(), outcome.Shape, new double[] { 0 }, "", "mask of " + src);
            return AddWithAttrs("dropout", new[] { args[0], mask }, outcome.Shape, outcome.Attrs, "", src);
        }
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

    private int AddBinary(string op, int a, int b, SyntaxNode at)
    {
        var shape = BroadcastShapes(_nodes[a].Shape, _nodes[b].Shape);
        if (shape is null)
        {
            throw ShapeError(at, $"'{OneLine(at.ToString())}' combines shapes {FormatShape(_nodes[a].Shape)} and {FormatShape(_nodes[b].Shape)}, which do not broadcast", ShapeFix);
        }
        return Add(op, new[] { a, b }, shape, 0, "", at.ToString());
    }

    /// <summary>NumPy broadcasting where the batch dimension only matches itself or 1.</summary>
    internal static int[]? BroadcastShapes(EquatableArray<int> a, EquatableArray<int> b)
    {
        int r = Math.Max(a.Count, b.Count);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Count ? 1 : a[i - (r - a.Count)];
            int db = i < r - b.Count ? 1 : b[i - (r - b.Count)];
            if (da == db || db == 1) o[i] = da;
            else if (da == 1) o[i] = db;
            else return null;
        }
        return o;
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

    /// <summary>Records the user's local name on the value it now holds (the first name wins), so generated code can use it.</summary>
    private int NameLocal(int id, string local)
    {
        if (_nodes[id].Display.Length == 0 && _nodes[id].Op is not ("input" or "param" or "const"))
            _nodes[id] = _nodes[id] with { Display = local };
        return id;
    }

    private static string OneLine(string s)
    {
        var t = SourceSnippet.OneLine(s);
        return t.Length > 100 ? t.Substring(0, 97) + "..." : t;
    }

    internal static string FormatShape(EquatableArray<int> s) => ShapeRules.Format(s);

    /// <summary>All nodes the given nodes depend on (including themselves).</summary>
    private HashSet<int> Reachable(IEnumerable<int> roots) => IrQueries.Reachable(_nodes, roots);

    // ---------------------------------------------------------------- declarations

    private (IMethodSymbol? Method, MethodDeclarationSyntax? Syntax) FindForward(INamedTypeSymbol type, string attribute, SyntaxNode? usedAt = null)
    {
        var candidates = type.GetMembers(KnownNames.ForwardMethod).OfType<IMethodSymbol>().ToList();
        var syntax = candidates.Count == 1
            ? candidates[0].DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault()
            : null;
        if (syntax is null)
        {
            if (usedAt is not null) Report(DiagnosticDescriptors.NoForward, usedAt, type.Name, attribute);
            else _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoForward, // at the class name, not the whole class
                type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<ClassDeclarationSyntax>().FirstOrDefault()?.Identifier.GetLocation(),
                type.Name, attribute));
            return (null, null);
        }
        return (candidates[0], syntax);
    }

    private int[] ReadShape(IParameterSymbol parameter, INamedTypeSymbol owner)
    {
        var shapeAttr = parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownNames.ShapeAttribute);
        var at = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_ct);
        if (parameter.Type.ToDisplayString() != KnownNames.Tensor)
        {
            Fail(at!, $"The input '{parameter.Name}' of type {parameter.Type.ToDisplayString()}", "training model inputs are Tensors");
        }
        if (shapeAttr is null)
        {
            Report(DiagnosticDescriptors.MissingShape, at, parameter.Name, owner.Name);
            throw new Abort();
        }
        // A [Shape] that is there but unusable is TG0007, at the attribute (ShapeAttributeRule.Check).
        if (ShapeAttributeRule.Check(shapeAttr, _ct) is { } problem)
        {
            Report(DiagnosticDescriptors.InvalidShape, problem.At ?? at, parameter.Name, problem.Reason);
            throw new Abort();
        }
        var shape = shapeAttr.ConstructorArguments[0].Values.Select(v => (int)v.Value!).ToArray();
        CheckRank(shape, shapeAttr.ApplicationSyntaxReference?.GetSyntax(_ct) ?? at, $"The input '{parameter.Name}'");
        return shape;
    }

    /// <summary>TG3002: Core ML rejects a package with any tensor of rank above 5, so the model's own values must stay within it.</summary>
    private void CheckRank(int[] shape, SyntaxNode? at, string what)
    {
        if (shape.Length <= MaxRank) return;
        Report(DiagnosticDescriptors.RankTooHigh, at, what, shape.Length, FormatShape(shape.ToEquatable()));
        throw new Abort();
    }

    /// <summary>Core ML's tensor rank limit ("Core ML only supports tensors with rank &lt;= 5").</summary>
    internal const int MaxRank = 5;

    private Optimizer? ParseOptimizer(INamedTypeSymbol type)
    {
        var attr = type.GetAttributes().FirstOrDefault(a => DerivesFrom(a.AttributeClass, KnownNames.OptimizerAttribute));
        if (attr?.AttributeClass is null)
        {
            var cls = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<ClassDeclarationSyntax>().FirstOrDefault();
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoOptimizer, cls?.Identifier.GetLocation(), type.Name));
            return null;
        }
        var at = attr.ApplicationSyntaxReference?.GetSyntax(_ct) as AttributeSyntax;
        bool ok = true;
        foreach (var problem in OptimizerRules.Check(attr))
        {
            ok = false;
            var arg = at?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == problem.Argument);
            Report(DiagnosticDescriptors.InvalidHyperParameter, (SyntaxNode?)arg ?? at, problem.Argument, problem.Value, problem.Reason);
        }
        if (!ok) return null;
        var args = attr.NamedArguments.Select(kv => new OptimizerArgument(kv.Key, Literals.Of(kv.Value))).ToEquatable();
        string display = attr.AttributeClass.Name.EndsWith("Attribute", StringComparison.Ordinal)
            ? attr.AttributeClass.Name.Substring(0, attr.AttributeClass.Name.Length - "Attribute".Length)
            : attr.AttributeClass.Name;
        return new Optimizer(attr.AttributeClass.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), display, args);
    }

    private static bool DerivesFrom(INamedTypeSymbol? type, string metadataName)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.ToDisplayString() == metadataName) return true;
        return false;
    }

    private static List<string> OutputNames(IMethodSymbol forward, int count, IEnumerable<string> inputNames)
    {
        var taken = new HashSet<string>(inputNames, StringComparer.Ordinal) { "loss", "learning_rate", "step" };
        var names = new List<string>();
        var elements = (forward.ReturnType as INamedTypeSymbol)?.TupleElements ?? default;
        for (int i = 1; i < count; i++)
        {
            var field = !elements.IsDefault && i < elements.Length ? elements[i] : null;
            string name = field is not null && !field.IsImplicitlyDeclared && field.Name != field.CorrespondingTupleField?.Name
                ? StateNames.ToSnake(field.Name)
                : field is not null && !field.Name.StartsWith("Item", StringComparison.Ordinal) ? StateNames.ToSnake(field.Name) : $"output_{i}";
            name = InputName(name);
            while (!taken.Add(name)) name += "_out";
            names.Add(name);
        }
        return names;
    }

    /// <summary>A MIL-safe name for an input (reserved words such as <c>state</c> get a suffix).</summary>
    internal static string InputName(string name)
    {
        var reserved = new HashSet<string>(StringComparer.Ordinal)
        { "any", "bool", "program", "func", "tensor", "list", "dict", "tuple", "true", "false", "string", "state",
          "bf16", "fp16", "fp32", "fp64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64" };
        return reserved.Contains(name) ? name + "_workaround" : name;
    }

    private static string LossDisplayName(MethodDeclarationSyntax forward, SemanticModel model)
    {
        var first = LossRule.FirstOutput(LossRule.ReturnedExpressions(forward).First());
        while (first is ParenthesizedExpressionSyntax p) first = p.Expression;
        if (first is IdentifierNameSyntax id && model.GetSymbolInfo(id).Symbol is ILocalSymbol local &&
            local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } init })
            first = init;
        return first is InvocationExpressionSyntax call && model.GetSymbolInfo(call).Symbol is IMethodSymbol m
            ? m.ContainingType.Name + "." + m.Name
            : first.ToString();
    }

    // ---------------------------------------------------------------- symbols

    private static bool HasAttribute(ISymbol symbol, string metadataName) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == metadataName);

    private static string? OpName(ISymbol symbol)
    {
        foreach (var a in symbol.GetAttributes())
            if (a.AttributeClass?.ToDisplayString() == KnownNames.OpAttribute && a.ConstructorArguments.Length == 1)
                return a.ConstructorArguments[0].Value as string;
        return null;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---------------------------------------------------------------- diagnostics

    private void Report(DiagnosticDescriptor d, SyntaxNode? at, params object?[] args) =>
        _diagnostics.Add(DiagnosticInfo.Create(d, at, args));

    private void Fail(SyntaxNode at, string construct, string reason)
    {
        Report(UnsupportedConstructs.For(at), at, construct, reason);
        throw new Abort();
    }
}

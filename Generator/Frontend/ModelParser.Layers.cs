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

/// <summary>
/// Layers: <c>layer.Forward(x)</c> on a layer property becomes the node its <see cref="LayerSpec"/>
/// describes, with the layer's parameters as operands. The constructor arguments are read from
/// the property's initializer, so they must be compile-time constants.
/// </summary>
internal sealed partial class ModelParser
{
    private int Layer(LayerSpec spec, IPropertySymbol prop, MemberAccessExpressionSyntax at, string prefix, string access, bool frozen, int[] args, string order)
    {
        if (args.Length != spec.Inputs)
            Fail(at, $"{spec.Display}.Forward with {(spec.Inputs == 0 ? "arguments" : "several arguments")}", $"it takes {spec.Takes}");
        var entry = OpTable.Get(spec.Op);
        for (int i = 0; i < args.Length; i++)
            if (!entry.AcceptsInteger(i)) RequireFloat(args[i], ArgumentAt(at, i), $"{prop.Name}.Forward");
        var creation = LayerCreation(prop, at);
        var a = LayerArguments(spec, prop, creation);
        if (spec.TakesIndices && _fromTrainable.Contains(args[0]))
        {
            Report(DiagnosticDescriptors.NotDifferentiable, at.Parent, "indices", $"{prop.Name}.Forward", "integer indices have no derivative");
            throw new Abort();
        }
        if (spec.Invalid(a) is { } why) Reject(spec.InvalidAtCall ? at : creation.Syntax, prop, why);

        int[]? shape = null;
        if (spec.Inputs == 1)
        {
            var xs = _nodes[args[0]].Shape;
            shape = spec.Output(a, xs) ?? throw ShapeError(at.Parent!, $"{spec.Requirement(a, prop.Name)}, but gets {FormatShape(xs)}", ShapeFix);
        }

        // A layer that is its one parameter (Parameter) has the layer's own path and order key.
        bool single = spec.Params.Count == 1 && spec.Params[0].Name.Length == 0;
        var operands = new List<int>(args);
        for (int i = 0; i < spec.Params.Count; i++)
        {
            var p = spec.Params[i];
            if (p.When?.Invoke(a) == false) { operands.Add(-1); continue; }
            var dims = p.Shape(a);
            CheckRank(dims, creation.Syntax, $"{spec.Display} '{prop.Name}'");
            operands.Add(ParamNode(single ? prefix : prefix + "." + p.Name, access + "." + p.Member, dims, frozen, spec.FanIn(a),
                single ? order : order + i.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Init, p.IsBuffer));
        }
        if (shape is null) return operands[operands.Count - 1];
        CheckRank(shape, at.Parent, $"The result of {prop.Name}.Forward");
        string counter = spec.Counter is { } c ? CounterOf(prefix + "." + c.Name, access + "." + c.Member, order) : "";
        return AddWithAttrs(spec.Op, operands.ToArray(), shape, spec.Attrs(a), counter, at.Parent!.ToString());
    }

    /// <summary>The constant constructor arguments of a layer (bools as 0/1), over the spec's defaults.</summary>
    private LayerArgs LayerArguments(LayerSpec spec, IPropertySymbol prop, IObjectCreationOperation creation)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var d in spec.Defaults) values[d.Key] = d.Value;
        var dims = new List<int>();
        foreach (var arg in creation.Arguments)
        {
            if (spec.DimsUsage is { } usage)
            {
                if (arg.ArgumentKind == ArgumentKind.ParamArray && arg.Value is IArrayCreationOperation array && array.Initializer is { } init)
                    foreach (var el in init.ElementValues)
                        dims.Add(el.ConstantValue.Value is int d && d > 0 ? d : Reject(el.Syntax, prop, $"{spec.Display} dimensions must be positive constants"));
                else Reject(arg.Syntax, prop, usage);
                continue;
            }
            // A nullable parameter (float? momentum) sees its constant through an implicit conversion.
            var value = arg.Value;
            while (!value.ConstantValue.HasValue && value is IConversionOperation { IsImplicit: true } conversion) value = conversion.Operand;
            var c = value.ConstantValue;
            if (c.HasValue && c.Value is null && arg.Parameter?.Type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
            {
                values[arg.Parameter.Name] = LayerArgs.Null; // momentum: null
                continue;
            }
            if (!c.HasValue || c.Value is null or string) Reject(arg.Syntax, prop, $"argument '{arg.Parameter?.Name}' must be a compile-time constant");
            values[arg.Parameter?.Name ?? ""] = c.Value is bool flag ? (flag ? 1 : 0) : Convert.ToDouble(c.Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return new LayerArgs(values, dims);
    }

    private int Reject(SyntaxNode at, IPropertySymbol prop, string why)
    {
        Report(DiagnosticDescriptors.UnsupportedLayer, at, prop.Name, why);
        throw new Abort();
    }

    private IObjectCreationOperation LayerCreation(IPropertySymbol prop, SyntaxNode usedAt)
    {
        var decl = prop.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
        if (decl?.Initializer?.Value is not { } init)
        {
            Reject((SyntaxNode?)decl ?? usedAt, prop, "a layer property needs an initializer such as '= new(2, 1);' with constant sizes");
            throw new Abort();
        }
        if (_compilation.GetSemanticModel(decl.SyntaxTree).GetOperation(init, _ct) is not IObjectCreationOperation creation)
        {
            Reject(init, prop, "the initializer must create the layer with 'new'");
            throw new Abort();
        }
        return creation;
    }

    /// <summary>A layer's int64 counter, once per path (a layer used twice counts both passes in one counter).</summary>
    private string CounterOf(string path, string access, string order)
    {
        if (!_counters.Any(k => k.Counter.Path == path)) _counters.Add((new Counter(path, StateNames.ToMil(path), access), order));
        return path;
    }

    private int ParamNode(string path, string access, int[] shape, bool frozen, int fanIn, string order, string init = "uniform", bool buffer = false)
    {
        if (_paramNodes.TryGetValue(path, out int existing)) return existing; // a layer used twice shares weights
        int index = _params.Count;
        _params.Add(new Param(path, StateNames.ToMil(path), access, shape.ToEquatable(), !frozen && !buffer, fanIn, init, buffer));
        _paramOrder.Add(order);
        int id = Add("param", Array.Empty<int>(), shape, 0, index.ToString(System.Globalization.CultureInfo.InvariantCulture), path);
        if (!frozen && !buffer) _fromTrainable.Add(id);
        _paramNodes[path] = id;
        return id;
    }
}

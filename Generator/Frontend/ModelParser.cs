using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Lowers a [TrainingModel] class to <see cref="TrainingModelIr"/>: straight-line SSA over the
/// op table, with submodel Forward calls and [Loss] functions inlined and every value's static
/// shape inferred. This is the only code that reads Roslyn symbols. Anything it cannot lower is a
/// diagnostic at the exact syntax node, never an exception.
/// </summary>
internal sealed partial class ModelParser
{
    private readonly Compilation _compilation;
    private readonly CancellationToken _ct;
    private readonly List<Node> _nodes = new();
    private readonly List<Param> _params = new();
    private readonly Dictionary<string, int> _paramNodes = new(StringComparer.Ordinal);
    private readonly List<string> _paramOrder = new();
    // Values that depend on a trainable parameter (for TG2001).
    private readonly HashSet<int> _fromTrainable = new();
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private int _inlineDepth;

    private ModelParser(Compilation compilation, CancellationToken ct)
    {
        _compilation = compilation;
        _ct = ct;
    }

    /// <summary>Thrown only inside the parser to stop at the first construct it reported.</summary>
    private sealed class Abort : Exception { }

    /// <summary>Where an expression is evaluated: the model instance path and the locals in scope.</summary>
    private sealed class Scope
    {
        public Scope(string prefix, string access, bool frozen, SemanticModel model, string order = "")
        {
            Prefix = prefix; Access = access; Frozen = frozen; Model = model; Order = order;
        }
        /// <summary>Sort key of this model instance: the declaration positions of the properties leading to it.</summary>
        public string Order { get; }
        public string Prefix { get; }
        public string Access { get; }
        public bool Frozen { get; }
        public SemanticModel Model { get; }
        public Dictionary<ISymbol, int> Locals { get; } = new(SymbolEqualityComparer.Default);
    }

    public static Result<TrainingModelIr> Parse(INamedTypeSymbol type, Compilation compilation, CancellationToken ct)
    {
        var p = new ModelParser(compilation, ct);
        TrainingModelIr? ir = null;
        try { ir = p.ParseTrainingModel(type); }
        catch (Abort) { }
        return new Result<TrainingModelIr>(ir, p._diagnostics.ToEquatable());
    }

    private TrainingModelIr? ParseTrainingModel(INamedTypeSymbol type)
    {
        if (ReportIfGeneric(type, "TrainingModel")) return null;
        var (forward, syntax) = FindForward(type, "TrainingModel");
        if (forward is null || syntax is null) return null;
        var model = _compilation.GetSemanticModel(syntax.SyntaxTree);

        // TG0001 is the analyzer's to report; without a loss first there is nothing to train.
        if (LossRule.NonLossFirstOutputs(syntax, model).Any()) return null;

        var optimizer = ParseOptimizer(type);

        var scope = new Scope("", "model", false, model);
        var inputs = new List<Input>();
        foreach (var parameter in forward.Parameters)
        {
            var shape = ReadShape(parameter, type);
            int id = Add("input", Array.Empty<int>(), shape, 0, parameter.Name, parameter.Name);
            scope.Locals[parameter] = id;
            inputs.Add(new Input(InputName(parameter.Name), shape.ToEquatable(), false, id));
        }

        var returned = EvaluateBody(syntax, scope, expectTuple: true);
        int loss = returned[0];
        if (_nodes[loss].Shape.Count != 0)
        {
            Report(DiagnosticDescriptors.LossNotScalar, LossRule.FirstOutput(LossRule.ReturnedExpressions(syntax).First()), type.Name, FormatShape(_nodes[loss].Shape));
            return null;
        }
        if (returned.Count == 1) { ReportOnlyLoss(type, syntax); return null; }
        if (optimizer is null) return null;

        // An output that is an input or a parameter gets its own value (a copy), so every output
        // has a buffer in the trainer and a distinct name in the package.
        for (int k = 1; k < returned.Count; k++)
            if (_nodes[returned[k]].Op is "input" or "param")
                returned[k] = AddWithAttrs("reshape", new[] { returned[k] }, _nodes[returned[k]].Shape.ToArray(), Array.Empty<double>(), "", _nodes[returned[k]].Source);
        var names = OutputNames(forward, returned.Count, inputs.Select(i => i.Name));
        var outputs = returned.Skip(1).Select((id, i) => new Output(names[i], id)).ToList();

        // Inputs that feed a prediction are features; the rest (used only by the loss) are labels.
        var feedsPrediction = Reachable(outputs.Select(o => o.NodeId));
        inputs = inputs.Select(i => i with { IsLabel = !feedsPrediction.Contains(i.NodeId) }).ToList();

        if (_diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error)) return null;
        if (ReportIfNothingTrainable(type)) return null;
        SortParametersByDeclaration();
        NumberDropouts();
        foreach (var input in inputs)
            if (_params.FirstOrDefault(p => p.MilName == input.Name || TrainingNamesClash(p.MilName, input.Name)) is { } clash)
            {
                var at = forward.Parameters.First(q => InputName(q.Name) == input.Name).DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_ct);
                Report(DiagnosticDescriptors.DuplicateName, at, input.Name, clash.Path);
                return null;
            }

        var containing = new List<string>();
        for (var t = type.ContainingType; t is not null; t = t.ContainingType) containing.Insert(0, t.Name);
        return new TrainingModelIr(
            type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
            containing.ToEquatable(),
            type.Name,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            LossDisplayName(syntax, model),
            _nodes.ToEquatable(),
            _params.ToEquatable(),
            inputs.ToEquatable(),
            loss,
            outputs.ToEquatable(),
            optimizer,
            SpotOf(type));
    }

    /// <summary>
    /// Orders parameters as PyTorch's state_dict does: by declaration (property order, depth
    /// first), not by first use in Forward; parameter nodes are renumbered to match.
    /// </summary>
    private void SortParametersByDeclaration()
    {
        var order = Enumerable.Range(0, _params.Count).OrderBy(i => _paramOrder[i], StringComparer.Ordinal).ToList();
        var newIndex = new int[order.Count];
        for (int k = 0; k < order.Count; k++) newIndex[order[k]] = k;
        var sorted = order.Select(i => _params[i]).ToList();
        _params.Clear(); _params.AddRange(sorted);
        for (int id = 0; id < _nodes.Count; id++)
            if (_nodes[id].Op == "param")
                _nodes[id] = _nodes[id] with { Name = newIndex[int.Parse(_nodes[id].Name, System.Globalization.CultureInfo.InvariantCulture)].ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    /// <summary>Gives every dropout its ordinal (its mask is package input dropout_mask_{ordinal}).</summary>
    private void NumberDropouts()
    {
        int k = 0;
        for (int id = 0; id < _nodes.Count; id++)
            if (_nodes[id].Op == "dropout_mask")
                _nodes[id] = _nodes[id] with { Attrs = new double[] { k++ }.ToEquatable() };
    }

    /// <summary>True when an input would collide with a name the package derives from a parameter.</summary>
    private static bool TrainingNamesClash(string param, string input) =>
        input == param + "_grad" || input == param + "_new" || input.StartsWith(param + "_", StringComparison.Ordinal) && input.EndsWith("_new", StringComparison.Ordinal);

    private SourceSpot? SpotOf(INamedTypeSymbol type)
    {
        var decl = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<ClassDeclarationSyntax>().FirstOrDefault();
        if (decl is null) return null;
        var line = decl.Identifier.GetLocation().GetLineSpan();
        return new SourceSpot(decl.SyntaxTree.FilePath, decl.Identifier.Span.Start, decl.Identifier.Span.Length,
            line.StartLinePosition.Line, line.StartLinePosition.Character, line.EndLinePosition.Line, line.EndLinePosition.Character);
    }

    /// <summary>A fixed-width sort key for a property: its file and position.</summary>
    private static string DeclarationKey(IPropertySymbol prop)
    {
        var r = prop.DeclaringSyntaxReferences.FirstOrDefault();
        return $"{r?.SyntaxTree.FilePath}#{r?.Span.Start ?? 0:D9}/";
    }

    // ---------------------------------------------------------------- bodies and statements

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

    // ---------------------------------------------------------------- expressions

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
        if (scope.Model.GetSymbolInfo(call, _ct).Symbol is not IMethodSymbol method)
        {
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
            string prefix = Join(scope.Prefix, StateNames.ToSnake(prop.Name));
            string access = scope.Access + "." + prop.Name;
            string order = scope.Order + DeclarationKey(prop);
            ReportIfInaccessible(prop, scope);
            if (prop.Type is INamedTypeSymbol pt && OpName(pt) == "linear")
                return LinearLayer(prop, ma, prefix, access, frozen, args, order);
            if (prop.Type is INamedTypeSymbol ptn && OpName(ptn) == "layer_norm")
                return LayerNormLayer(prop, ma, prefix, access, frozen, args, order);
            if (prop.Type is INamedTypeSymbol ptb && OpName(ptb) == "batch_norm2d")
                return BatchNormLayer(prop, ma, prefix, access, frozen, args, order);
            if (prop.Type is INamedTypeSymbol pte && OpName(pte) == "embedding")
                return EmbeddingLayer(prop, ma, prefix, access, frozen, args, order);
            if (prop.Type is INamedTypeSymbol ptc && OpName(ptc) == "conv2d")
                return ConvLayer(prop, ma, prefix, access, frozen, args, order);
            if (prop.Type is INamedTypeSymbol ptp && OpName(ptp) == "parameter")
                return ParameterLayer(prop, ma, prefix, access, frozen, args, order);
            if (prop.Type is INamedTypeSymbol mt && HasAttribute(mt, KnownNames.ModelAttribute))
                return ReportIfGeneric(mt, "Model") ? throw new Abort() : InlineModel(mt, call, prefix, access, frozen, args, order);
        }
        if (method.Name == KnownNames.ForwardMethod && call.Expression is MemberAccessExpressionSyntax member)
            ReportMisdeclaredLayer(member, scope.Model.GetSymbolInfo(member.Expression, _ct).Symbol);

        Report(DiagnosticDescriptors.UnknownCall, call.Expression, method.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat));
        throw new Abort();
    }

    private int InlineLoss(InvocationExpressionSyntax call, IMethodSymbol method, Scope scope)
    {
        var args = call.ArgumentList.Arguments.Select(a => Eval(a.Expression, scope)).ToArray();
        var decl = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (decl is null) Fail(call, $"The [Loss] method '{method.Name}'", "its source must be in this compilation so it can be differentiated");
        var inner = new Scope(scope.Prefix, scope.Access, scope.Frozen, _compilation.GetSemanticModel(decl!.SyntaxTree), scope.Order);
        BindParameters(method, args, inner, call);
        return Inlined(() => EvaluateBody(decl, inner, expectTuple: false)[0], call);
    }

    private int InlineModel(INamedTypeSymbol modelType, InvocationExpressionSyntax call, string prefix, string access, bool frozen, int[] args, string order)
    {
        var (forward, syntax) = FindForward(modelType, "Model", call);
        if (forward is null || syntax is null) throw new Abort();
        var inner = new Scope(prefix, access, frozen, _compilation.GetSemanticModel(syntax.SyntaxTree), order);
        BindParameters(forward, args, inner, call);
        return Inlined(() => EvaluateBody(syntax, inner, expectTuple: false)[0], call);
    }

    private int Inlined(Func<int> body, SyntaxNode at)
    {
        if (++_inlineDepth > 32) Fail(at, "Recursion between models or losses", "models must form a tree");
        _inlinedCalls.Add(at);
        try { return body(); }
        finally { _inlineDepth--; _inlinedCalls.RemoveAt(_inlinedCalls.Count - 1); }
    }

    private void BindParameters(IMethodSymbol method, int[] args, Scope scope, InvocationExpressionSyntax call)
    {
        if (method.Parameters.Length != args.Length)
            Fail(call, $"Calling '{method.Name}' with {args.Length} arguments", "pass exactly one tensor per parameter");
        for (int i = 0; i < args.Length; i++) scope.Locals[method.Parameters[i]] = args[i];
    }

    private int LinearLayer(IPropertySymbol prop, MemberAccessExpressionSyntax at, string prefix, string access, bool frozen, int[] args, string order)
    {
        if (args.Length != 1) Fail(at, "Linear.Forward with several arguments", "it takes one input");
        var (inF, outF, bias) = LinearConfig(prop, at);
        int x = args[0];
        var xs = _nodes[x].Shape;
        if (xs.Count < 2 || xs[xs.Count - 1] != inF)
        {
            throw ShapeError(at.Parent!, $"Linear({inF}, {outF}) '{prop.Name}' needs an input of shape [batch, ..., {inF}], but gets {FormatShape(xs)}", ShapeFix);
        }
        int w = ParamNode(prefix + ".weight", access + ".Weight", new[] { outF, inF }, frozen, inF, order + "0");
        int b = bias ? ParamNode(prefix + ".bias", access + ".Bias!", new[] { outF }, frozen, inF, order + "1") : -1;
        var shape = xs.ToArray();
        shape[shape.Length - 1] = outF;
        return Add("linear", new[] { x, w, b }, shape, 0, "", at.Parent!.ToString());
    }

    private int ParameterLayer(IPropertySymbol prop, MemberAccessExpressionSyntax at, string prefix, string access, bool frozen, int[] args, string order)
    {
        if (args.Length != 0) Fail(at, "Parameter.Forward with arguments", "it takes none");
        var creation = LayerCreation(prop, at);
        var dims = new List<int>();
        foreach (var arg in creation.Arguments)
        {
            if (arg.ArgumentKind == ArgumentKind.ParamArray && arg.Value is IArrayCreationOperation array && array.Initializer is { } init)
                foreach (var el in init.ElementValues)
                    dims.Add(el.ConstantValue.Value is int d && d > 0 ? d : Reject(el.Syntax, prop, "Parameter dimensions must be positive constants"));
            else Reject(arg.Syntax, prop, "Parameter takes its shape as constant dimensions, e.g. new(4, 8)");
        }
        if (dims.Count == 0) Reject(at, prop, "Parameter needs at least one dimension");
        CheckRank(dims.ToArray(), creation.Syntax, $"Parameter '{prop.Name}'");
        return ParamNode(prefix, access + ".Value", dims.ToArray(), frozen, dims[dims.Count - 1], order);
    }

    /// <summary>A Conv2d layer: x [n, in, h, w] → [n, out, h', w'] with attrs (k, stride, padding, dilation, groups).</summary>
    private int ConvLayer(IPropertySymbol prop, MemberAccessExpressionSyntax at, string prefix, string access, bool frozen, int[] args, string order)
    {
        if (args.Length != 1) Fail(at, "Conv2d.Forward with several arguments", "it takes one input");
        var creation = LayerCreation(prop, at);
        var v = new Dictionary<string, int>(StringComparer.Ordinal) { ["stride"] = 1, ["padding"] = 0, ["dilation"] = 1, ["groups"] = 1, ["bias"] = 1 };
        foreach (var arg in creation.Arguments)
        {
            var c = arg.Value.ConstantValue;
            if (!c.HasValue) Reject(arg.Syntax, prop, $"argument '{arg.Parameter?.Name}' must be a compile-time constant");
            v[arg.Parameter?.Name ?? ""] = c.Value is bool flag ? (flag ? 1 : 0) : Convert.ToInt32(c.Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        int ci = v["inChannels"], co = v["outChannels"], k = v["kernelSize"], st = v["stride"], pad = v["padding"], dil = v["dilation"], g = v["groups"];
        if (ci <= 0 || co <= 0 || k <= 0 || st <= 0 || pad < 0 || dil <= 0 || g <= 0 || ci % g != 0 || co % g != 0)
            Reject(creation.Syntax, prop, "Conv2d sizes must be positive, padding ≥ 0, and groups must divide both channel counts");
        int x = args[0];
        var xs = _nodes[x].Shape;
        int oh = xs.Count == 4 ? (xs[2] + 2 * pad - dil * (k - 1) - 1) / st + 1 : 0, ow = xs.Count == 4 ? (xs[3] + 2 * pad - dil * (k - 1) - 1) / st + 1 : 0;
        if (xs.Count != 4 || xs[1] != ci || xs[2] == Dims.Batch || xs[3] == Dims.Batch || oh <= 0 || ow <= 0)
        {
            throw ShapeError(at.Parent!, $"Conv2d({ci}, {co}, {k}) '{prop.Name}' needs an input of shape [batch, {ci}, h, w] with h, w ≥ {dil * (k - 1) + 1 - 2 * pad}, but gets {FormatShape(xs)}", ShapeFix);
        }
        int fanIn = ci / g * k * k;
        int w = ParamNode(prefix + ".weight", access + ".Weight", new[] { co, ci / g, k, k }, frozen, fanIn, order + "0");
        int b = v["bias"] != 0 ? ParamNode(prefix + ".bias", access + ".Bias!", new[] { co }, frozen, fanIn, order + "1") : -1;
        return AddWithAttrs("conv2d", new[] { x, w, b }, new[] { xs[0], co, oh, ow }, new double[] { k, st, pad, dil, g }, "", at.Parent!.ToString());
    }

    /// <summary>Constant constructor arguments of a layer by parameter name (bools as 0/1), defaults included.</summary>
    private Dictionary<string, double> LayerArgs(IPropertySymbol prop, IObjectCreationOperation creation)
    {
        var v = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var arg in creation.Arguments)
        {
            var c = arg.Value.ConstantValue;
            if (!c.HasValue || c.Value is null or string) Reject(arg.Syntax, prop, $"argument '{arg.Parameter?.Name}' must be a compile-time constant");
            v[arg.Parameter?.Name ?? ""] = c.Value is bool flag ? (flag ? 1 : 0) : Convert.ToDouble(c.Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        return v;
    }

    /// <summary>LayerNorm over the last dimension: weight (ones) and bias (zeros) of [dim]; attr ε.</summary>
    private int LayerNormLayer(IPropertySymbol prop, MemberAccessExpressionSyntax at, string prefix, string access, bool frozen, int[] args, string order)
    {
        if (args.Length != 1) Fail(at, "LayerNorm.Forward with several arguments", "it takes one input");
        var v = LayerArgs(prop, LayerCreation(prop, at));
        int dim = (int)v["normalizedShape"];
        double eps = v.TryGetValue("eps", out var e) ? e : 1e-5;
        bool affine = !v.TryGetValue("elementwiseAffine", out var a) || a != 0;
        var xs = _nodes[args[0]].Shape;
        if (xs.Count < 1 || xs[xs.Count - 1] != dim)
        {
            throw ShapeError(at.Parent!, $"LayerNorm({dim}) '{prop.Name}' needs an input of shape [..., {dim}], but gets {FormatShape(xs)}", ShapeFix);
        }
        int w = affine ? ParamNode(prefix + ".weight", access + ".Weight!", new[] { dim }, frozen, dim, order + "0", "ones") : -1;
        int b = affine ? ParamNode(prefix + ".bias", access + ".Bias!", new[] { dim }, frozen, dim, order + "1", "zeros") : -1;
        return AddWithAttrs("layer_norm", new[] { args[0], w, b }, xs.ToArray(), new[] { eps }, "", at.Parent!.ToString());
    }

    /// <summary>BatchNorm2d: weight/bias [C] trainable, running_mean/running_var [C] buffers; attrs (ε, momentum).</summary>
    private int BatchNormLayer(IPropertySymbol prop, MemberAccessExpressionSyntax at, string prefix, string access, bool frozen, int[] args, string order)
    {
        if (args.Length != 1) Fail(at, "BatchNorm2d.Forward with several arguments", "it takes one input");
        var v = LayerArgs(prop, LayerCreation(prop, at));
        int c = (int)v["numFeatures"];
        double eps = v.TryGetValue("eps", out var e) ? e : 1e-5, momentum = v.TryGetValue("momentum", out var m) ? m : 0.1;
        var xs = _nodes[args[0]].Shape;
        if (xs.Count != 4 || xs[1] != c || xs[2] == Dims.Batch || xs[3] == Dims.Batch)
        {
            throw ShapeError(at.Parent!, $"BatchNorm2d({c}) '{prop.Name}' needs an input of shape [batch, {c}, h, w], but gets {FormatShape(xs)}", ShapeFix);
        }
        int w = ParamNode(prefix + ".weight", access + ".Weight", new[] { c }, frozen, c, order + "0", "ones");
        int b = ParamNode(prefix + ".bias", access + ".Bias", new[] { c }, frozen, c, order + "1", "zeros");
        int rm = ParamNode(prefix + ".running_mean", access + ".RunningMean", new[] { c }, frozen, c, order + "2", "zeros", buffer: true);
        int rv = ParamNode(prefix + ".running_var", access + ".RunningVar", new[] { c }, frozen, c, order + "3", "ones", buffer: true);
        return AddWithAttrs("batch_norm2d", new[] { args[0], w, b, rm, rv }, xs.ToArray(), new[] { eps, momentum }, "", at.Parent!.ToString());
    }

    /// <summary>Embedding: indices [...] → [..., dim]; weight [num, dim] ~ N(0, 1).</summary>
    private int EmbeddingLayer(IPropertySymbol prop, MemberAccessExpressionSyntax at, string prefix, string access, bool frozen, int[] args, string order)
    {
        if (args.Length != 1) Fail(at, "Embedding.Forward with several arguments", "it takes the indices");
        var v = LayerArgs(prop, LayerCreation(prop, at));
        int num = (int)v["numEmbeddings"], dim = (int)v["embeddingDim"];
        if (_fromTrainable.Contains(args[0]))
        {
            Report(DiagnosticDescriptors.NotDifferentiable, at.Parent, "indices", $"{prop.Name}.Forward", "integer indices have no derivative");
            throw new Abort();
        }
        if (num <= 0 || dim <= 0) Reject(at, prop, "Embedding sizes must be positive constants");
        int w = ParamNode(prefix + ".weight", access + ".Weight", new[] { num, dim }, frozen, dim, order + "0", "normal");
        var shape = _nodes[args[0]].Shape.Concat(new[] { dim }).ToArray();
        CheckRank(shape, at.Parent, $"The result of {prop.Name}.Forward");
        return AddWithAttrs("embedding", new[] { args[0], w }, shape, Array.Empty<double>(), "", at.Parent!.ToString());
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

    private (int In, int Out, bool Bias) LinearConfig(IPropertySymbol prop, SyntaxNode usedAt)
    {
        var creation = LayerCreation(prop, usedAt);
        var init = creation.Syntax;
        int? inF = null, outF = null;
        bool bias = true;
        foreach (var arg in creation.Arguments)
        {
            var value = arg.Value.ConstantValue;
            if (!value.HasValue)
            {
                Report(DiagnosticDescriptors.UnsupportedLayer, arg.Syntax, prop.Name, $"argument '{arg.Parameter?.Name}' must be a compile-time constant");
                throw new Abort();
            }
            switch (arg.Parameter?.Name)
            {
                case "inFeatures": inF = Convert.ToInt32(value.Value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "outFeatures": outF = Convert.ToInt32(value.Value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "bias": bias = value.Value is true; break;
            }
        }
        if (inF is not > 0 || outF is not > 0)
        {
            Report(DiagnosticDescriptors.UnsupportedLayer, init, prop.Name, "Linear sizes must be positive constants");
            throw new Abort();
        }
        return (inF.Value, outF.Value, bias);
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

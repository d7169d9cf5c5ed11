using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Frontend;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>How the parser turns a use of an op into IR.</summary>
internal enum OpKind
{
    /// <summary>A call to a static <c>[Op]</c> method: operands from Tensor arguments, attributes from constants, shape from <see cref="OpEntry.Shape"/>.</summary>
    Call,
    /// <summary>A layer class marked <c>[Op]</c>: the parser's layer path reads its parameters and computes the shape.</summary>
    Layer,
    /// <summary>A call the parser expands into other entries (<see cref="OpEntry.ExpandsTo"/>); it has no rule of its own.</summary>
    Composite,
}

/// <summary>
/// One op user code can use, declared once: its name (the <c>[Op(name)]</c> on the runtime
/// method or class), how many tensor operands it takes, its shape rule, and its
/// <see cref="OpRule"/>, which holds the VJP, the trainer lowering and the MIL lowering, plus the
/// backward-only rules its VJP introduces. Nothing else in the generator lists ops.
/// </summary>
internal sealed class OpEntry
{
    public OpEntry(string name, OpKind kind, int arity, ShapeRules.Rule? shape, OpRule? forward, OpRule[] extra, string[] expandsTo, bool broadcasts)
    {
        Name = name; Kind = kind; Arity = arity; Shape = shape; Forward = forward; Extra = extra; ExpandsTo = expandsTo; Broadcasts = broadcasts;
    }

    public string Name { get; }
    public OpKind Kind { get; }
    /// <summary>Tensor operands (for a call: its Tensor parameters).</summary>
    public int Arity { get; }
    /// <summary>Output shape from operand shapes; null for layers (their parser path computes it) and composites.</summary>
    public ShapeRules.Rule? Shape { get; }
    /// <summary>The forward node's rule (VJP, trainer, MIL); null for composites.</summary>
    public OpRule? Forward { get; }
    /// <summary>Rules for the IR ops only this entry introduces: its adjoints (and dropout's mask).</summary>
    public IReadOnlyList<OpRule> Extra { get; }
    /// <summary>For a composite, the entries it is expanded into.</summary>
    public IReadOnlyList<string> ExpandsTo { get; }
    /// <summary>An elementwise binary op with NumPy broadcasting (the parser reports its mismatches with both shapes).</summary>
    public bool Broadcasts { get; }

    /// <summary>For a layer: how the parser reads its constructor, owns its parameters and checks its input.</summary>
    public LayerSpec? Layer { get; private set; }
    /// <summary>For a composite: how the parser builds it from its <see cref="ExpandsTo"/> entries.</summary>
    public Expansion? Expand { get; private set; }
    /// <summary>An operand that is data (class labels, targets): the loss must not differentiate through it.</summary>
    public LabelOperand? Label { get; private set; }
    /// <summary>The IR op of a mask the node takes as its last operand (dropout): the trainer fills it, the package takes it as an input.</summary>
    public string? MaskOp { get; private set; }

    public OpEntry WithLayer(LayerSpec layer) { Layer = layer; return this; }
    public OpEntry WithExpansion(Expansion expand) { Expand = expand; return this; }
    public OpEntry WithLabel(int index, string noun, string reason) { Label = new LabelOperand(index, noun, reason); return this; }
    public OpEntry WithMask(string maskOp) { MaskOp = maskOp; return this; }

    /// <summary>
    /// Operands that may be an int32 tensor (an <c>IntTensor</c> input): class labels, indices. The
    /// runtime method has an <c>IntTensor</c> overload for them; every other operand is float, and an
    /// integer value there is TG0020. Integer operands are data: autodiff never gives them an adjoint.
    /// </summary>
    public IReadOnlyList<int> IntegerOperands { get; private set; } = Array.Empty<int>();

    public OpEntry WithInteger(params int[] operands) { IntegerOperands = operands; return this; }

    /// <summary>Whether operand <paramref name="index"/> may be an integer tensor.</summary>
    public bool AcceptsInteger(int index) => IntegerOperands.Contains(index);
}

/// <summary>Operand <paramref name="Index"/> is data: TG2001 names it <paramref name="Noun"/> and says <paramref name="Reason"/>.</summary>
internal sealed record LabelOperand(int Index, string Noun, string Reason);

/// <summary>What a composite's expansion can build: the parser's nodes at the call being expanded.</summary>
internal interface IExpansionBuilder
{
    EquatableArray<int> ShapeOf(int id);
    /// <summary>A broadcasting binary op (its mismatch is the parser's TG3001).</summary>
    int Binary(string op, int a, int b);
    /// <summary>A reduction of every element to a scalar.</summary>
    int ReduceAll(string op, int a);
    /// <summary>TG3001 at the call: <paramref name="problem"/> is the sentence naming both shapes.</summary>
    System.Exception ShapeMismatch(string problem);
}

/// <summary>Builds a composite op from its operands and constant arguments; returns the result's id.</summary>
internal delegate int Expansion(IExpansionBuilder b, int[] args, double[] attrs);

/// <summary>The op table: every op a <c>Forward</c> body can use, one entry each.</summary>
internal static class OpTable
{
    private const string K = EmitContext.K, TP = EmitContext.TP, Mil = EmitContext.Mil;

    public static readonly IReadOnlyList<OpEntry> All = new[]
    {
        Binary("add"), Binary("sub"), Binary("mul"), Binary("div"),
        Call("neg", 1, ShapeRules.SameAsInput, new NegRule()),
        Call("relu", 1, ShapeRules.SameAsInput, new ReluRule(), new ReluGradRule()),

        Unary(new UnaryOp("sigmoid", readsOutput: true, "g * y * (1 - y)",
            (n, x, y) => $"{K}.Unary.Sigmoid({x}, {y});",
            (n, g, s, dx) => $"{K}.Unary.SigmoidBackward({g}, {s}, {dx});",
            (n, x, nm) => $"b.Unary(\"sigmoid\", {x}{nm})",
            (n, g, s, nm) => $"b.Mul(b.Mul({g}, {s}), b.Sub(b.Scalar(1f), {s}){nm})")),
        Unary(new UnaryOp("tanh", readsOutput: true, "g * (1 - y^2)",
            (n, x, y) => $"{K}.Unary.Tanh({x}, {y});",
            (n, g, s, dx) => $"{K}.Unary.TanhBackward({g}, {s}, {dx});",
            (n, x, nm) => $"b.Unary(\"tanh\", {x}{nm})",
            (n, g, s, nm) => $"b.Mul({g}, b.Sub(b.Scalar(1f), b.Mul({s}, {s})){nm})")),
        Unary(new UnaryOp("exp", readsOutput: true, "g * y",
            (n, x, y) => $"{K}.Unary.Exp({x}, {y});",
            (n, g, s, dx) => $"{TP}.Multiply({g}, {s}, {dx});",
            (n, x, nm) => $"b.Unary(\"exp\", {x}{nm})",
            (n, g, s, nm) => $"b.Mul({g}, {s}{nm})")),
        Unary(new UnaryOp("log", readsOutput: false, "g / x",
            (n, x, y) => $"{K}.Unary.Log({x}, {y});",
            (n, g, s, dx) => $"{TP}.Divide({g}, {s}, {dx});",
            (n, x, nm) => $"b.Log({x}{nm})",
            (n, g, s, nm) => $"b.RealDiv({g}, {s}{nm})")),
        Unary(new UnaryOp("sqrt", readsOutput: true, "g / (2 y)",
            (n, x, y) => $"{K}.Unary.Sqrt({x}, {y});",
            (n, g, s, dx) => $"{K}.Unary.SqrtBackward({g}, {s}, {dx});",
            (n, x, nm) => $"b.Unary(\"sqrt\", {x}{nm})",
            (n, g, s, nm) => $"b.RealDiv({g}, b.Mul({s}, b.Scalar(2f)){nm})")),
        Unary(new UnaryOp("silu", readsOutput: false, "g * s * (1 + x (1 - s)), s = sigmoid(x)",
            (n, x, y) => $"{K}.Unary.Silu({x}, {y});",
            (n, g, s, dx) => $"{K}.Unary.SiluBackward({g}, {s}, {dx});",
            (n, x, nm) => $"b.Unary(\"silu\", {x}{nm})",
            (n, g, s, nm) => $"{Mil}.MilRecipes.SiluGrad(b, {g}, {s}{nm})")),
        Unary(new UnaryOp("leaky_relu", readsOutput: false, "g where x > 0, else slope * g",
            (n, x, y) => $"{K}.Unary.LeakyRelu({x}, {Float(n.Scalar)}, {y});",
            (n, g, s, dx) => $"{K}.Unary.LeakyReluBackward({g}, {s}, {Float(n.Scalar)}, {dx});",
            (n, x, nm) => $"b.Op(\"leaky_relu\", {x}.Type, {nm.Positional}, (\"x\", {x}), (\"alpha\", {Mil}.MilTensor.Scalar({Float(n.Scalar)})))",
            (n, g, s, nm) => $"b.Select(b.Greater({s}, b.Scalar(0f)), {g}, b.Mul({g}, b.Scalar({Float(n.Scalar)})){nm})")),
        // attr: 1 for the tanh approximation. Exact: Φ(x) + x φ(x) = 0.5 (1 + erf(x/√2)) + x e^{−x²/2}/√(2π).
        Unary(new UnaryOp("gelu", readsOutput: false, "g * gelu'(x)",
            (n, x, y) => $"{K}.Unary.Gelu({x}, {Bool(n.Scalar)}, {y});",
            (n, g, s, dx) => $"{K}.Unary.GeluBackward({g}, {s}, {Bool(n.Scalar)}, {dx});",
            (n, x, nm) => $"b.Op(\"gelu\", {x}.Type, {nm.Positional}, (\"x\", {x}), (\"mode\", {Mil}.MilTensor.Scalar({(n.Scalar != 0 ? "\"TANH_APPROXIMATION\"" : "\"EXACT\"")})))",
            (n, g, s, nm) => $"b.Mul({g}, {Mil}.MilRecipes.{(n.Scalar != 0 ? "GeluTanhDerivative" : "GeluExactDerivative")}(b, {s}){nm})")),
        // torch's softplus (β = 1, threshold 20); MIL's has no threshold, which moves y and dy/dx by under e⁻²⁰.
        Unary(new UnaryOp("softplus", readsOutput: false, "g * sigmoid(x)",
            (n, x, y) => $"{K}.Unary.Softplus({x}, {y});",
            (n, g, s, dx) => $"{K}.Unary.SoftplusBackward({g}, {s}, {dx});",
            (n, x, nm) => $"b.Unary(\"softplus\", {x}{nm})",
            (n, g, s, nm) => $"b.Mul({g}, b.Sigmoid({s}){nm})")),
        // mish = x tanh(softplus(x)); MIL has no mish, so both directions are built from softplus and tanh.
        Unary(new UnaryOp("mish", readsOutput: false, "g * (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))",
            (n, x, y) => $"{K}.Unary.Mish({x}, {y});",
            (n, g, s, dx) => $"{K}.Unary.MishBackward({g}, {s}, {dx});",
            (n, x, nm) => $"b.Mul({x}, b.Tanh(b.Unary(\"softplus\", {x})){nm})",
            (n, g, s, nm) => $"b.Mul({g}, b.Add(b.Tanh(b.Unary(\"softplus\", {s})), b.Mul(b.Mul({s}, b.Sigmoid({s})), b.Sub(b.Scalar(1f), b.Unary(\"square\", b.Tanh(b.Unary(\"softplus\", {s})))))){nm})")),

        Call("softmax", 1, ShapeRules.LastAxis, new SoftmaxRule("softmax"), new SoftmaxGradRule("softmax")),
        Call("log_softmax", 1, ShapeRules.LastAxis, new SoftmaxRule("log_softmax"), new SoftmaxGradRule("log_softmax")),
        Call("mean", 1, ShapeRules.ToScalar, new ReduceAllRule("mean"), new ReduceAllGradRule("mean_grad")),
        Call("sum", 1, ShapeRules.ToScalar, new ReduceAllRule("sum"), new ReduceAllGradRule("sum_grad")),
        Call("sum_axis", 1, ShapeRules.ReduceAxis, new ReduceAxisRule("sum_axis"), new ReduceAxisGradRule("sum_axis")),
        Call("mean_axis", 1, ShapeRules.ReduceAxis, new ReduceAxisRule("mean_axis"), new ReduceAxisGradRule("mean_axis")),

        Call("flatten", 1, ShapeRules.Flatten, new ReshapeRule("flatten"), new ReshapeGradRule()),
        Call("reshape", 1, ShapeRules.Reshape, new ReshapeRule("reshape"), new ReshapeGradRule()),
        Call("permute", 1, ShapeRules.Permute, new PermuteRule()),
        Call("transpose", 1, ShapeRules.Transpose, new TransposeRule()),
        Call("concat", 2, ShapeRules.Concat, new ConcatRule()),
        Call("slice", 1, ShapeRules.Slice, new SliceRule(), new SliceGradRule()),
        Call("matmul", 2, ShapeRules.MatMul, new MatMulRule(), new MatMulGradRule("matmul_da"), new MatMulGradRule("matmul_db")),

        Call("max_pool2d", 1, ShapeRules.Pool2d, new PoolRule("max_pool2d"), new PoolGradRule("max_pool2d")),
        Call("avg_pool2d", 1, ShapeRules.Pool2d, new PoolRule("avg_pool2d"), new PoolGradRule("avg_pool2d")),
        Call("global_avg_pool", 1, ShapeRules.GlobalAvgPool, new PoolRule("global_avg_pool"), new PoolGradRule("global_avg_pool")),
        // The mask is a node of its own (the parser adds it): the trainer fills it, the package takes it as an input.
        Call("dropout", 1, ShapeRules.Dropout, new DropoutRule(), new DropoutMaskRule()).WithMask("dropout_mask"),

        // Labels: float-stored class indices, or int32 (the IntTensor overloads; the kernels and MIL recipes take either).
        Call("cross_entropy", 2, ShapeRules.CrossEntropy, new CrossEntropyRule(), new CrossEntropyGradRule()).WithLabel(1, "labels", "class indices have no derivative").WithInteger(1),
        Call("nll_loss", 2, ShapeRules.Nll, new NllRule(), new NllGradRule()).WithLabel(1, "labels", "class indices have no derivative").WithInteger(1),
        Call("l1_loss", 2, ShapeRules.PointwiseLoss, new PointwiseLossRule("l1_loss", "L1"), new PointwiseLossGradRule("l1_loss")),
        Call("huber_loss", 2, ShapeRules.PointwiseLoss, new PointwiseLossRule("huber_loss", "Huber"), new PointwiseLossGradRule("huber_loss")),
        Call("smooth_l1_loss", 2, ShapeRules.PointwiseLoss, new PointwiseLossRule("smooth_l1_loss", "SmoothL1"), new PointwiseLossGradRule("smooth_l1_loss")),
        Call("bce_with_logits", 2, ShapeRules.PointwiseLoss, new PointwiseLossRule("bce_with_logits", "BceWithLogits"), new PointwiseLossGradRule("bce_with_logits")).WithLabel(1, "targets", "only the logits are differentiated"),
        // torch.nn.functional.mse_loss: mean (or sum, attr 1) of (p − t)², built from primitives.
        Composite("mse_loss", 2, MseLoss, "sub", "mul", "mean", "sum"),

        Layer(LayerSpecs.Parameter, new ParamRule()),
        Layer(LayerSpecs.Linear, new LinearRule(), new LinearWeightGradRule(), new LinearBiasGradRule(), new LinearInputGradRule()),
        Layer(LayerSpecs.Conv2d, new Conv2dRule(), new Conv2dGradRule("conv2d_dw"), new Conv2dGradRule("conv2d_db"), new Conv2dGradRule("conv2d_dx")),
        Layer(LayerSpecs.LayerNorm, new LayerNormRule(), new LayerNormGradRule("layer_norm_dx"), new LayerNormGradRule("layer_norm_dw"), new LayerNormGradRule("layer_norm_db")),
        Layer(LayerSpecs.BatchNorm2d, new BatchNormRule(), new BatchNormGradRule("batch_norm2d_dx"), new BatchNormGradRule("batch_norm2d_dw"), new BatchNormGradRule("batch_norm2d_db")),
        Layer(LayerSpecs.Embedding, new EmbeddingRule(), new EmbeddingGradRule()).WithInteger(0),
    };

    /// <summary>Rules of IR values that no user-visible op declares: inputs, literals, the AD seed, un-broadcasting.</summary>
    public static readonly IReadOnlyList<OpRule> IrOnly = new OpRule[] { new InputRule(), new ConstRule(), new FillRule(), new SumToRule() };

    private static readonly Dictionary<string, OpEntry> ByName = All.ToDictionary(e => e.Name, StringComparer.Ordinal);

    /// <summary>The entry named <paramref name="name"/>, or null (the parser reports an unknown call).</summary>
    public static OpEntry? Find(string name) => ByName.TryGetValue(name, out var e) ? e : null;

    private static readonly HashSet<string> MaskOps = new(All.Where(e => e.MaskOp is not null).Select(e => e.MaskOp!), StringComparer.Ordinal);

    /// <summary>True for the IR op of a mask some entry takes (<see cref="OpEntry.MaskOp"/>).</summary>
    public static bool IsMask(string irOp) => MaskOps.Contains(irOp);

    /// <summary>The entry named <paramref name="name"/>; a missing one is an internal error that names it.</summary>
    public static OpEntry Get(string name) =>
        Find(name) ?? throw new KeyNotFoundException($"Op '{name}' has no entry in the op table.");

    private static string Bool(double attr) => attr != 0 ? "true" : "false";

    private static OpEntry Call(string name, int arity, ShapeRules.Rule shape, OpRule forward, params OpRule[] extra) =>
        new(name, OpKind.Call, arity, shape, forward, extra, Array.Empty<string>(), broadcasts: false);

    private static OpEntry Binary(string name) =>
        new(name, OpKind.Call, 2, ShapeRules.Broadcast, new BinaryRule(name), Array.Empty<OpRule>(), Array.Empty<string>(), broadcasts: true);

    private static OpEntry Unary(UnaryOp op) => Call(op.Name, 1, ShapeRules.SameAsInput, new UnaryRule(op), new UnaryGradRule(op));

    /// <summary>A layer: its node's operands are the input (if any) and then its parameters.</summary>
    private static OpEntry Layer(LayerSpec layer, OpRule forward, params OpRule[] extra) =>
        new OpEntry(layer.Op, OpKind.Layer, layer.Inputs + layer.Params.Count, null, forward, extra, Array.Empty<string>(), broadcasts: false).WithLayer(layer);

    private static OpEntry Composite(string name, int arity, Expansion expand, params string[] expandsTo) =>
        new OpEntry(name, OpKind.Composite, arity, null, null, Array.Empty<OpRule>(), expandsTo, broadcasts: false).WithExpansion(expand);

    private static int MseLoss(IExpansionBuilder b, int[] args, double[] attrs)
    {
        if (!b.ShapeOf(args[0]).Equals(b.ShapeOf(args[1])))
            throw b.ShapeMismatch($"mse_loss needs prediction and target of one shape, but gets {ShapeRules.Format(b.ShapeOf(args[0]))} and {ShapeRules.Format(b.ShapeOf(args[1]))}");
        int d = b.Binary("sub", args[0], args[1]);
        return b.ReduceAll(attrs.Length > 0 && attrs[0] == 1 ? "sum" : "mean", b.Binary("mul", d, d));
    }
}

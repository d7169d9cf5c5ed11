using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// Everything the generator knows about one IR op, in one place: how to differentiate it
/// (<see cref="Backward"/>, a vector–Jacobian product that adds nodes), how the trainer computes it
/// (<see cref="Trainer"/>, C# calling runtime kernels) and how the package computes it
/// (<see cref="Mil"/>, C# calling the MIL builder). Backward-only ops (e.g. <c>linear_dw</c>)
/// are rules too; they just have no <see cref="Backward"/>.
/// </summary>
internal abstract class OpRule
{
    public abstract string Name { get; }

    /// <summary>False for ops the loss must not depend on through a trainable parameter.</summary>
    public virtual bool Differentiable => true;

    /// <summary>Adds the adjoint contributions of node <paramref name="n"/> given its adjoint <paramref name="g"/>.</summary>
    public virtual void Backward(AdContext ad, Node n, int g) =>
        throw new System.InvalidOperationException($"Op '{Name}' has no derivative.");

    /// <summary>C# statement(s) computing the node into its buffer; null when nothing runs per step.</summary>
    public abstract string? Trainer(EmitContext c, Node n);

    /// <summary>Size (a C# expression) of an extra per-node buffer <c>_x{id}</c> the trainer keeps for this op, or null.</summary>
    public virtual string? Scratch(EmitContext c, Node n) => null;

    /// <summary>C# run once at trainer creation (constants); null for none.</summary>
    public virtual string? TrainerInit(EmitContext c, Node n) => null;

    /// <summary>A C# expression building the node's MIL value; <paramref name="nm"/> is "" or ", name: \"...\"".</summary>
    public abstract string? Mil(EmitContext c, Node n, string nm);

    /// <summary>
    /// The internal error of a rule that serves a family of ops (e.g. the three pools) asked for an
    /// op it has no case for: families name every op they handle, none falls through to another's code.
    /// </summary>
    protected System.InvalidOperationException NoCase() => NoCase(Name, GetType().Name);

    private static System.InvalidOperationException NoCase(string op, string family) => new($"Op '{op}' has no case in {family}.");

    /// <summary>
    /// <paramref name="op"/> when the family rule <typeparamref name="TFamily"/> has a case for it,
    /// else the internal error naming it: checked when the table is built, so a new name added to a
    /// family without its branches fails at once instead of taking another op's branch.
    /// </summary>
    protected static string OneOf<TFamily>(string op, params string[] cases) where TFamily : OpRule =>
        System.Array.IndexOf(cases, op) >= 0 ? op : throw NoCase(op, typeof(TFamily).Name);
}

/// <summary>What a VJP rule can do while the backward pass is built.</summary>
internal sealed class AdContext
{
    private readonly List<Node> _nodes;
    private readonly HashSet<int> _active;
    private readonly Dictionary<int, int> _adjoint;

    public AdContext(List<Node> nodes, HashSet<int> active, Dictionary<int, int> adjoint)
    {
        _nodes = nodes; _active = active; _adjoint = adjoint;
    }

    public Node Node(int id) => _nodes[id];
    public EquatableArray<int> ShapeOf(int id) => _nodes[id].Shape;
    public bool IsActive(int id) => id >= 0 && _active.Contains(id);

    public int Add(string op, int[] args, EquatableArray<int> shape, string source, params double[] attrs)
    {
        int id = _nodes.Count;
        _nodes.Add(new Node(id, op, args.ToEquatable(), shape, attrs.ToEquatable(), "", source));
        return id;
    }

    /// <summary>Sums <paramref name="g"/> down to the shape of <paramref name="target"/> (undoes broadcasting).</summary>
    public int SumTo(int g, int target, string source) =>
        ShapeOf(g).Equals(ShapeOf(target)) ? g : Add("sum_to", new[] { g }, ShapeOf(target), source);

    /// <summary>Adds <paramref name="g"/> to the adjoint of <paramref name="value"/> (if it is active).</summary>
    public void Contribute(int value, int g)
    {
        if (!IsActive(value)) return;
        _adjoint[value] = _adjoint.TryGetValue(value, out int prev)
            ? Add("add", new[] { prev, g }, ShapeOf(value), "accumulate d/d(" + _nodes[value].Source + ")")
            : g;
    }
}

/// <summary>Naming and formatting the emitters share with the rules.</summary>
internal sealed class EmitContext
{
    private readonly System.Func<int, int>? _buffer;

    public EmitContext(EquatableArray<Node> nodes, System.Func<int, int>? buffer = null, string batch = "_batch")
    {
        Nodes = nodes; _buffer = buffer; Batch = batch;
    }

    public EquatableArray<Node> Nodes { get; }

    /// <summary>
    /// The C# expression for the batch dimension in emitted MIL code: the trainer's <c>_batch</c>,
    /// or a method parameter where one function body serves several batch sizes (main's flexible −1).
    /// </summary>
    public string Batch { get; }

    /// <summary>This context with another batch expression.</summary>
    public EmitContext WithBatch(string batch) => new(Nodes, _buffer, batch);

    /// <summary>A dimension as a C# expression: <see cref="Batch"/> or a literal.</summary>
    public string Dim(int d) => d == Dims.Batch ? Batch : d.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A shape as a C# <c>long[]</c> expression.</summary>
    public string LongArray(EquatableArray<int> shape) => "new long[] { " + string.Join(", ", shape.Select(Dim)) + " }";

    /// <summary>The element count of a shape as a C# expression.</summary>
    public string Count(EquatableArray<int> shape) => shape.Count == 0 ? "1" : string.Join(" * ", shape.Select(Dim));

    /// <summary>The trainer's span for a value: an input argument, a parameter or a buffer.</summary>
    public string Ref(int id)
    {
        var n = Nodes[id];
        return n.Op switch
        {
            "input" => $"in_{n.Name}",
            "param" => $"_p{n.Name}",
            _ => $"_t{(_buffer is null ? n.Id : _buffer(n.Id))}",
        };
    }

    /// <summary>The trainer's int[] field holding a value's shape for this batch size.</summary>
    public string S(int id) => $"_s{id}";

    /// <summary>The MIL value of a node inside a function being built.</summary>
    public string V(int id) => $"v[{id}]";

    public EquatableArray<int> Shape(int id) => Nodes[id].Shape;

    public const string TP = "global::System.Numerics.Tensors.TensorPrimitives";
    public const string K = "global::TrainingGen.Kernels";
    public const string Mil = "global::TrainingGen.CoreML.Mil";
}

/// <summary>All rules by IR op name: the op table's forward and extra rules, and the IR-only values.</summary>
internal static class OpRules
{
    private static readonly Dictionary<string, OpRule> ByName = Build();

    private static Dictionary<string, OpRule> Build()
    {
        var byName = new Dictionary<string, OpRule>(System.StringComparer.Ordinal);
        var rules = OpTable.IrOnly.Concat(OpTable.All.SelectMany(e => e.Forward is null ? e.Extra : e.Extra.Prepend(e.Forward)));
        // flatten and reshape share reshape_grad: a name declared twice must be the same kind of rule.
        foreach (var r in rules)
            if (!byName.TryGetValue(r.Name, out var seen)) byName.Add(r.Name, r);
            else if (seen.GetType() != r.GetType()) throw new System.InvalidOperationException($"Op '{r.Name}' is declared by two different rules.");
        return byName;
    }

    /// <summary>The rule of IR op <paramref name="name"/>; a missing one is an internal error that names it.</summary>
    public static OpRule Get(string name) =>
        ByName.TryGetValue(name, out var r) ? r : throw new KeyNotFoundException($"No rule for IR op '{name}' in the op table.");

    public static bool Has(string name) => ByName.ContainsKey(name);

    /// <summary>Every IR op name with a rule.</summary>
    public static IEnumerable<string> Names => ByName.Keys;
}

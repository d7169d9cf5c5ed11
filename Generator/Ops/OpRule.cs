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

    /// <summary>Size (a C# expression) of an extra per-node buffer (<see cref="EmitContext.Work"/>) the trainer keeps for this op, or null.</summary>
    public virtual string? Scratch(EmitContext c, Node n) => null;

    /// <summary>C# run once at trainer creation (constants); null for none.</summary>
    public virtual string? TrainerInit(EmitContext c, Node n) => null;

    /// <summary>A C# expression building the node's MIL value named <paramref name="nm"/>.</summary>
    public abstract string? Mil(EmitContext c, Node n, MilName nm);

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

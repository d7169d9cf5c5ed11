using System;
using System.Linq;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// Everything one elementwise activation y = f(x) needs, declared in its op-table entry
/// (<see cref="OpTable"/>): which forward value its derivative reads, the derivative's formula
/// (for the backward comment) and the four lowerings. Every piece is required, so a new
/// activation cannot silently borrow another's code.
/// </summary>
internal sealed class UnaryOp
{
    /// <param name="name">The op's identifier, as in <c>[Op(name)]</c>.</param>
    /// <param name="readsOutput">Whether the derivative reads the saved output y (cheaper: sigmoid, tanh…) rather than the input x.</param>
    /// <param name="formula">dx as a formula of g and the saved value, for the backward pass's comments.</param>
    /// <param name="trainer">(node, x, y) → C# statement computing y in the trainer.</param>
    /// <param name="trainerGrad">(node, g, saved, dx) → C# statement computing dx in the trainer.</param>
    /// <param name="mil">(node, x, nm) → C# expression building y with the MIL builder <c>b</c>.</param>
    /// <param name="milGrad">(node, g, saved, nm) → C# expression building dx with the MIL builder <c>b</c>.</param>
    public UnaryOp(string name, bool readsOutput, string formula,
        Func<Node, string, string, string> trainer, Func<Node, string, string, string, string> trainerGrad,
        Func<Node, string, MilName, string> mil, Func<Node, string, string, MilName, string> milGrad)
    {
        Name = name; ReadsOutput = readsOutput; Formula = formula;
        Trainer = trainer; TrainerGrad = trainerGrad; Mil = mil; MilGrad = milGrad;
    }

    public string Name { get; }
    public bool ReadsOutput { get; }
    public string Formula { get; }
    public Func<Node, string, string, string> Trainer { get; }
    public Func<Node, string, string, string, string> TrainerGrad { get; }
    public Func<Node, string, MilName, string> Mil { get; }
    public Func<Node, string, string, MilName, string> MilGrad { get; }
}

/// <summary>An elementwise activation: its VJP adds one <c>{name}_grad</c> node reading g and the saved value.</summary>
internal sealed class UnaryRule : OpRule
{
    public UnaryRule(UnaryOp op) { Op = op; }
    public UnaryOp Op { get; }
    public override string Name => Op.Name;

    public override void Backward(AdContext ad, Node n, int g)
    {
        int saved = Op.ReadsOutput ? n.Id : n.Args[0];
        ad.Contribute(n.Args[0], ad.Add(Name + "_grad", new[] { g, saved }, ad.ShapeOf(g), $"d({Name}(x))/dx = {Op.Formula}: {n.Source}", n.Attrs.ToArray()));
    }

    public override string? Trainer(EmitContext c, Node n) => Op.Trainer(n, c.Ref(n.Args[0]), c.Ref(n.Id));

    public override string? Mil(EmitContext c, Node n, MilName nm) => Op.Mil(n, c.V(n.Args[0]), nm);
}

/// <summary>The adjoint of a <see cref="UnaryRule"/> op: args [g, saved value].</summary>
internal sealed class UnaryGradRule : OpRule
{
    public UnaryGradRule(UnaryOp op) { Op = op; }
    public UnaryOp Op { get; }
    public override string Name => Op.Name + "_grad";

    public override string? Trainer(EmitContext c, Node n) => Op.TrainerGrad(n, c.Ref(n.Args[0]), c.Ref(n.Args[1]), c.Ref(n.Id));

    public override string? Mil(EmitContext c, Node n, MilName nm) => Op.MilGrad(n, c.V(n.Args[0]), c.V(n.Args[1]), nm);
}

using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// L1, Huber, SmoothL1 and BCE-with-logits (args prediction, target; attrs param, reduction). The
/// fused forward keeps d(loss)/d(prediction) per element in <c>{c.Work(id)}</c>; the target of the
/// difference-based losses gets its negation.
/// </summary>
internal sealed class PointwiseLossRule : OpRule
{
    public PointwiseLossRule(string name, string kind) { Name = OneOf<PointwiseLossRule>(name, Losses); Kind = kind; }

    internal static readonly string[] Losses = { "l1_loss", "huber_loss", "smooth_l1_loss", "bce_with_logits" };
    public override string Name { get; }
    internal string Kind { get; }
    private bool DifferenceBased => Name != "bce_with_logits";

    public override void Backward(AdContext ad, Node n, int g)
    {
        var attrs = n.Attrs.ToArray();
        ad.Contribute(n.Args[0], ad.Add(Name + "_grad", new[] { g, n.Args[0], n.Args[1], n.Id }, ad.ShapeOf(n.Args[0]), $"d({Name})/dprediction: " + n.Source, attrs.Concat(new[] { 0.0 }).ToArray()));
        if (ad.IsActive(n.Args[1]))
        {
            if (!DifferenceBased) throw new System.InvalidOperationException("bce_with_logits targets cannot be differentiated.");
            ad.Contribute(n.Args[1], ad.Add(Name + "_grad", new[] { g, n.Args[0], n.Args[1], n.Id }, ad.ShapeOf(n.Args[1]), $"d({Name})/dtarget = -d/dprediction: " + n.Source, attrs.Concat(new[] { 1.0 }).ToArray()));
        }
    }

    public override string? Scratch(EmitContext c, Node n) => Count(c.Shape(n.Args[0]));

    public override string? Trainer(EmitContext c, Node n) =>
        $"{c.Ref(n.Id)}[0] = {EmitContext.K}.PointwiseLoss.Forward({EmitContext.K}.LossKind.{Kind}, {c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {Float(n.Attrs[0])}, (global::TrainingGen.Reduction){n.Int(1)}, {c.Work(n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.PointwiseLoss(b, \"{Name}\", {c.V(n.Args[0])}, {c.V(n.Args[1])}, {Float(n.Attrs[0])}, {(n.Int(1) == 1 ? "true" : "false")}{nm})";
}

internal sealed class PointwiseLossGradRule : OpRule
{
    public PointwiseLossGradRule(string forward) { Forward = OneOf<PointwiseLossGradRule>(forward, PointwiseLossRule.Losses); }
    private string Forward { get; }
    public override string Name => Forward + "_grad";

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.PointwiseLoss.Backward({c.Ref(n.Args[0])}[0], {c.Work(n.Args[3])}, {c.Ref(n.Id)}, {(n.Int(2) == 1 ? "true" : "false")});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.PointwiseLossGrad(b, \"{Forward}\", {c.V(n.Args[0])}, {c.V(n.Args[1])}, {c.V(n.Args[2])}, {Float(n.Attrs[0])}, {(n.Int(1) == 1 ? "true" : "false")}, {(n.Int(2) == 1 ? "true" : "false")}{nm})";
}

/// <summary>nll_loss of log-probabilities at class indices (attr reduction).</summary>
internal sealed class NllRule : OpRule
{
    public override string Name => "nll_loss";

    public override void Backward(AdContext ad, Node n, int g)
    {
        if (ad.IsActive(n.Args[1])) throw new System.InvalidOperationException("nll_loss labels are class indices and cannot be differentiated.");
        ad.Contribute(n.Args[0], ad.Add("nll_loss_grad", new[] { g, n.Args[1] }, ad.ShapeOf(n.Args[0]), "d(nll)/dlogp = -onehot(label) * g: " + n.Source, n.Attrs.ToArray()));
    }

    public override string? Trainer(EmitContext c, Node n) =>
        $"{c.Ref(n.Id)}[0] = {EmitContext.K}.PointwiseLoss.Nll({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Shape(n.Args[0])[1]}, (global::TrainingGen.Reduction){n.Int(0)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.Nll(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {(n.Int(0) == 1 ? "true" : "false")}{nm})";
}

internal sealed class NllGradRule : OpRule
{
    public override string Name => "nll_loss_grad";

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.PointwiseLoss.NllBackward({c.Ref(n.Args[0])}[0], {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {n.Shape[1]}, (global::TrainingGen.Reduction){n.Int(0)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.NllGrad(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {n.Shape[1]}, {(n.Int(0) == 1 ? "true" : "false")}{nm})";
}

using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>softmax / log_softmax over the last axis.</summary>
internal sealed class SoftmaxRule : OpRule
{
    public SoftmaxRule(string name) { Name = OneOf<SoftmaxRule>(name, "softmax", "log_softmax"); }
    public override string Name { get; }
    private bool IsLog => Name == "log_softmax";

    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add(Name + "_grad", new[] { g, n.Id }, ad.ShapeOf(g),
            IsLog ? "d(log_softmax)/dx = g - exp(y) * sum(g): " + n.Source : "d(softmax)/dx = y * (g - sum(g * y)): " + n.Source));

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Softmax.{(IsLog ? "LogForward" : "Forward")}({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {n.Shape[n.Shape.Count - 1]});";

    public override string? Mil(EmitContext c, Node n, MilName nm) => IsLog
        ? $"{EmitContext.Mil}.MilRecipes.LogSoftmax(b, {c.V(n.Args[0])}{nm})"
        : $"b.Softmax({c.V(n.Args[0])}, -1{nm})";
}

internal sealed class SoftmaxGradRule : OpRule
{
    public SoftmaxGradRule(string forward) { Forward = OneOf<SoftmaxGradRule>(forward, "softmax", "log_softmax"); }
    private string Forward { get; }
    public override string Name => Forward + "_grad";

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Softmax.{(Forward == "log_softmax" ? "LogBackward" : "Backward")}({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {n.Shape[n.Shape.Count - 1]});";

    public override string? Mil(EmitContext c, Node n, MilName nm)
    {
        string g = c.V(n.Args[0]), y = c.V(n.Args[1]);
        return Forward == "log_softmax"
            ? $"b.Sub({g}, b.Mul(b.Exp({y}), b.ReduceSum({g}, new[] {{ -1 }}, true)){nm})"
            : $"b.Mul({y}, b.Sub({g}, b.ReduceSum(b.Mul({g}, {y}), new[] {{ -1 }}, true)){nm})";
    }
}

/// <summary>
/// Fused softmax + cross-entropy from logits and integer labels (torch's cross_entropy with
/// label smoothing ε). The trainer keeps the probabilities from the forward pass for the adjoint
/// (p − target)·g/batch, which is both cheaper and more stable than chaining log_softmax.
/// </summary>
internal sealed class CrossEntropyRule : OpRule
{
    public override string Name => "cross_entropy";

    public override void Backward(AdContext ad, Node n, int g)
    {
        if (ad.IsActive(n.Args[1]))
            throw new System.InvalidOperationException("cross_entropy labels are class indices and cannot be differentiated.");
        ad.Contribute(n.Args[0], ad.Add("cross_entropy_grad", new[] { g, n.Args[0], n.Args[1], n.Id }, ad.ShapeOf(n.Args[0]),
            "d(cross_entropy)/dlogits = (softmax(logits) - target) * g / batch: " + n.Source, n.Attrs.ToArray()));
    }

    /// <summary>The probabilities buffer the adjoint reads.</summary>
    public static string Probabilities(EmitContext c, int forwardId) => c.Work(forwardId);

    public override string? Scratch(EmitContext c, Node n) => Count(c.Shape(n.Args[0]));

    /// <summary>attr 1 is the reduction: 0 mean, 1 sum (the kernel's mean times the batch).</summary>
    internal static bool Sum(Node n) => n.Attrs.Count > 1 && n.Int(1) == 1;

    public override string? Trainer(EmitContext c, Node n) =>
        $"{c.Ref(n.Id)}[0] = {EmitContext.K}.Softmax.CrossEntropy({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {Probabilities(c, n.Id)}, {c.Shape(n.Args[0])[1]}, {Float(n.Scalar)}){(Sum(n) ? $" * {Dim(c.Shape(n.Args[0])[0])}" : "")};";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.CrossEntropy(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {Float(n.Scalar)}{(Sum(n) ? ", sum: true" : "")}{nm})";
}

internal sealed class CrossEntropyGradRule : OpRule
{
    public override string Name => "cross_entropy_grad";

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Softmax.CrossEntropyBackward({c.Ref(n.Args[0])}[0]{(CrossEntropyRule.Sum(n) ? $" * {Dim(n.Shape[0])}" : "")}, {CrossEntropyRule.Probabilities(c, n.Args[3])}, {c.Ref(n.Args[2])}, {c.Ref(n.Id)}, {n.Shape[1]}, {Float(n.Scalar)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.CrossEntropyGrad(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {c.V(n.Args[2])}, {Float(n.Scalar)}{(CrossEntropyRule.Sum(n) ? ", sum: true" : "")}{nm})";
}

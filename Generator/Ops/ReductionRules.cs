using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>mean / sum over every element, giving a scalar.</summary>
internal sealed class ReduceAllRule : OpRule
{
    public ReduceAllRule(string name) { Name = OneOf<ReduceAllRule>(name, "mean", "sum"); }
    public override string Name { get; }

    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add(Name + "_grad", new[] { g }, ad.ShapeOf(n.Args[0]),
            Name == "mean" ? "d(mean(a))/da = g / count(a): " + n.Source : "d(sum(a))/da = g: " + n.Source));

    public override string? Trainer(EmitContext c, Node n) => Name == "mean"
        ? $"{c.Ref(n.Id)}[0] = {EmitContext.TP}.Sum({c.Ref(n.Args[0])}) / {c.Ref(n.Args[0])}.Length;"
        : $"{c.Ref(n.Id)}[0] = {EmitContext.TP}.Sum({c.Ref(n.Args[0])});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"b.Reduce{(Name == "mean" ? "Mean" : "Sum")}({c.V(n.Args[0])}, {AllAxes(c.Shape(n.Args[0]).Count)}, false{nm})";

    internal static string AllAxes(int rank) => "new[] { " + string.Join(", ", Enumerable.Range(0, rank)) + " }";
}

/// <summary>The adjoint of a full reduction: the scalar adjoint spread over the input (÷ count for mean).</summary>
internal sealed class ReduceAllGradRule : OpRule
{
    public ReduceAllGradRule(string name) { Name = OneOf<ReduceAllGradRule>(name, "mean_grad", "sum_grad"); }
    public override string Name { get; }

    public override string? Trainer(EmitContext c, Node n) => Name == "mean_grad"
        ? $"global::System.Array.Fill({c.Ref(n.Id)}, {c.Ref(n.Args[0])}[0] / {c.Ref(n.Id)}.Length);"
        : $"global::System.Array.Fill({c.Ref(n.Id)}, {c.Ref(n.Args[0])}[0]);";

    public override string? Mil(EmitContext c, Node n, MilName nm) => Name == "mean_grad"
        ? $"b.Mul(b.Fill({c.LongArray(n.Shape)}, 1f / ({c.Count(n.Shape)})), {c.V(n.Args[0])}{nm})"
        : $"b.Mul(b.Fill({c.LongArray(n.Shape)}, 1f), {c.V(n.Args[0])}{nm})";
}

/// <summary>Sums an adjoint over broadcast axes back to an operand's shape.</summary>
internal sealed class SumToRule : OpRule
{
    public override string Name => "sum_to";

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Elementwise.SumToShape({c.Ref(n.Args[0])}, {c.S(n.Args[0])}, {c.Ref(n.Id)}, {c.S(n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm)
    {
        var from = c.Shape(n.Args[0]);
        var to = n.Shape;
        if (to.Count == 0) return $"b.ReduceSum({c.V(n.Args[0])}, {ReduceAllRule.AllAxes(from.Count)}, false{nm})";
        int offset = from.Count - to.Count;
        var axes = Enumerable.Range(0, from.Count).Where(i => i < offset || to[i - offset] == 1 && from[i] != 1).ToList();
        string reduced = $"b.ReduceSum({c.V(n.Args[0])}, new[] {{ {string.Join(", ", axes)} }}, true)";
        return $"b.Reshape({reduced}, {c.LongArray(to)}{nm})";
    }
}

using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>Embedding lookup (args indices, W). The indices get no adjoint; W's is a scatter-add.</summary>
internal sealed class EmbeddingRule : OpRule
{
    public override string Name => "embedding";

    public override void Backward(AdContext ad, Node n, int g)
    {
        if (ad.IsActive(n.Args[0])) throw new System.InvalidOperationException("embedding indices cannot be differentiated.");
        ad.Contribute(n.Args[1], ad.Add("embedding_dw", new[] { g, n.Args[0] }, ad.ShapeOf(n.Args[1]), "d(embedding)/dW = scatter-add of g at the indices: " + n.Source));
    }

    public override string? Trainer(EmitContext c, Node n)
    {
        var w = c.Shape(n.Args[1]);
        return $"{EmitContext.K}.Embedding.Forward({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {w[0]}, {w[1]});";
    }

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.Embedding(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}{nm})";
}

internal sealed class EmbeddingGradRule : OpRule
{
    public override string Name => "embedding_dw";

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Embedding.WeightGrad({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {n.Shape[0]}, {n.Shape[1]});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.EmbeddingWeightGrad(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {n.Shape[0]}{nm})";
}

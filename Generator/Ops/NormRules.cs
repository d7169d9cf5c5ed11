using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// LayerNorm over the last axis (args x, w, b; attr ε). The trainer keeps (μ, 1/σ) per row in
/// <c>{c.Work(id)}</c>; in the package the norm is decomposed into reductions (layer_norm's gamma and
/// beta must be constants, and these are trainable).
/// </summary>
internal sealed class LayerNormRule : OpRule
{
    public override string Name => "layer_norm";

    public override void Backward(AdContext ad, Node n, int g)
    {
        int x = n.Args[0], w = n.Args[1], b = n.Args[2];
        var eps = n.Attrs.ToArray();
        if (ad.IsActive(x)) ad.Contribute(x, ad.Add("layer_norm_dx", new[] { g, x, w, n.Id }, ad.ShapeOf(x), "d(layer_norm)/dx = rstd (ĝ - mean(ĝ) - x̂ mean(ĝ x̂)), ĝ = g w: " + n.Source, eps));
        if (ad.IsActive(w)) ad.Contribute(w, ad.Add("layer_norm_dw", new[] { g, x, n.Id }, ad.ShapeOf(w), "d(layer_norm)/dw = Σ g x̂: " + n.Source, eps));
        if (ad.IsActive(b)) ad.Contribute(b, ad.Add("layer_norm_db", new[] { g }, ad.ShapeOf(b), "d(layer_norm)/db = Σ g: " + n.Source, eps));
    }

    internal static int Width(EquatableArray<int> s) => s[s.Count - 1];

    public override string? Scratch(EmitContext c, Node n) => $"2 * ({Count(n.Shape)}) / {Width(n.Shape)}";

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.LayerNorm.Forward({c.Ref(n.Args[0])}, {Opt(c, n.Args[1])}, {Opt(c, n.Args[2])}, {c.Ref(n.Id)}, {c.Work(n.Id)}, {Width(n.Shape)}, {Float(n.Scalar)});";

    internal static string Opt(EmitContext c, int id) => id >= 0 ? c.Ref(id) : "default";
    internal static string OptV(EmitContext c, int id) => id >= 0 ? c.V(id) : "null";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.LayerNorm(b, {c.V(n.Args[0])}, {OptV(c, n.Args[1])}, {OptV(c, n.Args[2])}, {Float(n.Scalar)}{nm})";
}

internal sealed class LayerNormGradRule : OpRule
{
    public LayerNormGradRule(string name) { Name = OneOf<LayerNormGradRule>(name, "layer_norm_dx", "layer_norm_dw", "layer_norm_db"); }
    public override string Name { get; }

    public override string? Trainer(EmitContext c, Node n)
    {
        int width = LayerNormRule.Width(c.Shape(n.Args[0]));
        return Name switch
        {
            "layer_norm_dx" => $"{EmitContext.K}.LayerNorm.InputGrad({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {LayerNormRule.Opt(c, n.Args[2])}, {c.Work(n.Args[3])}, {c.Ref(n.Id)}, {width});",
            "layer_norm_dw" => $"{EmitContext.K}.LayerNorm.WeightGrad({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Work(n.Args[2])}, {c.Ref(n.Id)}, {width});",
            "layer_norm_db" => $"{EmitContext.K}.LayerNorm.BiasGrad({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {width});",
            _ => throw NoCase(),
        };
    }

    public override string? Mil(EmitContext c, Node n, MilName nm) => Name switch
    {
        "layer_norm_dx" => $"{EmitContext.Mil}.MilRecipes.LayerNormInputGrad(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {LayerNormRule.OptV(c, n.Args[2])}, {Float(n.Scalar)}{nm})",
        "layer_norm_dw" => $"{EmitContext.Mil}.MilRecipes.LayerNormWeightGrad(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {Float(n.Scalar)}{nm})",
        "layer_norm_db" => $"b.ReduceSum({c.V(n.Args[0])}, new[] {{ {string.Join(", ", Enumerable.Range(0, c.Shape(n.Args[0]).Count - 1))} }}, false{nm})",
        _ => throw NoCase(),
    };
}

/// <summary>
/// BatchNorm2d (args x, w, b, running_mean, running_var; attrs ε, momentum). The trainer's forward
/// follows <c>_training</c>; the adjoints are those of training mode (batch statistics), reading
/// (μ, 1/σ) per channel kept in <c>{c.Work(id)}</c>.
/// </summary>
internal sealed class BatchNormRule : OpRule
{
    public override string Name => "batch_norm2d";

    public override void Backward(AdContext ad, Node n, int g)
    {
        int x = n.Args[0], w = n.Args[1], b = n.Args[2];
        var attrs = n.Attrs.ToArray();
        if (ad.IsActive(x)) ad.Contribute(x, ad.Add("batch_norm2d_dx", new[] { g, x, w, n.Id }, ad.ShapeOf(x), "d(batch_norm)/dx = rstd (ĝ - mean(ĝ) - x̂ mean(ĝ x̂)) per channel: " + n.Source, attrs));
        if (ad.IsActive(w)) ad.Contribute(w, ad.Add("batch_norm2d_dw", new[] { g, x, n.Id }, ad.ShapeOf(w), "d(batch_norm)/dw = Σ g x̂ per channel: " + n.Source, attrs));
        if (ad.IsActive(b)) ad.Contribute(b, ad.Add("batch_norm2d_db", new[] { g, x, n.Id }, ad.ShapeOf(b), "d(batch_norm)/db = Σ g per channel: " + n.Source, attrs));
    }

    internal static string Geometry(EquatableArray<int> x) => $"{Dim(x[0])}, {x[1]}, {x[2] * x[3]}";

    public override string? Scratch(EmitContext c, Node n) => $"{2 * n.Shape[1]}";

    /// <summary>torch's momentum=None (the cumulative average) is <see cref="LayerArgs.Null"/> in the IR, −1 for the kernel.</summary>
    internal static bool Cumulative(Node n) => n.Attrs[1] == LayerArgs.Null;

    // The counter counts the pass first (training mode only); its result is the running statistics' factor.
    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.BatchNorm.Forward({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Args[2])}, {c.Ref(n.Args[3])}, {c.Ref(n.Args[4])}, {c.Ref(n.Id)}, {c.Work(n.Id)}, {Geometry(n.Shape)}, {Float(n.Attrs[0])}, " +
        $"{EmitContext.K}.BatchNorm.Track({EmitContext.CounterField(n.Name)}, {(Cumulative(n) ? "-1f" : Float(n.Attrs[1]))}, _training), _training);";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"training ? {EmitContext.Mil}.MilRecipes.BatchNormTrain(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {c.V(n.Args[2])}, {Float(n.Attrs[0])}{nm}) " +
        $": {EmitContext.Mil}.MilRecipes.BatchNormEval(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {c.V(n.Args[2])}, {c.V(n.Args[3])}, {c.V(n.Args[4])}, {Float(n.Attrs[0])}{nm})";
}

internal sealed class BatchNormGradRule : OpRule
{
    public BatchNormGradRule(string name) { Name = OneOf<BatchNormGradRule>(name, "batch_norm2d_dx", "batch_norm2d_dw", "batch_norm2d_db"); }
    public override string Name { get; }

    public override string? Trainer(EmitContext c, Node n)
    {
        var x = c.Shape(n.Args[1]);
        return Name switch
        {
            "batch_norm2d_dx" => $"{EmitContext.K}.BatchNorm.InputGrad({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Args[2])}, {c.Work(n.Args[3])}, {c.Ref(n.Id)}, {BatchNormRule.Geometry(x)});",
            "batch_norm2d_dw" => $"{EmitContext.K}.BatchNorm.ParamGrads({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Work(n.Args[2])}, {c.Ref(n.Id)}, default, {BatchNormRule.Geometry(x)});",
            "batch_norm2d_db" => $"{EmitContext.K}.BatchNorm.ParamGrads({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Work(n.Args[2])}, default, {c.Ref(n.Id)}, {BatchNormRule.Geometry(x)});",
            _ => throw NoCase(),
        };
    }

    public override string? Mil(EmitContext c, Node n, MilName nm) => Name switch
    {
        "batch_norm2d_dx" => $"{EmitContext.Mil}.MilRecipes.BatchNormInputGrad(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {c.V(n.Args[2])}, {Float(n.Attrs[0])}{nm})",
        "batch_norm2d_dw" => $"{EmitContext.Mil}.MilRecipes.BatchNormWeightGrad(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {Float(n.Attrs[0])}{nm})",
        "batch_norm2d_db" => $"b.ReduceSum({c.V(n.Args[0])}, new[] {{ 0, 2, 3 }}, false{nm})",
        _ => throw NoCase(),
    };
}

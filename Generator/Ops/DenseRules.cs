using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// A Linear layer, y = x·Wᵀ + b with x [rows, in], W [out, in]. In the package the weight is a
/// runtime value, so it goes through <c>matmul(transpose_y)</c> + <c>add</c>, not <c>linear</c>.
/// </summary>
internal sealed class LinearRule : OpRule
{
    /// <summary>Rows of a [..., features] value: the product of its leading dimensions.</summary>
    internal static string Rows(EquatableArray<int> shape) =>
        shape.Count <= 2 ? Dim(shape[0]) : string.Join(" * ", System.Linq.Enumerable.Take(shape, shape.Count - 1).Select(Dim));

    public override string Name => "linear";

    public override void Backward(AdContext ad, Node n, int g)
    {
        int x = n.Args[0], w = n.Args[1], b = n.Args[2];
        if (ad.IsActive(w)) ad.Contribute(w, ad.Add("linear_dw", new[] { g, x }, ad.ShapeOf(w), "d(x·Wᵀ + b)/dW = gᵀ·x: " + n.Source));
        if (ad.IsActive(b)) ad.Contribute(b, ad.Add("linear_db", new[] { g }, ad.ShapeOf(b), "d(x·Wᵀ + b)/db = Σ_rows g: " + n.Source));
        if (ad.IsActive(x)) ad.Contribute(x, ad.Add("linear_dx", new[] { g, w }, ad.ShapeOf(x), "d(x·Wᵀ + b)/dx = g·W: " + n.Source));
    }

    public override string? Trainer(EmitContext c, Node n)
    {
        var w = c.Shape(n.Args[1]);
        string bias = n.Args[2] >= 0 ? c.Ref(n.Args[2]) : "default";
        // a relu right after the layer (its only reader) is applied as the product stores y, into the relu's buffer
        int relu = c.FusedWith(n.Id);
        return relu >= 0
            ? $"{EmitContext.K}.Dense.LinearForwardRelu({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {bias}, {c.Ref(relu)}, {Rows(n.Shape)}, {w[1]}, {w[0]});"
            : $"{EmitContext.K}.Dense.LinearForward({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {bias}, {c.Ref(n.Id)}, {Rows(n.Shape)}, {w[1]}, {w[0]});";
    }

    public override string? Mil(EmitContext c, Node n, MilName nm) => n.Args[2] >= 0
        ? $"b.Add(b.MatMul({c.V(n.Args[0])}, {c.V(n.Args[1])}, transposeY: true), {c.V(n.Args[2])}{nm})"
        : $"b.MatMul({c.V(n.Args[0])}, {c.V(n.Args[1])}, transposeY: true{nm})";
}

internal sealed class LinearWeightGradRule : OpRule
{
    public override string Name => "linear_dw";
    public override string? Trainer(EmitContext c, Node n)
    {
        var g = c.Shape(n.Args[0]); var x = c.Shape(n.Args[1]);
        return $"{EmitContext.K}.Dense.LinearWeightGrad({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {LinearRule.Rows(g)}, {x[x.Count - 1]}, {g[g.Count - 1]});";
    }
    public override string? Mil(EmitContext c, Node n, MilName nm)
    {
        var g = c.Shape(n.Args[0]); var x = c.Shape(n.Args[1]);
        if (g.Count == 2) return $"b.MatMul({c.V(n.Args[0])}, {c.V(n.Args[1])}, transposeX: true{nm})";
        // [..., out] and [..., in] flattened to rows first, so the product sums over every row.
        string rows = LinearRule.Rows(g);
        return $"b.MatMul(b.Reshape({c.V(n.Args[0])}, new long[] {{ {rows}, {g[g.Count - 1]} }}), b.Reshape({c.V(n.Args[1])}, new long[] {{ {rows}, {x[x.Count - 1]} }}), transposeX: true{nm})";
    }
}

internal sealed class LinearBiasGradRule : OpRule
{
    public override string Name => "linear_db";
    public override string? Trainer(EmitContext c, Node n)
    {
        var g = c.Shape(n.Args[0]);
        return $"{EmitContext.K}.Dense.LinearBiasGrad({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {LinearRule.Rows(g)}, {g[g.Count - 1]});";
    }
    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"b.ReduceSum({c.V(n.Args[0])}, new[] {{ {string.Join(", ", Enumerable.Range(0, c.Shape(n.Args[0]).Count - 1))} }}, false{nm})";
}

internal sealed class LinearInputGradRule : OpRule
{
    public override string Name => "linear_dx";
    public override string? Trainer(EmitContext c, Node n)
    {
        var g = c.Shape(n.Args[0]); var w = c.Shape(n.Args[1]);
        // the relu gradient right after it (through the relu that made this layer's input) is applied as dx is stored
        int relu = c.FusedWith(n.Id);
        return relu >= 0
            ? $"{EmitContext.K}.Dense.LinearInputGradRelu({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(c.Nodes[relu].Args[1])}, {c.Ref(relu)}, {LinearRule.Rows(g)}, {w[1]}, {w[0]});"
            : $"{EmitContext.K}.Dense.LinearInputGrad({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {LinearRule.Rows(g)}, {w[1]}, {w[0]});";
    }
    public override string? Mil(EmitContext c, Node n, MilName nm) => $"b.MatMul({c.V(n.Args[0])}, {c.V(n.Args[1])}{nm})";
}

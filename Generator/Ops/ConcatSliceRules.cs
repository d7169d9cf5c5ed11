using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>concat(a, b, axis) and slice(x, axis, start, end), each the other's adjoint.</summary>
internal sealed class ConcatRule : OpRule
{
    public override string Name => "concat";

    public override void Backward(AdContext ad, Node n, int g)
    {
        int axis = n.Int(0), lenA = ad.ShapeOf(n.Args[0])[axis];
        ad.Contribute(n.Args[0], ad.Add("slice", new[] { g }, ad.ShapeOf(n.Args[0]), "d(concat)/da = g[first part]: " + n.Source, axis, 0, lenA));
        ad.Contribute(n.Args[1], ad.Add("slice", new[] { g }, ad.ShapeOf(n.Args[1]), "d(concat)/db = g[second part]: " + n.Source, axis, lenA, n.Shape[axis]));
    }

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Layout.Concat({c.Ref(n.Args[0])}, {c.S(n.Args[0])}, {c.Ref(n.Args[1])}, {c.S(n.Args[1])}, {n.Int(0)}, {c.Ref(n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"b.Op(\"concat\", new {EmitContext.Mil}.MilTensorType({EmitContext.Mil}.MilDType.Float32, {c.LongArray(n.Shape)}), {nm.Positional}, (\"values\", new[] {{ {c.V(n.Args[0])}, {c.V(n.Args[1])} }}), (\"axis\", {EmitContext.Mil}.MilTensor.Scalar({n.Int(0)})), (\"interleave\", {EmitContext.Mil}.MilTensor.Scalar(false)))";
}

internal sealed class SliceRule : OpRule
{
    public override string Name => "slice";

    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add("slice_grad", new[] { g }, ad.ShapeOf(n.Args[0]), "d(slice)/dx = g placed back, zeros elsewhere: " + n.Source, n.Attrs.ToArray()));

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Layout.Slice({c.Ref(n.Args[0])}, {c.S(n.Args[0])}, {n.Int(0)}, {n.Int(1)}, {c.Ref(n.Id)}, {c.S(n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.Slice(b, {c.V(n.Args[0])}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)}{nm})";
}

internal sealed class SliceGradRule : OpRule
{
    public override string Name => "slice_grad";

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Layout.SliceBackward({c.Ref(n.Args[0])}, {c.S(n.Args[0])}, {n.Int(0)}, {n.Int(1)}, {c.Ref(n.Id)}, {c.S(n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.PadAxis(b, {c.V(n.Args[0])}, {n.Int(0)}, {n.Int(1)}, {n.Shape[n.Int(0)] - n.Int(2)}{nm})";
}

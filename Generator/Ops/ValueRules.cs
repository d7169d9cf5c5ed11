using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>A <c>Forward</c> input: bound to the caller's tensor, declared by each function.</summary>
internal sealed class InputRule : OpRule
{
    public override string Name => "input";
    public override void Backward(AdContext ad, Node n, int g) { }
    public override string? Trainer(EmitContext c, Node n) => null;
    public override string? Mil(EmitContext c, Node n, MilName nm) => null;
}

/// <summary>A parameter: a trainer field, or a function input / const in the package.</summary>
internal sealed class ParamRule : OpRule
{
    public override string Name => "param";
    public override void Backward(AdContext ad, Node n, int g) { }
    public override string? Trainer(EmitContext c, Node n) => null;
    public override string? Mil(EmitContext c, Node n, MilName nm) => null;
}

/// <summary>A scalar literal from the source.</summary>
internal sealed class ConstRule : OpRule
{
    public override string Name => "const";
    public override void Backward(AdContext ad, Node n, int g) { }
    public override string? Trainer(EmitContext c, Node n) => null;
    public override string? TrainerInit(EmitContext c, Node n) => $"global::System.Array.Fill({c.Ref(n.Id)}, {Float(n.Scalar)});";
    public override string? Mil(EmitContext c, Node n, MilName nm) => $"b.Scalar({Float(n.Scalar)}{nm.PositionalTail})";
}

/// <summary>A constant-valued tensor made by the backward pass (the seed dL/dL = 1, zero gradients).</summary>
internal sealed class FillRule : OpRule
{
    public override string Name => "fill";
    public override string? Trainer(EmitContext c, Node n) => null;
    public override string? TrainerInit(EmitContext c, Node n) => $"global::System.Array.Fill({c.Ref(n.Id)}, {Float(n.Scalar)});";
    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        n.Shape.Count == 0 ? $"b.Scalar({Float(n.Scalar)}{nm.PositionalTail})" : $"b.Fill({c.LongArray(n.Shape)}, {Float(n.Scalar)}{nm})";
}

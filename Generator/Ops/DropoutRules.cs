using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// A dropout mask (attr ordinal): filled by the trainer's dropout from its seeded generator; in the
/// package's training functions the input <c>dropout_mask_{ordinal}</c> (0 or 1/(1 − p) per element).
/// </summary>
internal sealed class DropoutMaskRule : OpRule
{
    public override string Name => "dropout_mask";
    public override void Backward(AdContext ad, Node n, int g) { }
    public override string? Trainer(EmitContext c, Node n) => null;
    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"training ? b.Input(global::TrainingGen.TrainingNames.DropoutMaskPrefix + \"{n.Int(0)}\", {EmitContext.Mil}.MilDType.Float32, {c.LongArray(n.Shape)}) : default!";
}

/// <summary>Inverted dropout (args x, mask; attr p): y = x ⊙ mask in training, y = x in eval.</summary>
internal sealed class DropoutRule : OpRule
{
    public override string Name => "dropout";

    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add("mul", new[] { g, n.Args[1] }, ad.ShapeOf(g), "d(dropout)/dx = g * mask: " + n.Source));

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Dropout.Forward({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {c.Ref(n.Args[1])}, {Float(n.Attrs[0])}, _dropoutRng, _training);";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"training ? b.Mul({c.V(n.Args[0])}, {c.V(n.Args[1])}{nm}) : b.Identity({c.V(n.Args[0])}{nm})";
}

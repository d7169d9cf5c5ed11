// Locals whose names clash with the trainer's own members, MIL reserved words, C# keywords, a
// layer's output name and each other: the generated names must stay unique valid identifiers
// (EmitNamingTests), and the package must still build (PackageRoundTripTests runs every model here).
using TrainingGen;

namespace TrainingGen.Tests.Models.Naming;

[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class ClashingNames
{
    public Linear Linear1 { get; } = new(3, 4);
    public Linear Linear2 { get; } = new(4, 4);

    public (Tensor Loss, Tensor Out) Forward([Shape(Dim.Batch, 3)] Tensor x, [Shape(Dim.Batch, 4)] Tensor y)
    {
        var batch = Linear1.Forward(x);
        var state = Ops.Relu(batch);
        var b = state * state;
        var v = b + batch;
        var Linear2_out = v * 0.5f;
        var h = Linear2.Forward(Linear2_out);
        h = Ops.Relu(h);
        h = h * h;
        return (ClashLosses.Squared(h, y), h);
    }
}

public static class ClashLosses
{
    [Loss]
    public static Tensor Squared(Tensor p, Tensor t)
    {
        var @class = p - t;
        var loss = Ops.Mean(@class * @class);
        return loss;
    }
}

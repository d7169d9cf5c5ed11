// Models that cover kinds of package the other test models do not: RMSprop and AdamW, a dilated CNN
// on a flexible batch (main has constant weights there) and an output whose name ends in "_batch".
using TrainingGen;

namespace TrainingGen.Tests.Models.PackageKinds;

[TrainingModel, RmsProp(LearningRate = 0.005, Momentum = 0.5, Centered = true)]
public partial class DilatedCnn
{
    public Conv2d Conv { get; } = new(2, 3, 3, padding: 2, dilation: 2);
    public Linear Head { get; } = new(48, 4);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 2, 4, 4)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Head.Forward(Ops.Flatten(Ops.Relu(Conv.Forward(x))));   // conv keeps 4×4: 3·4·4 = 48
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

/// <summary>An output named like the trainer's batch field: its MIL name and manifest entry must agree.</summary>
[TrainingModel, AdamW(LearningRate = 0.01, WeightDecay = 0.1, AmsGrad = true)]
public partial class BatchNamedOutput
{
    public Linear Fc { get; } = new(3, 2);
    public (Tensor Loss, Tensor LogitsBatch) Forward([Shape(Dim.Batch, 3)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Fc.Forward(x);
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

// A small CNN with batch normalisation: conv → BN → ReLU → max-pool → linear, cross-entropy.
using TrainingGen;

namespace TrainingGen.Tests.Models.Bn;

[TrainingModel, Sgd(LearningRate = 0.05, Momentum = 0.9)]
public partial class BnCnn
{
    // No conv bias: BatchNorm subtracts each channel's mean, so a bias there has no effect (and a zero gradient).
    public Conv2d Conv { get; } = new(1, 4, 3, padding: 1, bias: false);
    public BatchNorm2d Norm { get; } = new(4);
    public Linear Head { get; } = new(64, 3);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 8, 8)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var h = Ops.MaxPool2d(Ops.Relu(Norm.Forward(Conv.Forward(x))), 2);   // [n, 4, 4, 4]
        var logits = Head.Forward(Ops.Flatten(h));
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

// BnCnn with BatchNorm2d(momentum: null): torch's cumulative moving average of the batch statistics.
using TrainingGen;

namespace TrainingGen.Tests.Models.Bn;

/// <summary>BnCnn with torch's momentum=None: running statistics are the cumulative average (factor 1/num_batches_tracked).</summary>
[TrainingModel, Sgd(LearningRate = 0.05, Momentum = 0.9)]
public partial class CumulativeBnCnn
{
    public Conv2d Conv { get; } = new(1, 4, 3, padding: 1, bias: false);
    public BatchNorm2d Norm { get; } = new(4, momentum: null);
    public Linear Head { get; } = new(64, 3);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 8, 8)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var h = Ops.MaxPool2d(Ops.Relu(Norm.Forward(Conv.Forward(x))), 2);
        var logits = Head.Forward(Ops.Flatten(h));
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

// The imported LeNet (Net.cs, written by `traingen import`) wrapped for training: cross-entropy on
// class labels and SGD with momentum, exactly as a hand-written model would be. The labels are an
// IntTensor, as PyTorch's are integers: the training package takes them as int32.
using TrainingGen;

namespace ImportOnnx;

/// <summary>The imported network on 1×28×28 images with class-index labels.</summary>
[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class FineTune
{
    public Net Backend { get; } = new();

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x, [Shape(Dim.Batch)] IntTensor y)
    {
        var logits = Backend.Forward(x);
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

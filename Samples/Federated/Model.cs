// The trainers the federated sample runs on devices: the LeNet of Samples/FashionMnist (and its
// digits fallback's small CNN), with plain SGD as local optimizer, as pfl-research's benchmarks use.
using FashionMnist;
using TrainingGen;

namespace FederatedSample;

/// <summary>LeNet on 1×28×28 Fashion-MNIST images, class-index labels, cross-entropy, plain SGD (local lr 0.1).</summary>
[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class FederatedLeNet
{
    public LeNet Net { get; } = new();

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Net.Forward(x);
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

/// <summary>The digits fallback: the small CNN on 1×8×8 images, cross-entropy, plain SGD.</summary>
[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class FederatedDigitsCnn
{
    public SmallCnn Net { get; } = new();

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 8, 8)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Net.Forward(x);
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

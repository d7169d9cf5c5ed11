// The models of the Fashion-MNIST sample: the LeNet-style CNN (the `cnn` benchmark model) for
// 28×28 Fashion-MNIST, and a small CNN for the 8×8 digits fallback.
using TrainingGen;

namespace FashionMnist;

/// <summary>LeNet-5 style: conv 5×5 (6) → pool → conv 5×5 (16) → pool → 256 → 120 → 84 → 10.</summary>
[Model]
public partial class LeNet
{
    public Conv2d Conv1 { get; } = new(1, 6, 5);
    public Conv2d Conv2 { get; } = new(6, 16, 5);
    public Linear Fc1 { get; } = new(256, 120);
    public Linear Fc2 { get; } = new(120, 84);
    public Linear Fc3 { get; } = new(84, 10);

    public Tensor Forward(Tensor x)
    {
        var h = Ops.MaxPool2d(Ops.Relu(Conv1.Forward(x)), 2);     // [n, 6, 12, 12]
        h = Ops.MaxPool2d(Ops.Relu(Conv2.Forward(h)), 2);         // [n, 16, 4, 4]
        h = Ops.Relu(Fc1.Forward(Ops.Flatten(h)));                // [n, 120]
        h = Ops.Relu(Fc2.Forward(h));                             // [n, 84]
        return Fc3.Forward(h);                                    // [n, 10]
    }
}

/// <summary>LeNet on 1×28×28 images with class-index labels, cross-entropy, SGD with momentum 0.9.</summary>
[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class FashionCnn
{
    public LeNet Net { get; } = new();

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Net.Forward(x);
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

/// <summary>A small CNN for 8×8 digits: conv 3×3 (16, padded) → pool → conv 3×3 (32, padded) → pool → 128 → 64 → 10.</summary>
[Model]
public partial class SmallCnn
{
    public Conv2d Conv1 { get; } = new(1, 16, 3, padding: 1);
    public Conv2d Conv2 { get; } = new(16, 32, 3, padding: 1);
    public Linear Fc1 { get; } = new(128, 64);
    public Linear Fc2 { get; } = new(64, 10);

    public Tensor Forward(Tensor x)
    {
        var h = Ops.MaxPool2d(Ops.Relu(Conv1.Forward(x)), 2);     // [n, 16, 4, 4]
        h = Ops.MaxPool2d(Ops.Relu(Conv2.Forward(h)), 2);         // [n, 32, 2, 2]
        h = Ops.Relu(Fc1.Forward(Ops.Flatten(h)));                // [n, 64]
        return Fc2.Forward(h);                                    // [n, 10]
    }
}

/// <summary>The digits fallback: the small CNN on 1×8×8 images, cross-entropy, Adam.</summary>
[TrainingModel, Adam(LearningRate = 2e-3)]
public partial class DigitsCnn
{
    public SmallCnn Net { get; } = new();

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 8, 8)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Net.Forward(x);
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

// The benchmark cases of benchmarks.md, as users would write them. Compiled into the test project
// (whole-model checks) and into tests/Benchmarks (speed against the TorchSharp figures).
using TrainingGen;

namespace TrainingGen.Benchmarks.Models;

/// <summary>mlp: 784 → 256 ReLU → 10, cross-entropy, SGD(lr 0.01, momentum 0.9), batch 64.</summary>
[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class Mlp
{
    public Linear Fc1 { get; } = new(784, 256);
    public Linear Fc2 { get; } = new(256, 10);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 784)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Fc2.Forward(Ops.Relu(Fc1.Forward(x)));
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

/// <summary>mlp-big: 1024 → 1024 ReLU → 1024 ReLU → 10, cross-entropy, Adam(lr 1e-3), batch 256.</summary>
[TrainingModel, Adam(LearningRate = 1e-3)]
public partial class MlpBig
{
    public Linear Fc1 { get; } = new(1024, 1024);
    public Linear Fc2 { get; } = new(1024, 1024);
    public Linear Fc3 { get; } = new(1024, 10);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1024)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var h = Ops.Relu(Fc2.Forward(Ops.Relu(Fc1.Forward(x))));
        var logits = Fc3.Forward(h);
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

/// <summary>The LeNet-style CNN of the cnn case (and of the Fashion-MNIST sample).</summary>
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

/// <summary>cnn: LeNet on 1×28×28, cross-entropy, SGD(lr 0.01, momentum 0.9), batch 32.</summary>
[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class Cnn
{
    public LeNet Net { get; } = new();

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Net.Forward(x);
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

/// <summary>head: a frozen 512 → 512 ReLU backbone and a trainable 512 → 10 head, cross-entropy, SGD, batch 16.</summary>
[TrainingModel, Sgd(LearningRate = 0.01)]
public partial class Head
{
    [Frozen] public Linear Backbone { get; } = new(512, 512);
    public Linear Classifier { get; } = new(512, 10);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 512)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Classifier.Forward(Ops.Relu(Backbone.Forward(x)));
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

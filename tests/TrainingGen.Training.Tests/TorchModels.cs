// Hand-written TrainingGen versions of PyTorch models whose state_dicts the tests import
// (TestData/onnx-fixtures/README.md has the PyTorch source). [StateDictName] gives the properties
// PyTorch's names where the C# name would not (Conv1 → conv_1, but torch says conv1).
using TrainingGen;

namespace TrainingGen.Training.Tests.Models;

/// <summary>The lenet fixture's LeNet: its state_dict has conv1.weight, fc1.bias, ….</summary>
[TrainingModel, Sgd(LearningRate = 0.01)]
public partial class TorchLeNet
{
    [StateDictName("conv1")] public Conv2d Conv1 { get; } = new(1, 6, 5);
    [StateDictName("conv2")] public Conv2d Conv2 { get; } = new(6, 16, 5);
    [StateDictName("fc1")] public Linear Fc1 { get; } = new(256, 120);
    [StateDictName("fc2")] public Linear Fc2 { get; } = new(120, 84);
    [StateDictName("fc3")] public Linear Fc3 { get; } = new(84, 10);

    public (Tensor Loss, Tensor Output) Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var h = Ops.MaxPool2d(Ops.Relu(Conv1.Forward(x)), 2);
        h = Ops.MaxPool2d(Ops.Relu(Conv2.Forward(h)), 2);
        var output = Fc3.Forward(Ops.Relu(Fc2.Forward(Ops.Relu(Fc1.Forward(Ops.Flatten(h))))));
        return (Ops.CrossEntropy(output, y), output);
    }
}

/// <summary>The same LeNet without [StateDictName]: its names are conv_1.weight, fc_1.bias, ….</summary>
[TrainingModel, Sgd(LearningRate = 0.01)]
public partial class SnakeLeNet
{
    public Conv2d Conv1 { get; } = new(1, 6, 5);
    public Conv2d Conv2 { get; } = new(6, 16, 5);
    public Linear Fc1 { get; } = new(256, 120);
    public Linear Fc2 { get; } = new(120, 84);
    public Linear Fc3 { get; } = new(84, 10);

    public (Tensor Loss, Tensor Output) Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var h = Ops.MaxPool2d(Ops.Relu(Conv1.Forward(x)), 2);
        h = Ops.MaxPool2d(Ops.Relu(Conv2.Forward(h)), 2);
        var output = Fc3.Forward(Ops.Relu(Fc2.Forward(Ops.Relu(Fc1.Forward(Ops.Flatten(h))))));
        return (Ops.CrossEntropy(output, y), output);
    }
}

/// <summary>The bn_cnn fixture's network: conv → BatchNorm2d → ReLU → 2×2 average pool → linear.</summary>
[TrainingModel, Sgd(LearningRate = 0.1, Momentum = 0.9)]
public partial class TorchBnCnn
{
    public Conv2d Conv { get; } = new(3, 8, 3, padding: 1);
    public BatchNorm2d Bn { get; } = new(8);
    public Linear Fc { get; } = new(8 * 4 * 4, 5);

    public (Tensor Loss, Tensor Output) Forward([Shape(Dim.Batch, 3, 8, 8)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var h = Ops.AvgPool2d(Ops.Relu(Bn.Forward(Conv.Forward(x))), 2);
        var output = Fc.Forward(Ops.Flatten(h));
        return (Ops.CrossEntropy(output, y), output);
    }
}

/// <summary>BatchNorm2d with momentum: null (torch's cumulative average) first, so its statistics depend only on the inputs.</summary>
[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class CumulativeBn
{
    public BatchNorm2d Norm { get; } = new(2, momentum: null);
    public Linear Head { get; } = new(2 * 3 * 3, 2);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 2, 3, 3)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Head.Forward(Ops.Flatten(Norm.Forward(x)));
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

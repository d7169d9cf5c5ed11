// Training models the federated tests drive through their generated trainers.
using TrainingGen;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests.Federated;

[Model]
public partial class SmallMlp
{
    public Linear Hidden { get; } = new(2, 4);
    public Linear Out { get; } = new(4, 3);
    public Tensor Forward(Tensor x) => Out.Forward(Ops.Relu(Hidden.Forward(x)));
}

/// <summary>Plain SGD (no optimizer state): a local step is w − η·∇.</summary>
[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class FedPlainNet
{
    public SmallMlp Net { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Net.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

/// <summary>A frozen backbone and a trainable head.</summary>
[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class FedFrozenNet
{
    [Frozen] public Linear Backbone { get; } = new(2, 4);
    public Linear Head { get; } = new(4, 3);
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Head.Forward(Ops.Relu(Backbone.Forward(x)));
        return (Losses.Mse(pred, y), pred);
    }
}

/// <summary>BatchNorm2d over [b, 2, 2, 2] inputs, then a linear head: running statistics are buffers.</summary>
[TrainingModel, Sgd(LearningRate = 0.1)]
public partial class FedBnNet
{
    public BatchNorm2d Norm { get; } = new(2);
    public Linear Head { get; } = new(8, 3);
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2, 2, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Head.Forward(Ops.Flatten(Norm.Forward(x)));
        return (Losses.Mse(pred, y), pred);
    }
}

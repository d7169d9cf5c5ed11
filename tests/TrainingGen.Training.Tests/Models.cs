// Small training models whose generated trainers the tests drive. All share the seed network of
// ARCHITECTURE.md §1 (Linear(2,1) -> Linear(1,3), MSE) and differ in their optimizer attribute.
using TrainingGen;

namespace TrainingGen.Training.Tests.Models;

[Model]
public partial class TwoLinear
{
    public Linear Linear1 { get; } = new(2, 1);
    public Linear Linear2 { get; } = new(1, 3);
    public Tensor Forward(Tensor x) => Linear2.Forward(Linear1.Forward(x));
}

public static class Losses
{
    [Loss]
    public static Tensor Mse(Tensor pred, Tensor label) { var d = pred - label; return Ops.Mean(d * d); }
}

[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class SgdNet
{
    public TwoLinear Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

[TrainingModel, Adam(LearningRate = 0.01, WeightDecay = 0.1)]
public partial class AdamNet
{
    public TwoLinear Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

[TrainingModel, Adam(LearningRate = 0.02, Beta1 = 0.8, Beta2 = 0.99, Eps = 1e-6, AmsGrad = true)]
public partial class AmsGradNet
{
    public TwoLinear Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

[TrainingModel, AdamW(LearningRate = 0.01, WeightDecay = 0.1, AmsGrad = true)]
public partial class AdamWNet
{
    public TwoLinear Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

/// <summary>torch defaults: AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01).</summary>
[TrainingModel, AdamW]
public partial class AdamWDefaultNet
{
    public TwoLinear Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

[TrainingModel, RmsProp(LearningRate = 0.005, Momentum = 0.5, Centered = true, WeightDecay = 0.1)]
public partial class RmsPropNet
{
    public TwoLinear Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

/// <summary>torch defaults: RMSprop(lr=1e-2, alpha=0.99, eps=1e-8).</summary>
[TrainingModel, RmsProp]
public partial class RmsPropDefaultNet
{
    public TwoLinear Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

[Model]
public partial class Head
{
    public Linear Linear { get; } = new(4, 3);
    public Tensor Forward(Tensor x) => Linear.Forward(x);
}

/// <summary>A 3-class classifier trained with MSE on one-hot targets (accuracy = argmax match).</summary>
[TrainingModel, Sgd(LearningRate = 0.1, Momentum = 0.5)]
public partial class Classifier
{
    public Head Net { get; } = new();
    public (Tensor Loss, Tensor Scores) Forward([Shape(Dim.Batch, 4)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var scores = Net.Forward(x);
        return (Losses.Mse(scores, y), scores);
    }
}

[Model]
public partial class DropoutMlp
{
    public Linear Hidden { get; } = new(2, 8);
    public Linear Out { get; } = new(8, 3);
    public Tensor Forward(Tensor x) => Out.Forward(Ops.Dropout(Ops.Relu(Hidden.Forward(x)), 0.5f));
}

/// <summary>A net with Dropout: its masks come from a random stream that checkpoints must carry.</summary>
[TrainingModel, Adam(LearningRate = 0.01)]
public partial class DropoutNet
{
    public DropoutMlp Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Losses.Mse(pred, y), pred);
    }
}

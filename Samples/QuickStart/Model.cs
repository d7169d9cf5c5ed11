// The training program of Apple's on-device training guide, in TrainingGen:
// Linear(2,1) -> Linear(1,3), an MSE loss written by the user, SGD(lr=0.001, momentum=0.9).
using TrainingGen;

namespace QuickStart;

[Model]
public partial class LinearModel
{
    public Linear Linear1 { get; } = new(2, 1);
    public Linear Linear2 { get; } = new(1, 3);
    public Tensor Forward(Tensor x) => Linear2.Forward(Linear1.Forward(x));
}

public static class Criteria
{
    [Loss]
    public static Tensor Mse(Tensor pred, Tensor label) { var d = pred - label; return Ops.Mean(d * d); }
}

[TrainingModel, Sgd(LearningRate = 0.001, Momentum = 0.9)]
public partial class ModelToExport
{
    public LinearModel Backend { get; } = new();

    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Criteria.Mse(pred, y), pred);      // loss first, else error TG0001
    }
}

// The model the cluster tests federate: small (fast), with what makes determinism hard — dropout
// masks from per-user random streams and optimizer state (momentum) that must start fresh per user.
using TrainingGen;

namespace TrainingGen.Federated.ClusterTests;

[Model]
public partial class ClusterMlp
{
    public Linear Hidden { get; } = new(2, 8);
    public Linear Out { get; } = new(8, 3);
    public Tensor Forward(Tensor x) => Out.Forward(Ops.Dropout(Ops.Relu(Hidden.Forward(x)), 0.25f));
}

public static class ClusterLosses
{
    [Loss]
    public static Tensor Mse(Tensor pred, Tensor label) { var d = pred - label; return Ops.Mean(d * d); }
}

[TrainingModel, Sgd(LearningRate = 0.05, Momentum = 0.9)]
public partial class ClusterNet
{
    public ClusterMlp Backend { get; } = new();
    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (ClusterLosses.Mse(pred, y), pred);
    }
}

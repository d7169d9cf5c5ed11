// nll_loss with int32 class labels and float features.
using TrainingGen;

namespace TrainingGen.Tests.Models.Integers;

/// <summary>nll_loss with int32 labels and float features (Adam, so the update has optimizer state).</summary>
[TrainingModel, Adam(LearningRate = 0.05)]
public partial class IntNllClassifier
{
    public Linear Fc { get; } = new(4, 3);

    public (Tensor Loss, Tensor LogProbabilities) Forward([Shape(Dim.Batch, 4)] Tensor x, [Shape(Dim.Batch)] IntTensor labels)
    {
        var logp = Ops.LogSoftmax(Fc.Forward(x));
        return (Ops.NllLoss(logp, labels, Reduction.Sum), logp);
    }
}

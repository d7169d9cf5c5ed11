// The imported fixture models wrapped with each fixture's loss (TestData/onnx-fixtures/README.md):
// MSE for seed, cross-entropy on class labels for the others. The class labels (int64 in PyTorch) and
// tiny_encoder's token ids (an int64 graph input, imported as an IntTensor parameter) are IntTensor
// inputs: int32 inputs of the training package.
using TrainingGen;

namespace TrainingGen.Import.Tests.Imported;

[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class SeedTraining
{
    public SeedNet Backend { get; } = new();

    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Backend.Forward(x);
        return (Ops.MseLoss(pred, y), pred);
    }
}

[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class MlpTraining
{
    public MlpNet Backend { get; } = new();

    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 784)] Tensor x, [Shape(Dim.Batch)] IntTensor y)
    {
        var pred = Backend.Forward(x);
        return (Ops.CrossEntropy(pred, y), pred);
    }
}

[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class LeNetTraining
{
    public LeNet Backend { get; } = new();

    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x, [Shape(Dim.Batch)] IntTensor y)
    {
        var pred = Backend.Forward(x);
        return (Ops.CrossEntropy(pred, y), pred);
    }
}

[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class BnCnnTraining
{
    public BnCnn Backend { get; } = new();

    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 3, 8, 8)] Tensor x, [Shape(Dim.Batch)] IntTensor y)
    {
        var pred = Backend.Forward(x);
        return (Ops.CrossEntropy(pred, y), pred);
    }
}

[TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
public partial class TinyEncoderTraining
{
    public TinyEncoder Backend { get; } = new();

    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 7)] IntTensor x, [Shape(Dim.Batch)] IntTensor y)
    {
        var pred = Backend.Forward(x);
        return (Ops.CrossEntropy(pred, y), pred);
    }
}

// Training models with more than one feature/label pair: what Fit, Evaluate and Predict take as
// data sets of named tensors (TensorDataset), matched to Forward's parameter names.
using TrainingGen;

namespace TrainingGen.Training.Tests.Models;

/// <summary>
/// A shared trunk (4 → 8, ReLU, dropout 0.1) with a regression head (MSE against <c>yReg</c>) and a
/// binary head (BCE with logits against <c>yBin</c>); the loss is their sum.
/// </summary>
[TrainingModel, Adam(LearningRate = 0.02)]
public partial class TwoHeadNet
{
    public Linear Trunk { get; } = new(4, 8);
    public Linear RegHead { get; } = new(8, 1);
    public Linear BinHead { get; } = new(8, 1);

    public (Tensor Loss, Tensor Reg, Tensor BinLogit) Forward(
        [Shape(Dim.Batch, 4)] Tensor x, [Shape(Dim.Batch, 1)] Tensor yReg, [Shape(Dim.Batch, 1)] Tensor yBin)
    {
        var h = Ops.Dropout(Ops.Relu(Trunk.Forward(x)), 0.1f);
        var reg = RegHead.Forward(h);
        var bin = BinHead.Forward(h);
        return (Ops.MseLoss(reg, yReg) + Ops.BinaryCrossEntropyWithLogits(bin, yBin), reg, bin);
    }
}

/// <summary>Two feature inputs (<c>a</c> and <c>b</c>, concatenated) and a label <c>y</c> declared between them.</summary>
[TrainingModel, Sgd(LearningRate = 0.05)]
public partial class TwoFeatureNet
{
    public Linear Out { get; } = new(5, 2);

    public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 3)] Tensor a, [Shape(Dim.Batch, 2)] Tensor y, [Shape(Dim.Batch, 2)] Tensor b)
    {
        var pred = Out.Forward(Ops.Concat(a, b, 1));
        return (Ops.MseLoss(pred, y), pred);
    }
}

/// <summary>A sequence-first input <c>[3, batch, 2]</c> (the batch is not the first dimension): transposed to [batch, 3, 2], flattened, then 6 → 3.</summary>
[TrainingModel, Sgd(LearningRate = 0.05)]
public partial class SeqFirstNet
{
    public Linear Out { get; } = new(6, 3);

    public (Tensor Loss, Tensor Pred) Forward([Shape(3, Dim.Batch, 2)] Tensor s, [Shape(Dim.Batch, 3)] Tensor y)
    {
        var pred = Out.Forward(Ops.Flatten(Ops.Transpose(s, 0, 1)));
        return (Ops.MseLoss(pred, y), pred);
    }
}

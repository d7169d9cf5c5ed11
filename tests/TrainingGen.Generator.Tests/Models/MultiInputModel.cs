// A package with several labels and several prediction outputs: a shared trunk with a regression
// head (MSE against yReg) and a binary head (BCE with logits against yBin), the losses summed.
// PackageRoundTripTests writes its packages (and .ci/validate-packages.sh checks them with coremltools).
using TrainingGen;

namespace TrainingGen.Tests.Models.MultiInput;

[TrainingModel, Adam(LearningRate = 0.01)]
public partial class TwoHeads
{
    public Linear Trunk { get; } = new(4, 8);
    public Linear RegHead { get; } = new(8, 1);
    public Linear BinHead { get; } = new(8, 1);

    public (Tensor Loss, Tensor Reg, Tensor BinLogit) Forward(
        [Shape(Dim.Batch, 4)] Tensor x, [Shape(Dim.Batch, 1)] Tensor yReg, [Shape(Dim.Batch, 1)] Tensor yBin)
    {
        var h = Ops.Relu(Trunk.Forward(x));
        var reg = RegHead.Forward(h);
        var bin = BinHead.Forward(h);
        return (Ops.MseLoss(reg, yReg) + Ops.BinaryCrossEntropyWithLogits(bin, yBin), reg, bin);
    }
}

// Imported from model.onnx (ONNX opset 17, exported by pytorch 1.13.0) by `traingen import`.
// The weights are in BnCnn.safetensors under their PyTorch state_dict names. Re-run the import
// rather than editing this file when the exported model changes.
using TrainingGen;

namespace TrainingGen.Import.Tests.Imported;

/// <summary>Imported ONNX graph: x [batch, 3, 8, 8] → output [batch, 5].</summary>
[Model]
public partial class BnCnn
{
    [StateDictName("conv")] public Conv2d Conv { get; } = new(3, 8, 3, padding: 1);
    [StateDictName("bn")] public BatchNorm2d Bn { get; } = new(8);
    [StateDictName("fc")] public Linear Fc { get; } = new(128, 5);

    public Tensor Forward([Shape(Dim.Batch, 3, 8, 8)] Tensor x)
    {
        var conv = Conv.Forward(x);         // [batch, 8, 8, 8]
        var bn = Bn.Forward(conv);          // [batch, 8, 8, 8]
        var relu = Ops.Relu(bn);            // [batch, 8, 8, 8]
        var pool = Ops.AvgPool2d(relu, 2);  // [batch, 8, 4, 4]
        var flat = Ops.Flatten(pool);       // [batch, 128]
        var fc = Fc.Forward(flat);          // [batch, 5]
        return fc;
    }
}

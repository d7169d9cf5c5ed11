// Imported from model.onnx (ONNX opset 17, exported by pytorch 1.13.0) by `traingen import`.
// The weights are in MlpNet.safetensors under their PyTorch state_dict names. Re-run the import
// rather than editing this file when the exported model changes.
using TrainingGen;

namespace TrainingGen.Import.Tests.Imported;

/// <summary>Imported ONNX graph: x [batch, 784] → output [batch, 10].</summary>
[Model]
public partial class MlpNet
{
    [StateDictName("fc1")] public Linear Fc1 { get; } = new(784, 256);
    [StateDictName("fc2")] public Linear Fc2 { get; } = new(256, 10);

    public Tensor Forward([Shape(Dim.Batch, 784)] Tensor x)
    {
        var fc1 = Fc1.Forward(x);     // [batch, 256]
        var relu = Ops.Relu(fc1);     // [batch, 256]
        var fc2 = Fc2.Forward(relu);  // [batch, 10]
        return fc2;
    }
}

// Imported from model.onnx (ONNX opset 17, exported by pytorch 1.13.0) by `traingen import`.
// The weights are in SeedNet.safetensors under their PyTorch state_dict names. Re-run the import
// rather than editing this file when the exported model changes.
using TrainingGen;

namespace TrainingGen.Import.Tests.Imported;

/// <summary>Imported ONNX graph: x [batch, 2] → output [batch, 3].</summary>
[Model]
public partial class SeedNet
{
    [StateDictName("linear_1")] public Linear Linear1 { get; } = new(2, 1);
    [StateDictName("linear_2")] public Linear Linear2 { get; } = new(1, 3);

    public Tensor Forward([Shape(Dim.Batch, 2)] Tensor x)
    {
        var linear1 = Linear1.Forward(x);        // [batch, 1]
        var linear2 = Linear2.Forward(linear1);  // [batch, 3]
        return linear2;
    }
}

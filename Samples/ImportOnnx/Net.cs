// Imported from lenet.onnx (ONNX opset 17, exported by pytorch 1.13.0) by `traingen import`.
// The weights are in Net.safetensors under their PyTorch state_dict names. Re-run the import
// rather than editing this file when the exported model changes.
using TrainingGen;

namespace ImportOnnx;

/// <summary>Imported ONNX graph: x [batch, 1, 28, 28] → output [batch, 10].</summary>
[Model]
public partial class Net
{
    [StateDictName("conv1")] public Conv2d Conv1 { get; } = new(1, 6, 5);
    [StateDictName("conv2")] public Conv2d Conv2 { get; } = new(6, 16, 5);
    [StateDictName("fc1")] public Linear Fc1 { get; } = new(256, 120);
    [StateDictName("fc2")] public Linear Fc2 { get; } = new(120, 84);
    [StateDictName("fc3")] public Linear Fc3 { get; } = new(84, 10);

    public Tensor Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x)
    {
        var conv1 = Conv1.Forward(x);         // [batch, 6, 24, 24]
        var relu = Ops.Relu(conv1);           // [batch, 6, 24, 24]
        var pool = Ops.MaxPool2d(relu, 2);    // [batch, 6, 12, 12]
        var conv2 = Conv2.Forward(pool);      // [batch, 16, 8, 8]
        var relu2 = Ops.Relu(conv2);          // [batch, 16, 8, 8]
        var pool2 = Ops.MaxPool2d(relu2, 2);  // [batch, 16, 4, 4]
        var flat = Ops.Flatten(pool2);        // [batch, 256]
        var fc1 = Fc1.Forward(flat);          // [batch, 120]
        var relu3 = Ops.Relu(fc1);            // [batch, 120]
        var fc2 = Fc2.Forward(relu3);         // [batch, 84]
        var relu4 = Ops.Relu(fc2);            // [batch, 84]
        var fc3 = Fc3.Forward(relu4);         // [batch, 10]
        return fc3;
    }
}

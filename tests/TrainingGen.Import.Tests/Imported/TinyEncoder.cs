// Imported from model.onnx (ONNX opset 17, exported by pytorch 1.13.0) by `traingen import`.
// The weights are in TinyEncoder.safetensors under their PyTorch state_dict names. Re-run the import
// rather than editing this file when the exported model changes.
using TrainingGen;

namespace TrainingGen.Import.Tests.Imported;

/// <summary>Imported ONNX graph: x [batch, 7] (int64 indices: an IntTensor; <c>IntTensor.FromInt64</c> range-checks int64 data) → output [batch, 4].</summary>
[Model]
public partial class TinyEncoder
{
    [StateDictName("embed")] public Embedding Embed { get; } = new(50, 16);
    [StateDictName("norm")] public LayerNorm Norm { get; } = new(16);
    [StateDictName("up")] public Linear Up { get; } = new(16, 32);
    [StateDictName("down")] public Linear Down { get; } = new(32, 16);
    [StateDictName("head")] public Linear Head { get; } = new(16, 4);

    public Tensor Forward([Shape(Dim.Batch, 7)] IntTensor x)
    {
        var embed = Embed.Forward(x);    // [batch, 7, 16]
        var norm = Norm.Forward(embed);  // [batch, 7, 16]
        var up = Up.Forward(norm);       // [batch, 7, 32]
        var gelu = Ops.Gelu(up);         // [batch, 7, 32]
        var down = Down.Forward(gelu);   // [batch, 7, 16]
        var add = embed + down;          // [batch, 7, 16]
        var mean = Ops.Mean(add, 1);     // [batch, 16]
        var head = Head.Forward(mean);   // [batch, 4]
        return head;
    }
}

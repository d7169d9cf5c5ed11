// A 2-layer pre-norm transformer encoder classifier: token embedding + learned positions, two
// heads of self-attention written with reshape/transpose/matmul/softmax, a GELU MLP, residuals,
// a final LayerNorm, mean pooling over the sequence and a linear head.
using TrainingGen;

namespace TrainingGen.Tests.Models.Transformer;

[Model]
public partial class EncoderLayer
{
    public LayerNorm Norm1 { get; } = new(16);
    public Linear Query { get; } = new(16, 16);
    // No key bias: it adds the same q·b to every score of a row, which softmax ignores, so its
    // gradient is exactly zero and Adam would only amplify float32 rounding noise there.
    public Linear Key { get; } = new(16, 16, bias: false);
    public Linear Value { get; } = new(16, 16);
    public Linear Output { get; } = new(16, 16);
    public LayerNorm Norm2 { get; } = new(16);
    public Linear Up { get; } = new(16, 32);
    public Linear Down { get; } = new(32, 16);

    public Tensor Forward(Tensor x)                                          // [n, 6, 16]
    {
        var h = Norm1.Forward(x);
        var q = Ops.Transpose(Ops.Reshape(Query.Forward(h), Dim.Batch, 6, 2, 8), 1, 2);   // [n, 2, 6, 8]
        var k = Ops.Transpose(Ops.Reshape(Key.Forward(h), Dim.Batch, 6, 2, 8), 1, 2);
        var v = Ops.Transpose(Ops.Reshape(Value.Forward(h), Dim.Batch, 6, 2, 8), 1, 2);
        var scores = Ops.MatMul(q, Ops.Transpose(k, 2, 3)) * 0.35355339f;                 // 1/√8
        var attention = Ops.MatMul(Ops.Softmax(scores), v);                               // [n, 2, 6, 8]
        x = x + Output.Forward(Ops.Reshape(Ops.Transpose(attention, 1, 2), Dim.Batch, 6, 16));
        x = x + Down.Forward(Ops.Gelu(Up.Forward(Norm2.Forward(x))));
        return x;
    }
}

[TrainingModel, Adam(LearningRate = 1e-3)]
public partial class TransformerClassifier
{
    public Embedding Tokens { get; } = new(20, 16);
    public Parameter Positions { get; } = new(6, 16);
    public EncoderLayer Layer1 { get; } = new();
    public EncoderLayer Layer2 { get; } = new();
    public LayerNorm Norm { get; } = new(16);
    public Linear Head { get; } = new(16, 4);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 6)] Tensor tokens, [Shape(Dim.Batch)] Tensor label)
    {
        var x = Tokens.Forward(tokens) + Positions.Forward();
        x = Layer2.Forward(Layer1.Forward(x));
        var logits = Head.Forward(Ops.Mean(Norm.Forward(x), 1));
        return (Ops.CrossEntropy(logits, label), logits);
    }
}

// Models with integer (int32) inputs: token ids into an Embedding, class labels into
// cross-entropy, through a [Loss] function and a sub-model that take IntTensors (IntegerNllModel.cs:
// nll_loss). This file is also a generated-code snapshot (SnapshotTests, "int_tokens").
using TrainingGen;

namespace TrainingGen.Tests.Models.Integers;

/// <summary>Token ids [batch, 3] → Embedding(10, 4) → relu → flatten [batch, 12] → Linear(12, 3) logits.</summary>
[Model]
public partial class TokenClassifier
{
    public Embedding Tokens { get; } = new(10, 4);
    public Linear Head { get; } = new(12, 3);

    public Tensor Forward(IntTensor ids) => Head.Forward(Ops.Flatten(Ops.Relu(Tokens.Forward(ids))));
}

public static class IntegerLosses
{
    /// <summary>A [Loss] with an IntTensor parameter: inlined like any other.</summary>
    [Loss] public static Tensor SmoothedCrossEntropy(Tensor logits, IntTensor labels) => Ops.CrossEntropy(logits, labels, 0.1f);
}

/// <summary>The acceptance model: int32 token ids (a feature) and int32 class labels.</summary>
[TrainingModel, Sgd(LearningRate = 0.5, Momentum = 0.5)]
public partial class TokenTagger
{
    public TokenClassifier Model { get; } = new();

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 3)] IntTensor ids, [Shape(Dim.Batch)] IntTensor labels)
    {
        var logits = Model.Forward(ids);
        return (IntegerLosses.SmoothedCrossEntropy(logits, labels), logits);
    }
}

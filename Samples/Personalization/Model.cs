// The models of the personalisation sample. Both training models hold the same `Backbone` and `Head`
// properties, so their parameters have the same PyTorch state_dict names (backbone.*, head.*) and the
// pretrained weights load into the personalised model by name.
using TrainingGen;

namespace Personalization;

/// <summary>The feature extractor: 64 → 64 ReLU → 64 ReLU.</summary>
[Model]
public partial class Backbone
{
    public Linear Fc1 { get; } = new(64, 64);
    public Linear Fc2 { get; } = new(64, 64);

    public Tensor Forward(Tensor x) => Ops.Relu(Fc2.Forward(Ops.Relu(Fc1.Forward(x))));
}

/// <summary>The classifier pretrained on the vendor's data: backbone and head both trained.</summary>
[TrainingModel, Adam(LearningRate = 2e-3)]
public partial class DigitClassifier
{
    public Backbone Backbone { get; } = new();
    public Linear Head { get; } = new(64, 10);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 64)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Head.Forward(Backbone.Forward(x));
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

/// <summary>
/// The on-device model: the same network with the backbone [Frozen] — no gradients, no optimizer
/// state, no backward work for it — so only the head learns from the user's few samples.
/// </summary>
[TrainingModel, Adam(LearningRate = 1e-2)]
public partial class PersonalizedClassifier
{
    [Frozen] public Backbone Backbone { get; } = new();
    public Linear Head { get; } = new(64, 10);

    public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 64)] Tensor x, [Shape(Dim.Batch)] Tensor y)
    {
        var logits = Head.Forward(Backbone.Forward(x));
        return (Ops.CrossEntropy(logits, y), logits);
    }
}

using System;

namespace TrainingGen;

/// <summary>
/// A fully connected layer, <c>y = x·Wᵀ + b</c>, with PyTorch's layout (<c>weight</c> is
/// <c>[out, in]</c>, <c>bias</c> is <c>[out]</c>) and initialisation (uniform in ±1/√in).
/// </summary>
[Op("linear")]
public sealed class Linear
{
    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear({inFeatures}, {outFeatures}): sizes must be positive.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Tensor(outFeatures, inFeatures);
        Bias = bias ? new Tensor(outFeatures) : null;
        ParameterInit.UniformEager(Weight.Data, inFeatures);
        if (Bias is not null) ParameterInit.UniformEager(Bias.Data, inFeatures);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>Applies the layer to <c>[..., in]</c> and returns <c>[..., out]</c>.</summary>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank < 1 || x.Shape[^1] != InFeatures)
            throw new ArgumentException($"Linear({InFeatures}, {OutFeatures}): input has shape {ShapeUtil.Format(x.Shape)}, expected [..., {InFeatures}].");
        int rows = x.Count / InFeatures;
        var shape = (int[])x.Shape.Clone();
        shape[^1] = OutFeatures;
        var y = new Tensor(shape);
        Kernels.Dense.LinearForward(x.Data, Weight.Data, Bias?.Data, y.Data, rows, InFeatures, OutFeatures);
        return y;
    }
}

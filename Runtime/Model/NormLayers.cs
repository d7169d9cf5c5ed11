using System;

namespace TrainingGen;

/// <summary>
/// Layer normalisation over the last dimension (<c>torch.nn.LayerNorm(dim)</c>): weight ones,
/// bias zeros, ε = 1e-5.
/// </summary>
[Op("layer_norm")]
public sealed class LayerNorm
{
    public LayerNorm(int normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        if (normalizedShape <= 0) throw new ArgumentOutOfRangeException(nameof(normalizedShape));
        Dim = normalizedShape; Eps = eps;
        if (elementwiseAffine)
        {
            Weight = new Tensor(normalizedShape);
            Array.Fill(Weight.Data, 1f);
            Bias = new Tensor(normalizedShape);
        }
    }

    public int Dim { get; }
    public float Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x)
    {
        if (x.Rank < 1 || x.Shape[^1] != Dim)
            throw new ArgumentException($"LayerNorm({Dim}): input has shape {ShapeUtil.Format(x.Shape)}.");
        var y = new Tensor(x.Shape);
        Kernels.LayerNorm.Forward(x.Data, Weight is null ? default : Weight.Data, Bias is null ? default : Bias.Data, y.Data,
            new float[2 * (x.Count / Dim)], Dim, Eps);
        return y;
    }
}

/// <summary>
/// A lookup table (<c>torch.nn.Embedding</c>): weight [num, dim] drawn from N(0, 1); indices are
/// integers stored in a float tensor.
/// </summary>
[Op("embedding")]
public sealed class Embedding
{
    public Embedding(int numEmbeddings, int embeddingDim)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0) throw new ArgumentOutOfRangeException(nameof(numEmbeddings));
        Count = numEmbeddings; Dim = embeddingDim;
        Weight = new Tensor(numEmbeddings, embeddingDim);
        ParameterInit.NormalEager(Weight.Data);
    }

    public int Count { get; }
    public int Dim { get; }
    public Tensor Weight { get; }

    public Tensor Forward(Tensor indices)
    {
        var shape = new int[indices.Rank + 1];
        indices.Shape.CopyTo(shape, 0);
        shape[^1] = Dim;
        var y = new Tensor(shape);
        Kernels.Embedding.Forward(indices.Data, Weight.Data, y.Data, Count, Dim);
        return y;
    }
}

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
/// an <see cref="IntTensor"/> (int32, as a package input too), or whole numbers stored in a float tensor.
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

    /// <summary>The rows at int32 <paramref name="indices"/>: [...] → [..., dim].</summary>
    public Tensor Forward(IntTensor indices)
    {
        var y = new Tensor(OutputShape(indices.Shape));
        Kernels.Embedding.Forward(indices.Data, Weight.Data, y.Data, Count, Dim);
        return y;
    }

    /// <summary>The rows at <paramref name="indices"/> stored as floats (each must be a whole number): [...] → [..., dim].</summary>
    public Tensor Forward(Tensor indices)
    {
        var y = new Tensor(OutputShape(indices.Shape));
        Kernels.Embedding.Forward(indices.Data, Weight.Data, y.Data, Count, Dim);
        return y;
    }

    private int[] OutputShape(int[] indices)
    {
        var shape = new int[indices.Length + 1];
        indices.CopyTo(shape, 0);
        shape[^1] = Dim;
        return shape;
    }
}

/// <summary>
/// Batch normalisation over the channels of NCHW input (<c>torch.nn.BatchNorm2d</c>): weight ones,
/// bias zeros, running_mean zeros, running_var ones, ε = 1e-5, momentum 0.1 — or <c>momentum: null</c>
/// for the cumulative moving average (factor 1/num_batches_tracked), as in torch. Trainers use batch
/// statistics in <c>Step</c> (updating the running ones and counting the pass in
/// <c>num_batches_tracked</c>, an int64 state_dict buffer) and running statistics in
/// <c>Evaluate</c>/<c>Predict</c>; the eager layer follows <see cref="Training"/>.
/// </summary>
[Op("batch_norm2d")]
public sealed class BatchNorm2d
{
    public BatchNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures));
        if (momentum is float m && !(m >= 0 && m <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), m, "The momentum must be in [0, 1], or null for the cumulative average.");
        Channels = numFeatures; Eps = eps; Momentum = momentum;
        Weight = new Tensor(numFeatures); Array.Fill(Weight.Data, 1f);
        Bias = new Tensor(numFeatures);
        RunningMean = new Tensor(numFeatures);
        RunningVar = new Tensor(numFeatures); Array.Fill(RunningVar.Data, 1f);
    }

    public int Channels { get; }
    public float Eps { get; }
    /// <summary>The running statistics' update factor; null for the cumulative average (1/<see cref="NumBatchesTracked"/>).</summary>
    public float? Momentum { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }
    /// <summary>torch's <c>num_batches_tracked</c>: forward passes in training mode so far.</summary>
    public long NumBatchesTracked { get; set; }
    /// <summary>torch's <c>module.training</c>: batch statistics when true, running statistics when false.</summary>
    public bool Training { get; set; } = true;

    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != Channels)
            throw new ArgumentException($"BatchNorm2d({Channels}): input has shape {ShapeUtil.Format(x.Shape)}, expected [n, {Channels}, h, w].");
        var y = new Tensor(x.Shape);
        Span<long> counter = stackalloc long[] { NumBatchesTracked };
        float factor = Kernels.BatchNorm.Track(counter, Momentum ?? -1f, Training);
        NumBatchesTracked = counter[0];
        Kernels.BatchNorm.Forward(x.Data, Weight.Data, Bias.Data, RunningMean.Data, RunningVar.Data, y.Data, new float[2 * Channels],
            x.Shape[0], Channels, x.Shape[2] * x.Shape[3], Eps, factor, Training);
        return y;
    }
}

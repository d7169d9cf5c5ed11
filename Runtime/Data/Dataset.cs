using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.Data;

/// <summary>
/// A labelled data set of fixed-shape samples. Each sample is one feature tensor and one label
/// tensor (row-major fp32). Class labels are stored as the class index in a rank-0 label
/// (<see cref="LabelShape"/> = <c>[]</c>) or one-hot.
/// <para>As an <see cref="ITensorDataset"/> it holds two tensors, <c>features</c> and <c>labels</c>,
/// which Fit, Evaluate and Predict match by role to a trainer with one feature input and one label
/// input. For any other trainer use a <see cref="TensorDataset"/> named after <c>Forward</c>'s parameters.</para>
/// </summary>
public interface IDataset : ITensorDataset
{
    /// <summary>Shape of one sample's features (without the batch dimension).</summary>
    int[] FeatureShape { get; }
    /// <summary>Shape of one sample's label (without the batch dimension); <c>[]</c> for a class index.</summary>
    int[] LabelShape { get; }
    /// <summary>Copies sample <paramref name="index"/> into a batch slot. Must not allocate.</summary>
    void CopySample(int index, Span<float> features, Span<float> label);

    /// <summary>The role names an <see cref="IDataset"/> has as an <see cref="ITensorDataset"/>.</summary>
    internal static readonly string[] RoleNames = { "features", "labels" };

    IReadOnlyList<string> ITensorDataset.Names => RoleNames;
    IReadOnlyList<int[]> ITensorDataset.SampleShapes => new[] { FeatureShape, LabelShape };
    void ITensorDataset.CopySample(int index, ReadOnlySpan<Memory<float>> destinations) =>
        CopySample(index, destinations[0].Span, destinations[1].Span);
}

/// <summary>A data set held in two flat arrays.</summary>
public sealed class InMemoryDataset : IDataset
{
    private readonly float[] _features, _labels;
    private readonly int _featureSize, _labelSize;

    /// <param name="features">Count · ∏featureShape values, sample-major.</param>
    /// <param name="featureShape">Shape of one sample's features.</param>
    /// <param name="labels">Count · ∏labelShape values, sample-major.</param>
    /// <param name="labelShape">Shape of one label; <c>[]</c> for class indices.</param>
    public InMemoryDataset(float[] features, int[] featureShape, float[] labels, int[] labelShape)
    {
        _features = features ?? throw new ArgumentNullException(nameof(features));
        _labels = labels ?? throw new ArgumentNullException(nameof(labels));
        FeatureShape = (int[])(featureShape ?? throw new ArgumentNullException(nameof(featureShape))).Clone();
        LabelShape = (int[])(labelShape ?? throw new ArgumentNullException(nameof(labelShape))).Clone();
        _featureSize = ShapeUtil.Count(FeatureShape);
        _labelSize = ShapeUtil.Count(LabelShape);
        if (_featureSize <= 0) throw new ArgumentException($"The feature shape {ShapeUtil.Format(FeatureShape)} has no elements.", nameof(featureShape));
        if (features.Length % _featureSize != 0)
            throw new ArgumentException($"{features.Length} feature values are not a whole number of samples of shape {ShapeUtil.Format(FeatureShape)}.", nameof(features));
        Count = features.Length / _featureSize;
        if (labels.Length != Count * _labelSize)
            throw new ArgumentException($"{Count} samples need {Count * _labelSize} label values of shape {ShapeUtil.Format(LabelShape)}, got {labels.Length}.", nameof(labels));
    }

    /// <summary>Rows of <paramref name="features"/> are samples; labels are class indices (<c>[]</c>-shaped).</summary>
    public static InMemoryDataset FromRows(float[,] features, float[] classIndices) =>
        new(Flatten(features), new[] { features.GetLength(1) }, (float[])classIndices.Clone(), Array.Empty<int>());

    /// <summary>Rows of <paramref name="features"/> and <paramref name="labels"/> are samples.</summary>
    public static InMemoryDataset FromRows(float[,] features, float[,] labels) =>
        new(Flatten(features), new[] { features.GetLength(1) }, Flatten(labels), new[] { labels.GetLength(1) });

    private static float[] Flatten(float[,] a)
    {
        var r = new float[a.Length];
        Buffer.BlockCopy(a, 0, r, 0, a.Length * sizeof(float));
        return r;
    }

    public int Count { get; }
    public int[] FeatureShape { get; }
    public int[] LabelShape { get; }
    /// <summary>The feature values (sample-major); live.</summary>
    public float[] Features => _features;
    /// <summary>The label values (sample-major); live.</summary>
    public float[] Labels => _labels;

    public void CopySample(int index, Span<float> features, Span<float> label)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The data set has {Count} samples.");
        _features.AsSpan(index * _featureSize, _featureSize).CopyTo(features);
        _labels.AsSpan(index * _labelSize, _labelSize).CopyTo(label);
    }
}

/// <summary>A view of some samples of another data set, in the order of <see cref="Indices"/>.</summary>
public sealed class SubsetDataset : IDataset
{
    private readonly IDataset _source;
    private readonly int[] _indices;

    public SubsetDataset(IDataset source, IEnumerable<int> indices)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _indices = indices.ToArray();
        foreach (var i in _indices)
            if ((uint)i >= (uint)source.Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"The source has {source.Count} samples.");
    }

    public IReadOnlyList<int> Indices => _indices;
    public int Count => _indices.Length;
    public int[] FeatureShape => _source.FeatureShape;
    public int[] LabelShape => _source.LabelShape;
    public void CopySample(int index, Span<float> features, Span<float> label) => _source.CopySample(_indices[index], features, label);
}

/// <summary>Seeded shuffling, splits and one-hot conversion.</summary>
public static class Dataset
{
    /// <summary>
    /// Fisher–Yates shuffle with <see cref="Rng"/>: for i = n−1 down to 1, j = ⌊u·(i+1) / 2⁶⁴⌋ with
    /// u = <see cref="Rng.NextUInt64"/>, swap items i and j. The same seed gives the same order on
    /// every platform. Does not allocate.
    /// </summary>
    public static void Shuffle(Span<int> items, Rng rng)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)Math.BigMul(rng.NextUInt64(), (ulong)(i + 1), out _);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// The sample order of epoch <paramref name="epoch"/> for shuffle seed <paramref name="seed"/>:
    /// 0..n−1 shuffled by <see cref="Shuffle"/> with <c>new Rng(seed ⊕ (epoch · 0x9E3779B97F4A7C15))</c>.
    /// Depending only on (seed, epoch) makes a resumed run see the same order.
    /// </summary>
    public static void EpochOrder(Span<int> order, ulong seed, int epoch)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Shuffle(order, new Rng(seed ^ unchecked((ulong)epoch * 0x9E3779B97F4A7C15UL)));
    }

    /// <summary>
    /// Splits into training and validation sets: the samples are shuffled with <paramref name="seed"/>
    /// and the first ⌊validationFraction·n⌋ become the validation set.
    /// </summary>
    public static (IDataset Train, IDataset Validation) Split(IDataset data, double validationFraction, ulong seed)
    {
        if (data is null) throw new ArgumentNullException(nameof(data));
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in (0, 1).");
        var order = Enumerable.Range(0, data.Count).ToArray();
        Shuffle(order, new Rng(seed));
        int nVal = (int)Math.Floor(validationFraction * data.Count);
        return (new SubsetDataset(data, order.Skip(nVal)), new SubsetDataset(data, order.Take(nVal)));
    }

    /// <summary>
    /// <see cref="Split(IDataset, double, ulong)"/> for a data set of named tensors: the same
    /// seeded order, returned as <see cref="TensorSubset"/> views.
    /// </summary>
    public static (ITensorDataset Train, ITensorDataset Validation) Split(ITensorDataset data, double validationFraction, ulong seed)
    {
        if (data is null) throw new ArgumentNullException(nameof(data));
        // A features/labels set stays one, so its halves are still matched by role.
        if (data is IDataset roles) return Split(roles, validationFraction, seed);
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in (0, 1).");
        var order = Enumerable.Range(0, data.Count).ToArray();
        Shuffle(order, new Rng(seed));
        int nVal = (int)Math.Floor(validationFraction * data.Count);
        return (new TensorSubset(data, order.Skip(nVal)), new TensorSubset(data, order.Take(nVal)));
    }

    /// <summary>A copy with class-index labels turned into one-hot vectors of <paramref name="classes"/> entries.</summary>
    public static InMemoryDataset OneHot(IDataset data, int classes)
    {
        if (ShapeUtil.Count(data.LabelShape) != 1) throw new ArgumentException($"One-hot needs class-index labels; these have shape {ShapeUtil.Format(data.LabelShape)}.");
        int fs = ShapeUtil.Count(data.FeatureShape);
        var f = new float[data.Count * fs];
        var l = new float[data.Count * classes];
        var label = new float[1];
        for (int i = 0; i < data.Count; i++)
        {
            data.CopySample(i, f.AsSpan(i * fs, fs), label);
            int c = (int)label[0];
            if (c < 0 || c >= classes || c != label[0]) throw new ArgumentException($"Sample {i} has label {label[0]}, not a class index below {classes}.");
            l[i * classes + c] = 1;
        }
        return new InMemoryDataset(f, data.FeatureShape, l, new[] { classes });
    }
}

/// <summary>
/// Preallocated batch tensors [batch, …featureShape] and [batch, …labelShape], filled from a data
/// set without allocating. <see cref="Inputs"/> is the (features, labels) list a trainer takes.
/// </summary>
public sealed class BatchBuffer
{
    private readonly IDataset _data;
    private readonly int _fs, _ls;

    public BatchBuffer(IDataset data, int batchSize)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        BatchSize = batchSize;
        _fs = ShapeUtil.Count(data.FeatureShape);
        _ls = ShapeUtil.Count(data.LabelShape);
        Features = new Tensor(Prepend(batchSize, data.FeatureShape));
        Labels = new Tensor(Prepend(batchSize, data.LabelShape));
        Inputs = new[] { Features, Labels };
        FeaturesOnly = new[] { Features };
    }

    private static int[] Prepend(int b, int[] shape) { var s = new int[shape.Length + 1]; s[0] = b; shape.CopyTo(s, 1); return s; }

    public int BatchSize { get; }
    public Tensor Features { get; }
    public Tensor Labels { get; }
    /// <summary>{ Features, Labels }, in a trainer's input order.</summary>
    public Tensor[] Inputs { get; }
    /// <summary>{ Features }, for <see cref="ITrainer.Predict"/>.</summary>
    public Tensor[] FeaturesOnly { get; }

    /// <summary>Fills the batch with samples <paramref name="order"/>[start .. start + batch).</summary>
    public void Fill(ReadOnlySpan<int> order, int start)
    {
        for (int k = 0; k < BatchSize; k++)
            _data.CopySample(order[start + k], Features.Data.AsSpan(k * _fs, _fs), Labels.Data.AsSpan(k * _ls, _ls));
    }

    /// <summary>Fills slots 0..count−1 with samples first..first+count−1 and pads the rest with copies of the last one.</summary>
    public void FillRange(int first, int count)
    {
        for (int k = 0; k < BatchSize; k++)
        {
            int i = first + Math.Min(k, count - 1);
            _data.CopySample(i, Features.Data.AsSpan(k * _fs, _fs), Labels.Data.AsSpan(k * _ls, _ls));
        }
    }
}

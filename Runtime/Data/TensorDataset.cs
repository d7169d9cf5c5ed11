using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.Data;

/// <summary>
/// A data set of named tensors, one sample at a time: what <see cref="Trainer.Fit(ITrainer, ITensorDataset, FitOptions?)"/>,
/// <see cref="Trainer.Evaluate"/> and <see cref="Trainer.Predict"/> batch. Each tensor is matched by
/// name to the <c>Forward</c> parameter of the same name, so a model with inputs
/// <c>(x, yReg, yBin)</c> trains on a data set holding tensors named <c>x</c>, <c>yReg</c> and <c>yBin</c>.
/// <para>A features/labels <see cref="IDataset"/> is one too (its tensors are matched by role to a
/// trainer with one feature and one label input).</para>
/// </summary>
public interface ITensorDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }
    /// <summary>The tensors' names (distinct), in <see cref="CopySample"/>'s order.</summary>
    IReadOnlyList<string> Names { get; }
    /// <summary>The shape of one sample of each tensor (without the batch dimension), in <see cref="Names"/> order.</summary>
    IReadOnlyList<int[]> SampleShapes { get; }
    /// <summary>
    /// Copies sample <paramref name="index"/>: tensor t's values (∏ SampleShapes[t] of them, row-major)
    /// into <paramref name="destinations"/>[t]. Called once per sample of every batch: must not allocate.
    /// </summary>
    void CopySample(int index, ReadOnlySpan<Memory<float>> destinations);
}

/// <summary>
/// An in-memory <see cref="ITensorDataset"/>: named tensors whose first dimension is the sample
/// (PyTorch's <c>TensorDataset</c>, with names). The tensors are used as they are, not copied.
/// </summary>
/// <example><code>
/// var data = new TensorDataset(("x", x), ("yReg", yReg), ("yBin", yBin));   // x: [n, 4], yReg: [n, 1], yBin: [n, 1]
/// </code></example>
public sealed class TensorDataset : ITensorDataset
{
    private readonly Tensor[] _tensors;
    private readonly int[] _sizes;

    /// <param name="tensors">(name, tensor) pairs; every tensor is [Count, …sample shape], and the names are distinct.</param>
    /// <exception cref="ArgumentException">No tensors, a duplicate or empty name, a rank-0 tensor, or tensors with different sample counts.</exception>
    public TensorDataset(params (string Name, Tensor Values)[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("A data set needs at least one tensor.", nameof(tensors));
        var names = new string[tensors.Length];
        _tensors = new Tensor[tensors.Length];
        var shapes = new int[tensors.Length][];
        _sizes = new int[tensors.Length];
        for (int t = 0; t < tensors.Length; t++)
        {
            var (name, value) = tensors[t];
            if (string.IsNullOrEmpty(name)) throw new ArgumentException($"Tensor {t} has no name.", nameof(tensors));
            if (value is null) throw new ArgumentNullException(nameof(tensors), $"Tensor '{name}' is null.");
            if (Array.IndexOf(names, name, 0, t) >= 0) throw new ArgumentException($"Two tensors are named '{name}'.", nameof(tensors));
            if (value.Rank == 0) throw new ArgumentException($"Tensor '{name}' is a scalar; its first dimension must be the sample.", nameof(tensors));
            if (t > 0 && value.Shape[0] != _tensors[0].Shape[0])
                throw new ArgumentException($"Tensor '{name}' {ShapeUtil.Format(value.Shape)} has {value.Shape[0]} samples, but '{names[0]}' {ShapeUtil.Format(_tensors[0].Shape)} has {_tensors[0].Shape[0]}.", nameof(tensors));
            names[t] = name;
            _tensors[t] = value;
            shapes[t] = value.Shape[1..];
            _sizes[t] = ShapeUtil.Count(shapes[t]);
        }
        Names = names;
        SampleShapes = shapes;
        Count = _tensors[0].Shape[0];
    }

    /// <summary>A data set of the tensors in <paramref name="tensors"/> (name → [Count, …]), in the dictionary's order.</summary>
    public TensorDataset(IEnumerable<KeyValuePair<string, Tensor>> tensors)
        : this((tensors ?? throw new ArgumentNullException(nameof(tensors))).Select(kv => (kv.Key, kv.Value)).ToArray()) { }

    public int Count { get; }
    public IReadOnlyList<string> Names { get; }
    public IReadOnlyList<int[]> SampleShapes { get; }

    /// <summary>The tensor named <paramref name="name"/> (live).</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public Tensor this[string name]
    {
        get
        {
            for (int t = 0; t < _tensors.Length; t++) if (Names[t] == name) return _tensors[t];
            throw new KeyNotFoundException($"The data set has no tensor '{name}'; it has {string.Join(", ", Names)}.");
        }
    }

    public void CopySample(int index, ReadOnlySpan<Memory<float>> destinations)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The data set has {Count} samples.");
        for (int t = 0; t < _tensors.Length; t++)
            _tensors[t].Data.AsSpan(index * _sizes[t], _sizes[t]).CopyTo(destinations[t].Span);
    }
}

/// <summary>A view of some samples of another <see cref="ITensorDataset"/>, in the order of <see cref="Indices"/>.</summary>
public sealed class TensorSubset : ITensorDataset
{
    private readonly ITensorDataset _source;
    private readonly int[] _indices;

    public TensorSubset(ITensorDataset source, IEnumerable<int> indices)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _indices = (indices ?? throw new ArgumentNullException(nameof(indices))).ToArray();
        foreach (var i in _indices)
            if ((uint)i >= (uint)source.Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"The source has {source.Count} samples.");
    }

    public IReadOnlyList<int> Indices => _indices;
    public int Count => _indices.Length;
    public IReadOnlyList<string> Names => _source.Names;
    public IReadOnlyList<int[]> SampleShapes => _source.SampleShapes;
    public void CopySample(int index, ReadOnlySpan<Memory<float>> destinations) => _source.CopySample(_indices[index], destinations);
}

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
    /// <summary>The tensors' names (distinct), in <see cref="CopySample(int, ReadOnlySpan{Memory{float}})"/>'s order.</summary>
    IReadOnlyList<string> Names { get; }
    /// <summary>The shape of one sample of each tensor (without the batch dimension), in <see cref="Names"/> order.</summary>
    IReadOnlyList<int[]> SampleShapes { get; }
    /// <summary>
    /// Copies sample <paramref name="index"/>: tensor t's values (∏ SampleShapes[t] of them, row-major)
    /// into <paramref name="destinations"/>[t]. Called once per sample of every batch: must not allocate.
    /// </summary>
    void CopySample(int index, ReadOnlySpan<Memory<float>> destinations);

    /// <summary>
    /// The element type of each tensor, in <see cref="Names"/> order: <see cref="TensorDType.Int32"/>
    /// for integer tensors (class labels, token ids), which feed <see cref="IntTensor"/> inputs of
    /// <c>Forward</c>. The default: every tensor float32.
    /// </summary>
    IReadOnlyList<TensorDType> DTypes => TrainerChecks.AllFloat32(Names.Count);

    /// <summary>
    /// Copies sample <paramref name="index"/> of a data set that may hold integer tensors: tensor t
    /// goes into <paramref name="destinations"/>[t] when <see cref="DTypes"/>[t] is float32, into
    /// <paramref name="intDestinations"/>[t] when it is int32 (the other entry is empty). Called once
    /// per sample of every batch: must not allocate. The default calls the float-only overload.
    /// </summary>
    void CopySample(int index, ReadOnlySpan<Memory<float>> destinations, ReadOnlySpan<Memory<int>> intDestinations) =>
        CopySample(index, destinations);
}

/// <summary>
/// An in-memory <see cref="ITensorDataset"/>: named tensors whose first dimension is the sample
/// (PyTorch's <c>TensorDataset</c>, with names). The tensors are used as they are, not copied.
/// Each is a float <see cref="Tensor"/> or an <see cref="IntTensor"/> (int32 class labels, token
/// ids), and must have the type of the <c>Forward</c> parameter it feeds.
/// </summary>
/// <example><code>
/// var data = new TensorDataset(("x", x), ("yReg", yReg), ("yBin", yBin));   // x: [n, 4], yReg: [n, 1], yBin: [n, 1]
/// var tagged = new TensorDataset(("tokens", tokenIds), ("y", classIds));     // IntTensor [n, seq] and IntTensor [n]
/// </code></example>
public sealed class TensorDataset : ITensorDataset
{
    private readonly ITensorInput[] _tensors;
    private readonly TensorDType[] _dtypes;
    private readonly int[] _sizes;

    /// <param name="tensors">(name, tensor) pairs; every tensor (a <see cref="Tensor"/> or an <see cref="IntTensor"/>) is [Count, …sample shape], and the names are distinct.</param>
    /// <exception cref="ArgumentException">No tensors, a duplicate or empty name, a rank-0 tensor, tensors with different sample counts, or a tensor that is neither a Tensor nor an IntTensor.</exception>
    public TensorDataset(params (string Name, ITensorInput Values)[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("A data set needs at least one tensor.", nameof(tensors));
        var names = new string[tensors.Length];
        _tensors = new ITensorInput[tensors.Length];
        _dtypes = new TensorDType[tensors.Length];
        var shapes = new int[tensors.Length][];
        _sizes = new int[tensors.Length];
        for (int t = 0; t < tensors.Length; t++)
        {
            var (name, value) = tensors[t];
            if (string.IsNullOrEmpty(name)) throw new ArgumentException($"Tensor {t} has no name.", nameof(tensors));
            if (value is null) throw new ArgumentNullException(nameof(tensors), $"Tensor '{name}' is null.");
            if (value is not (Tensor or IntTensor))
                throw new ArgumentException($"Tensor '{name}' is a {value.GetType().Name}; a data set holds Tensor (float32) and IntTensor (int32) values.", nameof(tensors));
            if (Array.IndexOf(names, name, 0, t) >= 0) throw new ArgumentException($"Two tensors are named '{name}'.", nameof(tensors));
            if (value.Shape.Length == 0) throw new ArgumentException($"Tensor '{name}' is a scalar; its first dimension must be the sample.", nameof(tensors));
            if (t > 0 && value.Shape[0] != _tensors[0].Shape[0])
                throw new ArgumentException($"Tensor '{name}' {ShapeUtil.Format(value.Shape)} has {value.Shape[0]} samples, but '{names[0]}' {ShapeUtil.Format(_tensors[0].Shape)} has {_tensors[0].Shape[0]}.", nameof(tensors));
            names[t] = name;
            _tensors[t] = value;
            _dtypes[t] = value.DType;
            shapes[t] = value.Shape[1..];
            _sizes[t] = ShapeUtil.Count(shapes[t]);
        }
        Names = names;
        SampleShapes = shapes;
        Count = _tensors[0].Shape[0];
    }

    /// <summary>A data set of the tensors in <paramref name="tensors"/> (name → [Count, …]), in the dictionary's order.</summary>
    public TensorDataset(IEnumerable<KeyValuePair<string, Tensor>> tensors)
        : this((tensors ?? throw new ArgumentNullException(nameof(tensors))).Select(kv => (kv.Key, (ITensorInput)kv.Value)).ToArray()) { }

    /// <summary>A data set of the tensors (float or integer) in <paramref name="tensors"/> (name → [Count, …]), in the dictionary's order.</summary>
    public TensorDataset(IEnumerable<KeyValuePair<string, ITensorInput>> tensors)
        : this((tensors ?? throw new ArgumentNullException(nameof(tensors))).Select(kv => (kv.Key, kv.Value)).ToArray()) { }

    public int Count { get; }
    public IReadOnlyList<string> Names { get; }
    public IReadOnlyList<int[]> SampleShapes { get; }
    public IReadOnlyList<TensorDType> DTypes => _dtypes;

    /// <summary>The float tensor named <paramref name="name"/> (live).</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidOperationException">The tensor is an <see cref="IntTensor"/> (use <see cref="Get"/>).</exception>
    public Tensor this[string name] => Get(name) as Tensor
        ?? throw new InvalidOperationException($"The data set's tensor '{name}' is an int32 IntTensor; use Get(\"{name}\") for it.");

    /// <summary>The tensor named <paramref name="name"/> (live): a <see cref="Tensor"/> or an <see cref="IntTensor"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public ITensorInput Get(string name)
    {
        for (int t = 0; t < _tensors.Length; t++) if (Names[t] == name) return _tensors[t];
        throw new KeyNotFoundException($"The data set has no tensor '{name}'; it has {string.Join(", ", Names)}.");
    }

    /// <summary>The float-only copy: every tensor must be a float <see cref="Tensor"/>.</summary>
    /// <exception cref="InvalidOperationException">The data set holds an <see cref="IntTensor"/>.</exception>
    public void CopySample(int index, ReadOnlySpan<Memory<float>> destinations) =>
        CopySample(index, destinations, ReadOnlySpan<Memory<int>>.Empty);

    public void CopySample(int index, ReadOnlySpan<Memory<float>> destinations, ReadOnlySpan<Memory<int>> intDestinations)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The data set has {Count} samples.");
        for (int t = 0; t < _tensors.Length; t++)
        {
            int n = _sizes[t], at = index * n;
            switch (_tensors[t])
            {
                case Tensor f: f.Data.AsSpan(at, n).CopyTo(destinations[t].Span); break;
                case IntTensor i:
                    if (intDestinations.Length <= t)
                        throw new InvalidOperationException($"The data set's tensor '{Names[t]}' is an int32 IntTensor; copy it with the CopySample overload that takes integer destinations.");
                    i.Data.AsSpan(at, n).CopyTo(intDestinations[t].Span);
                    break;
            }
        }
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
    public IReadOnlyList<TensorDType> DTypes => _source.DTypes;
    public void CopySample(int index, ReadOnlySpan<Memory<float>> destinations) => _source.CopySample(_indices[index], destinations);
    public void CopySample(int index, ReadOnlySpan<Memory<float>> destinations, ReadOnlySpan<Memory<int>> intDestinations) =>
        _source.CopySample(_indices[index], destinations, intDestinations);
}

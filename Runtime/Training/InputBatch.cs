using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.Data;

namespace TrainingGen;

/// <summary>
/// A data set matched to a trainer's inputs and the preallocated batch tensors it fills: each
/// trainer input takes the data set's tensor of the same name (an <see cref="IDataset"/>'s
/// features and labels are matched by role), with the batch dimension where <c>[Shape]</c> put it.
/// Built once per run (it allocates); <see cref="Fill"/> and <see cref="FillRange"/> do not allocate.
/// </summary>
internal sealed class InputBatch
{
    private readonly ITensorDataset _data;
    private readonly Memory<float>[] _slots;      // per data set tensor: where one float sample goes (empty for an int tensor)
    private readonly Memory<int>[] _intSlots;     // per data set tensor: where one int sample goes (empty for a float tensor)
    private readonly float[]?[] _scratch;         // per float tensor: a sample buffer when it cannot go straight into the batch
    private readonly int[]?[] _intScratch;        // the same for an int tensor
    private readonly Tensor?[] _target;           // per float tensor: the batch tensor it fills (null: not used)
    private readonly IntTensor?[] _intTarget;     // per int tensor: the batch tensor it fills
    private readonly bool[] _isInt;               // per data set tensor: int32
    private readonly int[] _size, _outer, _inner;   // per data set tensor: sample size; blocks before/after the batch axis

    private InputBatch(ITrainer trainer, ITensorDataset data, int[] source, IReadOnlyList<TensorDType> dataTypes, bool featuresOnly)
    {
        _data = data;
        int b = trainer.BatchSize, n = data.Names.Count;
        BatchSize = b;
        Inputs = new ITensorInput[trainer.InputNames.Count];
        _slots = new Memory<float>[n];
        _intSlots = new Memory<int>[n];
        _scratch = new float[n][];
        _intScratch = new int[n][];
        _target = new Tensor[n];
        _intTarget = new IntTensor[n];
        _isInt = new bool[n];
        _size = new int[n]; _outer = new int[n]; _inner = new int[n];
        for (int t = 0; t < n; t++)
        {
            _size[t] = ShapeUtil.Count(data.SampleShapes[t]);
            _isInt[t] = dataTypes[t] == TensorDType.Int32;
        }
        var features = new HashSet<string>(trainer.FeatureNames, StringComparer.Ordinal);
        for (int p = 0; p < Inputs.Length; p++)
        {
            if (featuresOnly && !features.Contains(trainer.InputNames[p])) continue;
            var declared = trainer.InputShapes[p];
            int axis = Array.IndexOf(declared, Dim.Batch);
            var shape = (int[])declared.Clone();
            shape[axis] = b;
            int t = source[p];
            // The batch tensor has the data set's type; a float label column feeding an int input
            // (an IDataset's labels) is converted by the trainer into its own buffer.
            if (_isInt[t]) Inputs[p] = _intTarget[t] = new IntTensor(shape);
            else Inputs[p] = _target[t] = new Tensor(shape);
            _outer[t] = ShapeUtil.Count(declared.AsSpan(0, axis));
            _inner[t] = ShapeUtil.Count(declared.AsSpan(axis + 1));
        }
        for (int t = 0; t < n; t++)
        {
            bool used = _target[t] is not null || _intTarget[t] is not null;
            if (used && _outer[t] == 1) continue;
            if (_isInt[t]) _intScratch[t] = new int[_size[t]];
            else _scratch[t] = new float[_size[t]];
        }
        Features = trainer.FeatureNames.Select(f => Inputs[IndexOf(trainer.InputNames, f)]).ToArray();
        if (!featuresOnly && trainer.InputNames.Count - trainer.FeatureNames.Count == 1)
        {
            int p = Enumerable.Range(0, Inputs.Length).First(i => !features.Contains(trainer.InputNames[i]));
            if (Array.IndexOf(trainer.InputShapes[p], Dim.Batch) == 0) Label = Inputs[p];
        }
    }

    public int BatchSize { get; }
    /// <summary>
    /// The batch tensors in the trainer's <see cref="ITrainer.InputNames"/> order, each a <see cref="Tensor"/>
    /// or an <see cref="IntTensor"/> as the data set's tensor is (built for Predict, the labels' entries are null).
    /// </summary>
    public ITensorInput[] Inputs { get; }
    /// <summary>The feature tensors in <see cref="ITrainer.FeatureNames"/> order, for <see cref="ITrainer.Predict"/>.</summary>
    public ITensorInput[] Features { get; }
    /// <summary>The label tensor (float or int) when the trainer has exactly one, batch first (what accuracy compares with); else null.</summary>
    public ITensorInput? Label { get; }

    /// <summary>Fills slot k with sample <paramref name="order"/>[start + k], for every slot.</summary>
    public void Fill(ReadOnlySpan<int> order, int start)
    {
        for (int k = 0; k < BatchSize; k++) CopyInto(k, order[start + k]);
    }

    /// <summary>Fills slots 0..count−1 with samples first..first+count−1 and pads the rest with copies of the last one.</summary>
    public void FillRange(int first, int count)
    {
        for (int k = 0; k < BatchSize; k++) CopyInto(k, first + Math.Min(k, count - 1));
    }

    private void CopyInto(int slot, int sample)
    {
        for (int t = 0; t < _slots.Length; t++)
        {
            int at = slot * _size[t], n = _size[t];
            if (_isInt[t]) _intSlots[t] = _intScratch[t] is int[] s ? s.AsMemory() : _intTarget[t]!.Data.AsMemory(at, n);
            else _slots[t] = _scratch[t] is float[] s ? s.AsMemory() : _target[t]!.Data.AsMemory(at, n);
        }
        _data.CopySample(sample, _slots, _intSlots);
        // A batch axis after other dimensions ([seq, batch, d]): scatter the sample's blocks.
        for (int t = 0; t < _slots.Length; t++)
        {
            if (_target[t] is Tensor target && _scratch[t] is float[] s) Scatter<float>(s, target.Data, t, slot);
            else if (_intTarget[t] is IntTensor intTarget && _intScratch[t] is int[] si) Scatter<int>(si, intTarget.Data, t, slot);
        }
    }

    private void Scatter<T>(T[] sample, T[] batch, int t, int slot)
    {
        int inner = _inner[t], stride = BatchSize * inner;
        for (int o = 0; o < _outer[t]; o++)
            sample.AsSpan(o * inner, inner).CopyTo(batch.AsSpan(o * stride + slot * inner, inner));
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        return -1;
    }

    /// <summary>
    /// Matches <paramref name="data"/> to <paramref name="trainer"/>'s inputs (all of them, or its
    /// features for <paramref name="featuresOnly"/>) and allocates the batch.
    /// </summary>
    /// <param name="trainer">The trainer whose inputs are matched.</param>
    /// <param name="data">The data set.</param>
    /// <param name="featuresOnly">Match only the feature inputs (Predict); label tensors the data set has are ignored.</param>
    /// <param name="caller">Names the API in errors, e.g. <c>Trainer.Fit</c>.</param>
    /// <param name="paramName">The public parameter the data set came in.</param>
    /// <exception cref="ArgumentException">A missing, extra or mis-shaped tensor: the message names it and lists what the trainer expects.</exception>
    public static InputBatch Create(ITrainer trainer, ITensorDataset data, bool featuresOnly, string caller, string paramName)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        if (data is null) throw new ArgumentNullException(paramName);
        var names = trainer.InputNames;
        var shapes = trainer.InputShapes;
        var featureSet = new HashSet<string>(trainer.FeatureNames, StringComparer.Ordinal);
        bool Needed(int p) => !featuresOnly || featureSet.Contains(names[p]);
        var inputTypes = trainer.InputDTypes;
        var dataTypes = data.DTypes;
        string expected = string.Join(", ", Enumerable.Range(0, names.Count).Where(Needed).Select(p => $"{names[p]} {Symbolic(shapes[p])}{IntMark(inputTypes[p])}"));
        string has = string.Join(", ", data.Names.Select((n, t) => $"{n} {ShapeUtil.Format(data.SampleShapes[t])}{IntMark(dataTypes[t])}"));
        string takes = featuresOnly ? "features" : "inputs";

        var source = new int[names.Count];
        Array.Fill(source, -1);
        if (data is IDataset)
        {
            // Matched by role: features → the one feature input, labels → the one label input.
            if (names.Count != 2 || trainer.FeatureNames.Count != 1)
                throw new ArgumentException(
                    $"{caller}: a features/labels data set (IDataset) fits only a trainer with one feature input and one label input; this one takes " +
                    $"({string.Join(", ", names.Select((n, p) => $"{n} {Symbolic(shapes[p])}"))}). " +
                    "Use a TensorDataset with one tensor per input, named as Forward's parameters.", paramName);
            int f = IndexOf(names, trainer.FeatureNames[0]);
            source[f] = 0;
            source[1 - f] = 1;
        }
        else
        {
            var missing = new List<string>();
            for (int p = 0; p < names.Count; p++)
            {
                source[p] = IndexOf(data.Names, names[p]);
                if (source[p] < 0 && Needed(p)) missing.Add(names[p]);
            }
            var extra = data.Names.Where(n => IndexOf(names, n) < 0).ToList();
            if (missing.Count > 0 || extra.Count > 0)
            {
                var problems = new List<string>();
                if (missing.Count > 0) problems.Add($"no tensor for the trainer's {(missing.Count == 1 ? "input" : "inputs")} {Quoted(missing)}");
                foreach (var e in extra)
                {
                    var like = names.FirstOrDefault(n => string.Equals(n, e, StringComparison.OrdinalIgnoreCase));
                    problems.Add($"a tensor '{e}' that matches no input" + (like is null ? "" : $" (did you mean '{like}'? names are case-sensitive)"));
                }
                throw new ArgumentException(
                    $"{caller}: the data set does not match the trainer's {takes}: it has {string.Join(", and ", problems)}. " +
                    $"The trainer takes {takes} ({expected}); the data set has ({has}) per sample. " +
                    "Name each tensor as the Forward parameter it feeds.", paramName);
            }
        }

        for (int p = 0; p < names.Count; p++)
        {
            if (source[p] < 0 || !Needed(p)) continue;
            var want = inputTypes[p];
            var have = dataTypes[source[p]];
            // An IDataset is float by definition: its class-index labels may feed an int32 input (the
            // trainer converts whole numbers). A named tensor must have its input's type.
            bool roleLabel = data is IDataset && have == TensorDType.Float32;
            if (want != have && !roleLabel)
            {
                string tensorName = $"tensor '{data.Names[source[p]]}'";
                string fix = want == TensorDType.Int32
                    ? "Give it an IntTensor (IntTensor.FromFloats converts a float tensor of whole numbers)."
                    : "Give it a float Tensor (IntTensor.ToFloat converts).";
                throw new ArgumentException(
                    $"{caller}: the data set's {tensorName} is {TypeText(have)}, but the trainer's input '{names[p]}' {Symbolic(shapes[p])} is {TypeText(want)}. {fix}", paramName);
            }
            int axis = Array.IndexOf(shapes[p], Dim.Batch);
            if (axis < 0)
                throw new ArgumentException(
                    $"{caller}: the trainer's input '{names[p]}' {Symbolic(shapes[p])} has no batch dimension, so it cannot be batched from a data set; " +
                    "declare it with Dim.Batch, or call trainer.Step with it yourself.", paramName);
            var sample = shapes[p].Where((_, i) => i != axis).ToArray();
            var actual = data.SampleShapes[source[p]];
            if (!actual.AsSpan().SequenceEqual(sample))
            {
                string tensorName = data is IDataset ? (source[p] == 0 ? "features" : "labels") : $"tensor '{names[p]}'";
                throw new ArgumentException(
                    $"{caller}: the data set's {tensorName} has samples of shape {ShapeUtil.Format(actual)}, but the trainer's input '{names[p]}' " +
                    $"is {Symbolic(shapes[p])}, so one sample must be {ShapeUtil.Format(sample)}. The trainer takes {takes} ({expected}).", paramName);
            }
        }
        return new InputBatch(trainer, data, source, dataTypes, featuresOnly);
    }

    private static string IntMark(TensorDType t) => t == TensorDType.Int32 ? " int32" : "";

    private static string TypeText(TensorDType t) => t == TensorDType.Int32 ? "int32 (an IntTensor)" : "float32 (a Tensor)";

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    /// <summary>A declared shape with the batch dimension written <c>batch</c>.</summary>
    internal static string Symbolic(int[] shape) =>
        "[" + string.Join(", ", shape.Select(d => d == Dim.Batch ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}

using System;
using System.Collections.Generic;
using TrainingGen.CoreML;

namespace TrainingGen;

/// <summary>One parameter (or optimizer-state) tensor of a trainer, live: edits change the trainer.</summary>
/// <param name="Name">PyTorch state_dict path, e.g. <c>backend.linear_1.weight</c>.</param>
/// <param name="MilName">The name used for it in the Core ML training package.</param>
/// <param name="Shape">Static shape.</param>
/// <param name="Trainable">False for [Frozen] parameters.</param>
/// <param name="Value">The values (row-major), owned by the trainer.</param>
/// <param name="Gradient">The gradient buffer of the last backward pass; null when frozen.</param>
/// <param name="IsBuffer">A state_dict buffer (e.g. BatchNorm's running statistics): not trained, updated by the forward pass in training mode.</param>
public sealed record TrainerTensor(string Name, string MilName, int[] Shape, bool Trainable, float[] Value, float[]? Gradient, bool IsBuffer = false);

/// <summary>
/// An integer buffer of a trainer, live (int64, as torch keeps it): BatchNorm's
/// <c>num_batches_tracked</c>, which counts the forward passes in training mode. It is part of the
/// state_dict (exported and imported as I64 by <see cref="SafeTensors"/>) and of checkpoints, but
/// not a parameter: no optimizer, no gradient, no averaging.
/// </summary>
/// <param name="Name">PyTorch state_dict path, e.g. <c>bn.num_batches_tracked</c>.</param>
/// <param name="MilName">The name the training package would use for it.</param>
/// <param name="Shape">Static shape (<c>[]</c>, a scalar, for num_batches_tracked).</param>
/// <param name="Value">The values, owned by the trainer.</param>
public sealed record TrainerIntegerBuffer(string Name, string MilName, int[] Shape, long[] Value);

/// <summary>One of a trainer's random generators, live (e.g. <c>dropout</c>, which draws the masks).</summary>
/// <param name="Name">A stable name, the key in checkpoints.</param>
/// <param name="Generator">The generator itself; checkpoints save and restore its <see cref="Rng.State"/>.</param>
public sealed record TrainerRandomStream(string Name, Rng Generator);

/// <summary>
/// What every generated trainer offers besides its strongly typed <c>Step</c>: access to
/// parameters and state, the step counter, and export of the Core ML training package.
/// </summary>
public interface ITrainer
{
    int BatchSize { get; }
    /// <summary>Number of optimizer steps taken (torch's <c>state['step']</c>); settable to resume from a checkpoint.</summary>
    long StepCount { get; set; }
    /// <summary>The learning rate of the next update; setting a negative or non-finite value throws <see cref="ArgumentOutOfRangeException"/>.</summary>
    float LearningRate { get; set; }
    /// <summary>
    /// How many threads the trainer's kernels may use: 0 (the default) means
    /// <see cref="Kernels.KernelThreads.Default"/> (<c>TRAININGGEN_THREADS</c>, else every core); 1 runs
    /// everything on the calling thread. Results are bit-identical for every value. A trainer that
    /// does not support a cap keeps 0 and throws <see cref="NotSupportedException"/> when set.
    /// </summary>
    int Threads { get => 0; set => throw new NotSupportedException("This trainer does not take a thread cap."); }
    /// <summary>Parameters in state_dict order.</summary>
    IReadOnlyList<TrainerTensor> Parameters { get; }
    /// <summary>Optimizer state tensors (e.g. SGD momentum buffers), in package order.</summary>
    IReadOnlyList<TrainerTensor> OptimizerState { get; }
    /// <summary>
    /// The trainer's random generators (dropout masks), which checkpoints save and restore so that a
    /// resumed run is bit-identical. Empty for a model without randomness.
    /// </summary>
    IReadOnlyList<TrainerRandomStream> RandomStreams => Array.Empty<TrainerRandomStream>();
    /// <summary>
    /// The integer buffers of the state_dict (BatchNorm's <c>num_batches_tracked</c>), in state_dict
    /// order; saved by checkpoints and safetensors exports. Empty for a model without any.
    /// </summary>
    IReadOnlyList<TrainerIntegerBuffer> IntegerBuffers => Array.Empty<TrainerIntegerBuffer>();
    /// <summary>Names of the <c>Forward</c> inputs in order (features, then labels as declared).</summary>
    IReadOnlyList<string> InputNames { get; }
    /// <summary>
    /// One training step on inputs given in <see cref="InputNames"/> order; returns the loss. It does
    /// not check for NaN/±∞ (it stays branch-free): <see cref="Trainer.Fit"/> and
    /// <see cref="TrainingSession"/> do; a hand-written loop tests the loss or calls <see cref="NonFinite.Find(ITrainer)"/>.
    /// </summary>
    /// <remarks>
    /// Each input is a <see cref="Tensor"/> or, for an integer input (class labels, token ids), an
    /// <see cref="IntTensor"/>; an integer input also takes a float <see cref="Tensor"/> of whole
    /// numbers (a float data set's label column), converted into a buffer the trainer owns.
    /// </remarks>
    float Step(IReadOnlyList<ITensorInput> inputs);
    /// <summary>Forward and backward without an update; returns the loss and fills the gradients.</summary>
    float ComputeGradients(IReadOnlyList<ITensorInput> inputs);
    /// <summary>Applies the optimizer to the current gradients and advances <see cref="StepCount"/>.</summary>
    void ApplyUpdate();
    /// <summary>Forward pass and loss only; returns the loss.</summary>
    float Evaluate(IReadOnlyList<ITensorInput> inputs);
    /// <summary>Names of the feature inputs (the subset of <see cref="InputNames"/> predictions depend on).</summary>
    IReadOnlyList<string> FeatureNames { get; }
    /// <summary>
    /// The declared shape of each <c>Forward</c> input, in <see cref="InputNames"/> order, with
    /// <see cref="Dim.Batch"/> (−1) where the batch dimension is (the trainer's <see cref="BatchSize"/>).
    /// <see cref="Trainer.Fit(ITrainer, Data.ITensorDataset, FitOptions?)"/> matches data sets against it.
    /// </summary>
    IReadOnlyList<int[]> InputShapes { get; }
    /// <summary>
    /// The element type of each <c>Forward</c> input, in <see cref="InputNames"/> order:
    /// <see cref="TensorDType.Int32"/> for an <see cref="IntTensor"/> parameter (class labels, token
    /// ids), else <see cref="TensorDType.Float32"/>. Data sets are matched against it. Generated
    /// trainers with integer inputs override the default (every input float32).
    /// </summary>
    IReadOnlyList<TensorDType> InputDTypes => TrainerChecks.AllFloat32(InputNames.Count);
    /// <summary>Names of the prediction outputs, in order.</summary>
    IReadOnlyList<string> OutputNames { get; }
    /// <summary>
    /// Predictions for features given in <see cref="FeatureNames"/> order. The tensors returned are
    /// views of the trainer's buffers, overwritten by the next call.
    /// </summary>
    IReadOnlyList<Tensor> Predict(IReadOnlyList<ITensorInput> features);
    /// <summary>The optimizer (its state is <see cref="OptimizerState"/>).</summary>
    Optimizers.Optimizer Optimizer { get; }
    /// <summary>Builds the training package (main, init, forward, backward, update, train_step) in memory.</summary>
    MlModelSpec BuildPackage();
    /// <summary>
    /// Writes the training package to <paramref name="path"/> (atomically). Refuses (with
    /// <see cref="NonFiniteValueException"/>) parameters holding NaN or ±∞ unless
    /// <paramref name="allowNonFinite"/>, and (with <see cref="OverwriteRefusedException"/>) to
    /// replace anything at <paramref name="path"/> that is not a Core ML package.
    /// </summary>
    void ExportPackage(string path, bool allowNonFinite = false);
    /// <summary>Builds an inference-only package (<c>main</c>, the current parameters as constants).</summary>
    MlModelSpec BuildInferencePackage();
    /// <summary>Writes the inference-only package to <paramref name="path"/> (atomically), with the same refusals as <see cref="ExportPackage"/>.</summary>
    void ExportInferencePackage(string path, bool allowNonFinite = false);
}

/// <summary>Checks used by generated trainers; messages name the tensor and both shapes.</summary>
public static class TrainerChecks
{
    public static void Shape(Tensor? value, string name, int[] expected, int batchSize)
    {
        if (value is null) throw new ArgumentNullException(name, $"Input '{name}' is null.");
        if (!value.Shape.AsSpan().SequenceEqual(expected))
            throw new ArgumentException(
                $"Input '{name}' has shape {ShapeUtil.Format(value.Shape)} but the trainer expects {ShapeUtil.Format(expected)} (batch size {batchSize}).", name);
    }

    /// <summary>Checks the shape of an integer input.</summary>
    public static void Shape(IntTensor? value, string name, int[] expected, int batchSize)
    {
        if (value is null) throw new ArgumentNullException(name, $"Input '{name}' is null.");
        if (!value.Shape.AsSpan().SequenceEqual(expected))
            throw new ArgumentException(
                $"Input '{name}' has shape {ShapeUtil.Format(value.Shape)} but the trainer expects {ShapeUtil.Format(expected)} (batch size {batchSize}).", name);
    }

    /// <summary>An input of the list form that must be a float <see cref="Tensor"/>.</summary>
    public static Tensor Float(ITensorInput? value, string name) => value switch
    {
        null => throw new ArgumentNullException(name, $"Input '{name}' is null."),
        Tensor t => t,
        _ => throw new ArgumentException($"Input '{name}' is an {DTypeText(value.DType)} {value.GetType().Name}; the trainer takes a float32 Tensor for it.", name),
    };

    /// <summary>
    /// An integer input of the list form: an <see cref="IntTensor"/> as it is, or a float
    /// <see cref="Tensor"/> of whole numbers copied into <paramref name="converted"/> (the trainer's
    /// own buffer of the input's shape, so nothing is allocated per step).
    /// </summary>
    public static IntTensor Int(ITensorInput? value, string name, IntTensor converted)
    {
        switch (value)
        {
            case null: throw new ArgumentNullException(name, $"Input '{name}' is null.");
            case IntTensor t: return t;
            case Tensor f:
                if (!f.Shape.AsSpan().SequenceEqual(converted.Shape))
                    throw new ArgumentException($"Input '{name}' has shape {ShapeUtil.Format(f.Shape)} but the trainer expects {ShapeUtil.Format(converted.Shape)}.", name);
                IntTensor.CopyWholeNumbers(f, converted.Data, name);
                return converted;
            default: throw new ArgumentException($"Input '{name}' is a {value.GetType().Name}; the trainer takes an int32 IntTensor (or a float Tensor of whole numbers) for it.", name);
        }
    }

    internal static string DTypeText(TensorDType t) => t == TensorDType.Int32 ? "int32" : "float32";

    /// <summary><paramref name="count"/> times <see cref="TensorDType.Float32"/>: the input types of a trainer without integer inputs.</summary>
    public static IReadOnlyList<TensorDType> AllFloat32(int count)
    {
        var types = new TensorDType[count];
        Array.Fill(types, TensorDType.Float32);
        return types;
    }

    public static void Count(IReadOnlyList<ITensorInput> inputs, IReadOnlyList<string> names)
    {
        if (inputs is null) throw new ArgumentNullException(nameof(inputs));
        if (inputs.Count != names.Count)
            throw new ArgumentException($"Expected {names.Count} inputs ({string.Join(", ", names)}), got {inputs.Count}.", nameof(inputs));
    }

    /// <summary>Copies an eager model's parameter into a trainer buffer, checking the shape.</summary>
    public static void CopyInto(Tensor source, float[] destination, string name)
    {
        if (source is null) throw new ArgumentNullException(name, $"Parameter '{name}' is null on the model.");
        if (source.Count != destination.Length)
            throw new ArgumentException($"Parameter '{name}' has shape {ShapeUtil.Format(source.Shape)} ({source.Count} elements); the trainer holds {destination.Length}.");
        source.Data.AsSpan().CopyTo(destination);
    }

    /// <summary>Copies a trainer buffer into an eager model's parameter, checking the shape.</summary>
    public static void CopyOut(float[] source, Tensor destination, string name)
    {
        if (destination is null) throw new ArgumentNullException(name, $"Parameter '{name}' is null on the model.");
        if (destination.Count != source.Length)
            throw new ArgumentException($"Parameter '{name}' has shape {ShapeUtil.Format(destination.Shape)} ({destination.Count} elements); the trainer holds {source.Length}.");
        source.AsSpan().CopyTo(destination.Data);
    }

    /// <summary>The value of a learning-rate setter: a finite, non-negative rate, else <see cref="ArgumentOutOfRangeException"/>.</summary>
    public static float LearningRate(float value) =>
        float.IsFinite(value) && value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be a finite number ≥ 0.");

    /// <summary>
    /// What an export does before writing a package: refuses non-finite parameters (unless
    /// <paramref name="allowNonFinite"/>), then writes <paramref name="build"/>'s spec atomically.
    /// </summary>
    public static void ExportPackage(string path, IReadOnlyList<TrainerTensor> parameters, bool allowNonFinite, Func<MlModelSpec> build)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(build);
        NonFinite.ThrowIfAny(parameters, path, allowNonFinite);
        MlPackage.Write(path, build());
    }

    public static void BatchSize(int batchSize)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
    }
}

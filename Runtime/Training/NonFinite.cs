using System;
using System.Collections.Generic;
using System.Globalization;

namespace TrainingGen;

/// <summary>The first non-finite value of a set of tensors: which tensor, which element, what value.</summary>
/// <param name="Tensor">What holds it, e.g. <c>parameter 'backend.linear_1.weight'</c>.</param>
/// <param name="Index">Its row-major element index.</param>
/// <param name="Value">NaN, +∞ or −∞.</param>
public readonly record struct NonFiniteValue(string Tensor, int Index, float Value)
{
    public override string ToString() =>
        $"{Tensor} holds {Value.ToString(CultureInfo.InvariantCulture)} at element {Index.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Parameters (or optimizer state) that hold NaN or ±∞ were about to be written (a checkpoint,
/// safetensors, a Core ML package); nothing was written. Training has usually diverged; callers
/// that want the values anyway pass <c>allowNonFinite: true</c>.
/// </summary>
public sealed class NonFiniteValueException : InvalidOperationException
{
    public NonFiniteValueException(string destination, NonFiniteValue first)
        : base($"Refusing to write '{destination}': {first}, so training has probably diverged. " +
               "Nothing was written; pass allowNonFinite: true to write non-finite values anyway.")
    {
        Destination = destination; First = first;
    }
    /// <summary>The path that was not written.</summary>
    public string Destination { get; }
    /// <summary>The first non-finite value found.</summary>
    public NonFiniteValue First { get; }
}

/// <summary>
/// Finds non-finite values in a trainer's tensors. The per-step check of <see cref="TrainingSession"/>
/// looks only at the loss (and the gradient norm when clipping), which is free; these scans run
/// where a state is about to be kept — before a checkpoint, an export — and to name the culprit
/// once a step has gone wrong.
/// </summary>
public static class NonFinite
{
    /// <summary>The first non-finite value among <paramref name="tensors"/> (named "<paramref name="role"/> 'name'"), or null.</summary>
    public static NonFiniteValue? Find(IReadOnlyList<TrainerTensor> tensors, string role = "parameter")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        for (int k = 0; k < tensors.Count; k++)
        {
            var values = tensors[k].Value;
            int i = FirstIndex(values);
            if (i >= 0) return new NonFiniteValue($"{role} '{tensors[k].Name}'", i, values[i]);
        }
        return null;
    }

    /// <summary>
    /// The first non-finite value of <paramref name="trainer"/>'s parameters, then its optimizer
    /// state, or null when everything is finite. Use it in a hand-written loop over
    /// <c>trainer.Step</c>, which does not check (it stays branch-free).
    /// </summary>
    public static NonFiniteValue? Find(ITrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        return Find(trainer.Parameters) ?? Find(trainer.OptimizerState, "optimizer state");
    }

    /// <summary>
    /// Throws <see cref="NonFiniteValueException"/> naming <paramref name="destination"/> and the
    /// first non-finite value of <paramref name="tensors"/>, unless <paramref name="allowNonFinite"/>.
    /// Every writer of trained values calls it before touching the disk.
    /// </summary>
    public static void ThrowIfAny(IReadOnlyList<TrainerTensor> tensors, string destination, bool allowNonFinite, string role = "parameter")
    {
        if (allowNonFinite) return;
        if (Find(tensors, role) is NonFiniteValue first) throw new NonFiniteValueException(destination, first);
    }

    /// <summary>Index of the first NaN or ±∞ in <paramref name="values"/>, or −1.</summary>
    public static int FirstIndex(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }
}

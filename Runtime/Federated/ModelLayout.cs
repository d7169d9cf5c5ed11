using System;
using System.Collections.Generic;

namespace TrainingGen.Federated;

/// <summary>
/// Which of a trainer's parameters travel where: trainable ones are trained and their deltas
/// aggregated (concatenated in state_dict order into one vector of <see cref="DeltaLength"/>);
/// buffers (BatchNorm statistics) are averaged; frozen ones are copied into a worker's trainer once
/// and never sent back.
/// </summary>
internal sealed class ModelLayout
{
    public ModelLayout(ITrainer trainer)
    {
        var ps = trainer.Parameters;
        var trainable = new List<int>(); var buffers = new List<int>(); var frozen = new List<int>();
        for (int i = 0; i < ps.Count; i++)
        {
            if (ps[i].Trainable) { trainable.Add(i); DeltaLength += ps[i].Value.Length; }
            else if (ps[i].IsBuffer) { buffers.Add(i); BufferLength += ps[i].Value.Length; }
            else frozen.Add(i);
        }
        Trainable = trainable.ToArray(); Buffers = buffers.ToArray(); Frozen = frozen.ToArray();
        Names = new string[ps.Count];
        for (int i = 0; i < ps.Count; i++) Names[i] = ps[i].Name;
        if (Trainable.Length == 0) throw new ArgumentException("The model has no trainable parameter: there is nothing to train federatedly.");
    }

    public int[] Trainable { get; }
    public int[] Buffers { get; }
    public int[] Frozen { get; }
    public string[] Names { get; }
    public int DeltaLength { get; }
    public int BufferLength { get; }

    /// <summary>Throws unless <paramref name="trainer"/> has this layout (same names and sizes), e.g. one built for another batch size.</summary>
    public void Check(ITrainer trainer, IReadOnlyList<TrainerTensor> reference)
    {
        var ps = trainer.Parameters;
        if (ps.Count != reference.Count)
            throw new ArgumentException($"The trainer factory built a trainer with {ps.Count} parameters; the central model has {reference.Count}.");
        for (int i = 0; i < ps.Count; i++)
            if (ps[i].Name != reference[i].Name || ps[i].Value.Length != reference[i].Value.Length || ps[i].Trainable != reference[i].Trainable)
                throw new ArgumentException($"The trainer factory built a trainer whose parameter {i} is '{ps[i].Name}' [{ps[i].Value.Length}]; the central model's is '{reference[i].Name}' [{reference[i].Value.Length}].");
    }

    /// <summary>Copies the given parameters' values from one trainer to another.</summary>
    public static void Copy(int[] which, IReadOnlyList<TrainerTensor> from, IReadOnlyList<TrainerTensor> to)
    {
        foreach (int i in which) from[i].Value.AsSpan().CopyTo(to[i].Value);
    }
}

using System;

namespace TrainingGen;

/// <summary>
/// <see cref="Trainer.Fit"/> or a <see cref="TrainingSession"/> stopped because the loss, the
/// gradient norm or the parameters became NaN or ±∞. The message names the step, the epoch and
/// the first non-finite tensor (an input often holds the NaN that started it). When the loss or
/// the gradient norm is caught, the step's update was not applied; in every case the checkpoint
/// file was not overwritten.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    public TrainingDivergedException(long step, int epoch, int batchInEpoch, string quantity, double value, NonFiniteValue? firstNonFinite, string consequence)
        : base($"Training diverged at step {step} (epoch {epoch}, batch {batchInEpoch} of the epoch): the {quantity} is {Format(value)}; " +
               (firstNonFinite is NonFiniteValue f ? $"the first non-finite tensor: {f}. " : "no input, parameter, gradient or optimizer state holds a non-finite value (the value overflowed). ") +
               consequence)
    {
        Step = step; Epoch = epoch; BatchInEpoch = batchInEpoch; Quantity = quantity; Value = value; FirstNonFinite = firstNonFinite;
    }

    /// <summary>The optimizer step that diverged (1-based, in the trainer's <see cref="ITrainer.StepCount"/> numbering).</summary>
    public long Step { get; }
    /// <summary>The epoch (0-based, as in <see cref="TrainingState.Epoch"/>).</summary>
    public int Epoch { get; }
    /// <summary>The batch within the epoch (0-based) the step started at.</summary>
    public int BatchInEpoch { get; }
    /// <summary>What was found non-finite: "loss", "gradient norm" or "state".</summary>
    public string Quantity { get; }
    /// <summary>Its value (for "state", the first non-finite element).</summary>
    public double Value { get; }
    /// <summary>The first non-finite tensor (inputs of the step, then parameters, gradients, optimizer state), or null if none is.</summary>
    public NonFiniteValue? FirstNonFinite { get; }

    private static string Format(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

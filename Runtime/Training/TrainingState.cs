namespace TrainingGen;

/// <summary>
/// Where a <see cref="Trainer.Fit"/> run is, beyond the trainer's own parameters, optimizer state
/// and step count: enough to resume it bit-identically from a checkpoint (the epoch and the batch
/// within it, the schedule position and base rate, the shuffle seed — the order of an epoch depends
/// only on the seed and the epoch — and the running statistics of the current epoch and of early stopping).
/// </summary>
public sealed class TrainingState
{
    /// <summary>The current epoch (0-based).</summary>
    public int Epoch { get; set; }
    /// <summary>Batches of the current epoch already consumed (micro-batches when accumulating).</summary>
    public int BatchInEpoch { get; set; }
    /// <summary>The schedule's position (torch's <c>last_epoch</c>).</summary>
    public long SchedulePosition { get; set; }
    /// <summary>The base learning rate the schedule scales (torch's <c>base_lrs</c>).</summary>
    public double BaseLearningRate { get; set; }
    /// <summary>The shuffle seed, or null when the run does not shuffle.</summary>
    public ulong? ShuffleSeed { get; set; }
    /// <summary>Sum of the step losses of the current epoch so far.</summary>
    public double EpochLossSum { get; set; }
    /// <summary>Optimizer steps taken in the current epoch so far.</summary>
    public int EpochSteps { get; set; }
    /// <summary>The best monitored loss so far (early stopping); +∞ before the first epoch ends.</summary>
    public double BestLoss { get; set; } = double.PositiveInfinity;
    /// <summary>The epoch of <see cref="BestLoss"/> (−1 before the first epoch ends).</summary>
    public int BestEpoch { get; set; } = -1;
    /// <summary>Epochs since the last improvement (early stopping).</summary>
    public int EpochsWithoutImprovement { get; set; }
    /// <summary>True once early stopping has ended the run.</summary>
    public bool Stopped { get; set; }

    public TrainingState Clone() => (TrainingState)MemberwiseClone();
}

using System;
using System.Collections.Generic;
using TrainingGen.Data;

namespace TrainingGen;

/// <summary>Options of <see cref="Trainer.Fit"/>. Every member has a usable default.</summary>
public sealed class FitOptions
{
    /// <summary>Number of passes over the training set (default 1).</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>Shuffle seed: each epoch visits the samples in <see cref="Dataset.EpochOrder"/>(seed, epoch); null keeps the data set's order.</summary>
    public ulong? ShuffleSeed { get; init; }
    /// <summary>Evaluated after every epoch (loss, and accuracy for classifiers); matched to the trainer's inputs as the training set is.</summary>
    public ITensorDataset? Validation { get; init; }
    /// <summary>Learning-rate schedule; its base rate (torch's <c>base_lrs</c>) is the optimizer's declared rate, or the trainer's <see cref="ITrainer.LearningRate"/> if that was changed before the run.</summary>
    public LearningRateSchedule? Schedule { get; init; }
    /// <summary>Clip the global L2 norm of the (accumulated) gradients to this value before each update (torch.nn.utils.clip_grad_norm_).</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>Micro-batches per optimizer step: their gradients are averaged, then one update (default 1).</summary>
    public int AccumulationSteps { get; init; } = 1;
    /// <summary>Stop when the monitored loss stops improving.</summary>
    public EarlyStopping? EarlyStopping { get; init; }
    /// <summary>Receives a report after every optimizer step and at the end of every epoch.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Stop after this many optimizer steps in this call (the position is kept for a resume).</summary>
    public long? MaxSteps { get; init; }
    /// <summary>
    /// Write a checkpoint (with the run's <see cref="TrainingState"/>) here at the end of the run and every
    /// <see cref="CheckpointEvery"/> steps. It is never overwritten with a non-finite state: the run
    /// stops with <see cref="TrainingDivergedException"/> instead, and the last good checkpoint stays.
    /// </summary>
    public string? CheckpointPath { get; init; }
    /// <summary>Steps between checkpoints (0: only at the end of the run).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Resume from this checkpoint (written by a Fit run with <see cref="CheckpointPath"/>): the trainer, schedule, epoch, batch and shuffle order continue where it stopped.</summary>
    public string? ResumeFrom { get; init; }

    internal void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs cannot be negative.");
        if (AccumulationSteps < 1) throw new ArgumentOutOfRangeException(nameof(AccumulationSteps), AccumulationSteps, "AccumulationSteps must be at least 1.");
        if (ClipGradNorm is double c && !(c > 0)) throw new ArgumentOutOfRangeException(nameof(ClipGradNorm), c, "ClipGradNorm must be positive.");
        if (CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "CheckpointEvery cannot be negative.");
        if (CheckpointEvery > 0 && CheckpointPath is null) throw new ArgumentException("CheckpointEvery needs a CheckpointPath.");
        if (MaxSteps is long m && m < 0) throw new ArgumentOutOfRangeException(nameof(MaxSteps), m, "MaxSteps cannot be negative.");
    }
}

/// <summary>
/// Early stopping on the validation loss (the training loss without a validation set): an epoch
/// improves when its loss is below best − <see cref="MinDelta"/>; the run stops after
/// <see cref="Patience"/> epochs in a row without improvement.
/// </summary>
public sealed record EarlyStopping(int Patience, double MinDelta = 0)
{
    public int Patience { get; } = Patience >= 1 ? Patience : throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be at least 1.");
    public double MinDelta { get; } = MinDelta >= 0 ? MinDelta : throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, "MinDelta cannot be negative.");
}

/// <summary>A progress report of <see cref="Trainer.Fit"/> (a struct: reporting does not allocate).</summary>
public readonly record struct TrainingProgress
{
    /// <summary>Epoch, 1-based.</summary>
    public int Epoch { get; init; }
    public int Epochs { get; init; }
    /// <summary>Optimizer steps taken in this epoch.</summary>
    public int StepInEpoch { get; init; }
    public int StepsPerEpoch { get; init; }
    /// <summary>The trainer's step count (all steps ever taken).</summary>
    public long Step { get; init; }
    /// <summary>Loss of the last step.</summary>
    public double Loss { get; init; }
    /// <summary>Mean step loss of the epoch so far.</summary>
    public double EpochLoss { get; init; }
    public double LearningRate { get; init; }
    /// <summary>Training samples per second in this epoch (this call).</summary>
    public double SamplesPerSecond { get; init; }
    /// <summary>True for the report at the end of an epoch (with the validation results, if any).</summary>
    public bool EpochCompleted { get; init; }
    public double? ValidationLoss { get; init; }
    public double? ValidationAccuracy { get; init; }
}

/// <summary>One epoch of a <see cref="Trainer.Fit"/> run.</summary>
/// <param name="Epoch">0-based.</param>
/// <param name="TrainLoss">Mean of the epoch's step losses.</param>
/// <param name="ValidationLoss">Mean validation loss after the epoch (null without a validation set).</param>
/// <param name="ValidationAccuracy">Validation accuracy for classifiers (null otherwise).</param>
/// <param name="LearningRate">The learning rate of the epoch's last step.</param>
/// <param name="Seconds">Wall time of the epoch in this call.</param>
public sealed record EpochSummary(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy, double LearningRate, double Seconds);

/// <summary>What <see cref="Trainer.Fit"/> did.</summary>
public sealed class FitHistory
{
    internal readonly List<EpochSummary> EpochList = new();
    /// <summary>Epochs completed in this call.</summary>
    public IReadOnlyList<EpochSummary> Epochs => EpochList;
    public IEnumerable<double> TrainLoss { get { foreach (var e in EpochList) yield return e.TrainLoss; } }
    public IEnumerable<double?> ValidationLoss { get { foreach (var e in EpochList) yield return e.ValidationLoss; } }
    public IEnumerable<double?> ValidationAccuracy { get { foreach (var e in EpochList) yield return e.ValidationAccuracy; } }
    /// <summary>True when early stopping ended the run.</summary>
    public bool StoppedEarly { get; internal set; }
    /// <summary>The epoch with the best monitored loss (−1 if none completed).</summary>
    public int BestEpoch { get; internal set; } = -1;
    /// <summary>Optimizer steps taken in this call.</summary>
    public long Steps { get; internal set; }
}

/// <summary>Loss (mean over full batches) and, for classifiers, accuracy.</summary>
public readonly record struct EvaluationResult(double Loss, double? Accuracy, int Samples);

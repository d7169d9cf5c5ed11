using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics.Tensors;
using TrainingGen.Data;

namespace TrainingGen;

/// <summary>
/// The high-level training API over any generated trainer: <c>Trainer.Fit(trainer, data, options)</c>
/// trains, <see cref="Evaluate"/> measures, <see cref="Predict"/> predicts. The trainer's own
/// <c>Step(x, y)</c> remains the one-line update; <see cref="TrainingSession"/> exposes Fit's loop
/// step by step.
/// <para>The data is an <see cref="ITensorDataset"/>: a <see cref="TensorDataset"/> whose tensors are
/// named after <c>Forward</c>'s parameters (any number of inputs), or a features/labels
/// <see cref="IDataset"/> for a trainer with one feature and one label input. A missing, extra or
/// mis-shaped tensor is an <see cref="ArgumentException"/> naming it and listing the inputs the
/// trainer expects with their shapes.</para>
/// <para>Batches have the trainer's <see cref="ITrainer.BatchSize"/>; in training and evaluation the
/// last partial batch of an epoch is dropped (torch's <c>drop_last=True</c>), and with gradient
/// accumulation over k micro-batches so is an incomplete group of fewer than k batches.
/// <see cref="Predict"/> pads its last batch instead and returns every sample.</para>
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="trainer"/> on <paramref name="train"/> for <see cref="FitOptions.Epochs"/>
    /// epochs: per step, (accumulated) gradients, optional clipping, one optimizer update; per epoch,
    /// validation, schedule and early stopping; progress and checkpoints as configured. The per-step
    /// loop does not allocate.
    /// <para>Every step checks that the loss (and, when clipping, the gradient norm) is finite before
    /// the update; if not, it throws <see cref="TrainingDivergedException"/> naming the step, the epoch
    /// and the first non-finite tensor, with the parameters as they were before that step. A checkpoint
    /// is never overwritten with a non-finite state. (<c>trainer.Step</c> does not check: a hand-written
    /// loop tests <c>float.IsFinite(loss)</c> itself, or calls <see cref="NonFinite.Find(ITrainer)"/>.)</para>
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss, the gradient norm or the state became NaN or ±∞.</exception>
    public static FitHistory Fit(ITrainer trainer, ITensorDataset train, FitOptions? options = null)
    {
        var session = new TrainingSession(trainer, train, options ?? new FitOptions());
        while (session.RunStep()) { }
        return session.History;
    }

    /// <summary>The loop of <see cref="Fit"/>, one optimizer step at a time.</summary>
    public static TrainingSession CreateSession(ITrainer trainer, ITensorDataset train, FitOptions? options = null) =>
        new(trainer, train, options ?? new FitOptions());

    /// <summary>
    /// Mean loss over the full batches of <paramref name="data"/>, and accuracy when the trainer has
    /// one label input and the first prediction has more than one value per sample: the argmax of
    /// each sample's prediction against its label (a class index, or the argmax of a one-hot label).
    /// With several label inputs (several heads) only the loss is reported.
    /// </summary>
    public static EvaluationResult Evaluate(ITrainer trainer, ITensorDataset data) =>
        EvaluateWith(trainer, data, InputBatch.Create(trainer, data, featuresOnly: false, "Trainer.Evaluate", nameof(data)));

    internal static EvaluationResult EvaluateWith(ITrainer trainer, ITensorDataset data, InputBatch batch)
    {
        int b = trainer.BatchSize, batches = data.Count / b;
        if (batches == 0)
            throw new ArgumentException($"The data set has {data.Count} samples, fewer than one batch of {b}.", nameof(data));
        double lossSum = 0;
        long correct = 0;
        bool classifier = batch.Label is not null;
        for (int k = 0; k < batches; k++)
        {
            batch.FillRange(k * b, b);
            lossSum += trainer.Evaluate(batch.Inputs);
            if (!classifier) continue;
            var outputs = trainer.Predict(batch.Features);
            if (outputs.Count == 0) { classifier = false; continue; }
            var pred = outputs[0];
            var labels = batch.Label!;
            int classes = pred.Count / b;
            int labelSize = labels.Count / b;
            // Class indices (float or int32), or one-hot float rows.
            if (classes < 2 || pred.Shape[0] != b || (labelSize != 1 && (labelSize != classes || labels is IntTensor))) { classifier = false; continue; }
            for (int i = 0; i < b; i++)
            {
                int predicted = TensorPrimitives.IndexOfMax(pred.Data.AsSpan(i * classes, classes));
                int actual = labels switch
                {
                    IntTensor ints => ints.Data[i],
                    Tensor floats when labelSize == 1 => (int)floats.Data[i],
                    Tensor floats => TensorPrimitives.IndexOfMax(floats.Data.AsSpan(i * classes, classes)),
                    _ => -1,
                };
                if (predicted == actual) correct++;
            }
        }
        int samples = batches * b;
        return new EvaluationResult(lossSum / batches, classifier ? (double)correct / samples : null, samples);
    }

    /// <summary>
    /// The model's predictions for every sample of <paramref name="data"/>: one tensor per prediction
    /// output (every output of <c>Forward</c> after the loss), in <see cref="ITrainer.OutputNames"/>
    /// order, each [Count, …]. Only the feature inputs are needed; label tensors in the data set are
    /// ignored. The last batch is padded with copies of the last sample.
    /// </summary>
    public static Tensor[] Predict(ITrainer trainer, ITensorDataset data)
    {
        var batch = InputBatch.Create(trainer, data, featuresOnly: true, "Trainer.Predict", nameof(data));
        int b = trainer.BatchSize;
        Tensor[]? result = null;
        for (int first = 0; first < data.Count; first += b)
        {
            int n = Math.Min(b, data.Count - first);
            batch.FillRange(first, n);
            var outputs = trainer.Predict(batch.Features);
            if (result is null)
            {
                result = new Tensor[outputs.Count];
                for (int o = 0; o < outputs.Count; o++)
                {
                    var shape = (int[])outputs[o].Shape.Clone();
                    shape[0] = data.Count;
                    result[o] = new Tensor(shape);
                }
            }
            for (int o = 0; o < outputs.Count; o++)
            {
                int per = outputs[o].Count / b;
                outputs[o].Data.AsSpan(0, n * per).CopyTo(result[o].Data.AsSpan(first * per));
            }
        }
        return result ?? Array.Empty<Tensor>();
    }

    /// <summary>
    /// torch.nn.utils.clip_grad_norm_(max_norm, norm_type=2) over the trainable parameters' gradients:
    /// total = √(Σ g²) over all of them; if max_norm / (total + 1e-6) &lt; 1 every gradient is multiplied by
    /// that factor. Returns the total norm before clipping. Does not allocate.
    /// A non-finite total leaves the gradients as they are (torch would scale them by 0 and turn ∞
    /// into NaN), so the culprit can still be found; <see cref="TrainingSession"/> stops there.
    /// </summary>
    public static double ClipGradNorm(ITrainer trainer, double maxNorm)
    {
        var ps = trainer.Parameters;
        double sum = 0;
        for (int i = 0; i < ps.Count; i++)
        {
            var g = ps[i].Gradient;
            if (!ps[i].Trainable || g is null) continue;
            for (int j = 0; j < g.Length; j++) sum += (double)g[j] * g[j];
        }
        double total = Math.Sqrt(sum);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1 && double.IsFinite(total))
        {
            float c = (float)coef;
            for (int i = 0; i < ps.Count; i++)
                if (ps[i].Trainable && ps[i].Gradient is float[] g) TensorPrimitives.Multiply(g, c, g);
        }
        return total;
    }

}

/// <summary>
/// The loop of <see cref="Trainer.Fit"/> as an object: <see cref="RunStep"/> takes one optimizer
/// step (filling preallocated batches, accumulating, clipping, updating, scheduling, validating at
/// epoch ends) without allocating. <see cref="State"/> is what a checkpoint needs to resume.
/// Each step checks the loss (and the gradient norm when clipping) for NaN/±∞ before its update and
/// throws <see cref="TrainingDivergedException"/> if either is not finite (see <see cref="Trainer.Fit"/>).
/// </summary>
public sealed class TrainingSession
{
    private readonly ITrainer _trainer;
    private readonly ITensorDataset _train;
    private readonly FitOptions _o;
    private readonly InputBatch _batch;
    private readonly InputBatch? _validationBatch;
    private readonly int[] _order;
    private readonly int _batchesPerEpoch;   // micro-batches used per epoch (a multiple of AccumulationSteps)
    private readonly float[][] _accumulated;
    private readonly float[][] _grads;
    private readonly double _tickSeconds = 1.0 / Stopwatch.Frequency;
    private bool _orderReady;
    private long _epochStartTicks;
    private int _epochSamples;
    private bool _finished;

    internal TrainingSession(ITrainer trainer, ITensorDataset train, FitOptions options)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(options);
        _batch = InputBatch.Create(trainer, train, featuresOnly: false, "Trainer.Fit", nameof(train));
        options.Validate();
        _trainer = trainer; _train = train; _o = options;
        int b = trainer.BatchSize, k = options.AccumulationSteps;
        _batchesPerEpoch = train.Count / b / k * k;
        if (_batchesPerEpoch == 0)
            throw new ArgumentException($"The training set has {train.Count} samples, fewer than one step's {b * k} (batch size {b} × {k} accumulation steps).", nameof(train));
        if (options.Validation is not null)
            _validationBatch = InputBatch.Create(trainer, options.Validation, featuresOnly: false, "Trainer.Fit (FitOptions.Validation)", nameof(options));
        _order = new int[train.Count];
        var trainable = new List<float[]>();
        foreach (var p in trainer.Parameters) if (p.Trainable && p.Gradient is not null) trainable.Add(p.Gradient);
        _grads = trainable.ToArray();
        _accumulated = new float[k > 1 ? _grads.Length : 0][];
        for (int i = 0; i < _accumulated.Length; i++) _accumulated[i] = new float[_grads[i].Length];
        History.EpochList.Capacity = Math.Max(options.Epochs, 1);

        if (options.ResumeFrom is string resume)
        {
            State = Checkpoint.Load(resume, trainer)
                ?? throw new CheckpointException(resume, null, "it holds no Fit position (it was saved without a TrainingState), so Fit cannot resume from it.");
            if (State.ShuffleSeed != options.ShuffleSeed)
                throw new ArgumentException($"The checkpoint was written by a run with shuffle seed {State.ShuffleSeed?.ToString() ?? "none"}, this run has {options.ShuffleSeed?.ToString() ?? "none"}: the sample order would differ.", nameof(options));
            if (State.BatchInEpoch > _batchesPerEpoch)
                throw new ArgumentException($"The checkpoint is at batch {State.BatchInEpoch} of its epoch, but this data set has {_batchesPerEpoch} per epoch.", nameof(train));
        }
        else
        {
            // torch's base_lrs is the rate the optimizer was declared with (a double); use it unless the
            // trainer's rate was changed since.
            double declared = trainer.Optimizer.LearningRate;
            double baseLr = trainer.LearningRate == (float)declared ? declared : trainer.LearningRate;
            State = new TrainingState { BaseLearningRate = baseLr, ShuffleSeed = options.ShuffleSeed };
        }
        _finished = State.Stopped || State.Epoch >= options.Epochs;
    }

    /// <summary>The run's position (saved in checkpoints).</summary>
    public TrainingState State { get; }
    /// <summary>Epochs completed so far in this session, early stopping, steps.</summary>
    public FitHistory History { get; } = new();
    /// <summary>Optimizer steps per epoch.</summary>
    public int StepsPerEpoch => _batchesPerEpoch / _o.AccumulationSteps;
    /// <summary>The loss of the last step (mean over its micro-batches).</summary>
    public double LastLoss { get; private set; }
    /// <summary>The global gradient norm before clipping of the last step (NaN unless clipping).</summary>
    public double LastGradNorm { get; private set; } = double.NaN;
    /// <summary>True when the run is over (all epochs, early stopping or <see cref="FitOptions.MaxSteps"/>).</summary>
    public bool IsFinished => _finished;

    /// <summary>Takes one optimizer step; returns false (doing nothing) once the run is over.</summary>
    /// <exception cref="TrainingDivergedException">The loss or the gradient norm is NaN or ±∞ (the update is not applied), or the state to checkpoint is.</exception>
    public bool RunStep()
    {
        if (_finished) return false;
        var t = _trainer;
        int b = t.BatchSize, k = _o.AccumulationSteps;
        if (!_orderReady) BeginEpoch();
        int epoch = State.Epoch, batchInEpoch = State.BatchInEpoch;

        var schedule = _o.Schedule;
        if (schedule is not null && schedule.Interval == ScheduleInterval.Step)
            t.LearningRate = (float)schedule.LearningRate(State.BaseLearningRate, State.SchedulePosition);

        double loss;
        if (k == 1)
        {
            _batch.Fill(_order, State.BatchInEpoch * b);
            loss = t.ComputeGradients(_batch.Inputs);
        }
        else
        {
            loss = 0;
            for (int m = 0; m < k; m++)
            {
                _batch.Fill(_order, (State.BatchInEpoch + m) * b);
                loss += t.ComputeGradients(_batch.Inputs);
                for (int i = 0; i < _grads.Length; i++)
                {
                    if (m == 0) _grads[i].AsSpan().CopyTo(_accumulated[i]);
                    else TensorPrimitives.Add(_accumulated[i], _grads[i], _accumulated[i]);
                }
            }
            // Average: the gradient of the mean loss over the k micro-batches.
            for (int i = 0; i < _grads.Length; i++) TensorPrimitives.Divide(_accumulated[i], (float)k, _grads[i]);
            loss /= k;
        }
        // The divergence check: two comparisons per step, before the update, so a NaN in the data
        // cannot reach the parameters (trainer.Step itself stays branch-free).
        if (!double.IsFinite(loss)) throw Diverged(epoch, batchInEpoch, "loss", loss);
        if (_o.ClipGradNorm is double maxNorm)
        {
            LastGradNorm = Trainer.ClipGradNorm(t, maxNorm);
            if (!double.IsFinite(LastGradNorm)) throw Diverged(epoch, batchInEpoch, "gradient norm", LastGradNorm);
        }
        t.ApplyUpdate();
        LastLoss = loss;

        if (schedule is not null && schedule.Interval == ScheduleInterval.Step) State.SchedulePosition++;
        State.BatchInEpoch += k;
        State.EpochLossSum += loss;
        State.EpochSteps++;
        History.Steps++;
        _epochSamples += b * k;

        bool epochDone = State.BatchInEpoch >= _batchesPerEpoch;
        if (_o.Progress is not null && !epochDone) Report(false, null);
        if (epochDone) EndEpoch();
        if (!_finished && _o.MaxSteps is long max && History.Steps >= max) _finished = true;
        if (_o.CheckpointPath is string path && (_finished || (_o.CheckpointEvery > 0 && History.Steps % _o.CheckpointEvery == 0)))
        {
            // A finite loss does not make finite gradients: Save refuses a non-finite state, so the
            // last good checkpoint is never overwritten with one.
            try { Checkpoint.Save(path, t, State); }
            catch (NonFiniteValueException e)
            {
                throw new TrainingDivergedException(t.StepCount, epoch, batchInEpoch, "state", e.First.Value, e.First,
                    $"The update was applied; the checkpoint '{path}' was not overwritten.");
            }
        }
        return true;
    }

    /// <summary>The exception for a non-finite loss or gradient norm, naming the first non-finite tensor.</summary>
    private TrainingDivergedException Diverged(int epoch, int batchInEpoch, string quantity, double value) =>
        new(_trainer.StepCount + 1, epoch, batchInEpoch, quantity, value, FirstNonFiniteTensor(),
            "The update was not applied: the parameters are those of the previous step, and no checkpoint was written.");

    // Where a NaN usually comes from, in order: the data of the step (the last micro-batch when
    // accumulating), then what training made of it.
    private NonFiniteValue? FirstNonFiniteTensor()
    {
        var inputs = _batch.Inputs;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is not Tensor input) continue;   // integers are always finite
            int at = NonFinite.FirstIndex(input.Data);
            if (at >= 0) return new NonFiniteValue($"input '{_trainer.InputNames[i]}'", at, input.Data[at]);
        }
        if (NonFinite.Find(_trainer.Parameters) is NonFiniteValue p) return p;
        foreach (var prm in _trainer.Parameters)
        {
            int at = prm.Gradient is null ? -1 : NonFinite.FirstIndex(prm.Gradient);
            if (at >= 0) return new NonFiniteValue($"the gradient of '{prm.Name}'", at, prm.Gradient![at]);
        }
        return NonFinite.Find(_trainer.OptimizerState, "optimizer state");
    }

    private void BeginEpoch()
    {
        if (State.ShuffleSeed is ulong seed) Dataset.EpochOrder(_order, seed, State.Epoch);
        else for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _orderReady = true;
        if (_o.Schedule is { Interval: ScheduleInterval.Epoch } s)
            _trainer.LearningRate = (float)s.LearningRate(State.BaseLearningRate, State.SchedulePosition);
        _epochStartTicks = Stopwatch.GetTimestamp();
        _epochSamples = 0;
    }

    private void EndEpoch()
    {
        double trainLoss = State.EpochLossSum / Math.Max(1, State.EpochSteps);
        EvaluationResult? val = _o.Validation is not null ? Trainer.EvaluateWith(_trainer, _o.Validation, _validationBatch!) : null;
        double seconds = (Stopwatch.GetTimestamp() - _epochStartTicks) * _tickSeconds;
        History.EpochList.Add(new EpochSummary(State.Epoch, trainLoss, val?.Loss, val?.Accuracy, _trainer.LearningRate, seconds));
        if (_o.Progress is not null) Report(true, val);

        double monitored = val?.Loss ?? trainLoss;
        double minDelta = _o.EarlyStopping?.MinDelta ?? 0;
        if (monitored < State.BestLoss - minDelta)
        {
            State.BestLoss = monitored; State.BestEpoch = State.Epoch; State.EpochsWithoutImprovement = 0;
        }
        else State.EpochsWithoutImprovement++;
        History.BestEpoch = State.BestEpoch;
        if (_o.EarlyStopping is { } es && State.EpochsWithoutImprovement >= es.Patience)
        {
            State.Stopped = true;
            History.StoppedEarly = true;
        }
        if (_o.Schedule is { Interval: ScheduleInterval.Epoch }) State.SchedulePosition++;
        State.Epoch++;
        State.BatchInEpoch = 0;
        State.EpochLossSum = 0;
        State.EpochSteps = 0;
        _orderReady = false;
        if (State.Stopped || State.Epoch >= _o.Epochs) _finished = true;
    }

    private void Report(bool epochEnd, EvaluationResult? val)
    {
        double seconds = (Stopwatch.GetTimestamp() - _epochStartTicks) * _tickSeconds;
        _o.Progress!.Report(new TrainingProgress
        {
            Epoch = State.Epoch + 1, Epochs = _o.Epochs,
            StepInEpoch = epochEnd ? StepsPerEpoch : State.BatchInEpoch / _o.AccumulationSteps, StepsPerEpoch = StepsPerEpoch,
            Step = _trainer.StepCount, Loss = LastLoss, EpochLoss = State.EpochLossSum / Math.Max(1, State.EpochSteps),
            LearningRate = _trainer.LearningRate,
            SamplesPerSecond = seconds > 0 ? _epochSamples / seconds : 0,
            EpochCompleted = epochEnd, ValidationLoss = val?.Loss, ValidationAccuracy = val?.Accuracy,
        });
    }
}

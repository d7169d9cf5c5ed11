using System;

namespace TrainingGen;

/// <summary>When a schedule advances: once per epoch (torch's usual <c>scheduler.step()</c> after each epoch) or once per optimizer step.</summary>
public enum ScheduleInterval
{
    /// <summary>The position is the number of epochs completed.</summary>
    Epoch,
    /// <summary>The position is the number of optimizer steps taken in the run.</summary>
    Step,
}

/// <summary>
/// A learning-rate schedule as a closed form of the position t (torch's <c>last_epoch</c>: the
/// number of <c>scheduler.step()</c> calls so far) and the base learning rate γ₀ (torch's
/// <c>base_lrs</c>). Stateless, so a checkpoint only needs the position.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>When the position advances; per epoch unless the schedule says otherwise.</summary>
    public ScheduleInterval Interval { get; init; } = ScheduleInterval.Epoch;

    /// <summary>The learning rate at position <paramref name="t"/> (t ≥ 0) for base rate <paramref name="baseLearningRate"/>.</summary>
    public abstract double LearningRate(double baseLearningRate, long t);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a negative position.</summary>
    protected static void CheckPosition(long t)
    {
        if (t < 0) throw new ArgumentOutOfRangeException(nameof(t), t, "The schedule position cannot be negative.");
    }
}

/// <summary>torch.optim.lr_scheduler.StepLR(step_size, gamma = 0.1): γₜ = γ₀ · gamma^⌊t / step_size⌋.</summary>
public sealed class StepLR : LearningRateSchedule
{
    public StepLR(int stepSize, double gamma = 0.1)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "step_size must be positive.");
        StepSize = stepSize; Gamma = gamma;
    }
    public int StepSize { get; }
    public double Gamma { get; }
    public override double LearningRate(double baseLearningRate, long t)
    {
        CheckPosition(t);
        return baseLearningRate * Math.Pow(Gamma, t / StepSize);
    }
}

/// <summary>torch.optim.lr_scheduler.ExponentialLR(gamma): γₜ = γ₀ · gammaᵗ.</summary>
public sealed class ExponentialLR : LearningRateSchedule
{
    public ExponentialLR(double gamma) { Gamma = gamma; }
    public double Gamma { get; }
    public override double LearningRate(double baseLearningRate, long t)
    {
        CheckPosition(t);
        return baseLearningRate * Math.Pow(Gamma, t);
    }
}

/// <summary>
/// torch.optim.lr_scheduler.CosineAnnealingLR(T_max, eta_min = 0), its documented closed form:
/// γₜ = η_min + (γ₀ − η_min) · (1 + cos(π·t / T_max)) / 2.
/// </summary>
public sealed class CosineAnnealingLR : LearningRateSchedule
{
    public CosineAnnealingLR(int tMax, double etaMin = 0)
    {
        if (tMax <= 0) throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "T_max must be positive.");
        TMax = tMax; EtaMin = etaMin;
    }
    public int TMax { get; }
    public double EtaMin { get; }
    public override double LearningRate(double baseLearningRate, long t)
    {
        CheckPosition(t);
        return EtaMin + (baseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * t / TMax)) / 2;
    }
}

/// <summary>
/// torch.optim.lr_scheduler.LinearLR(start_factor = 1/3, end_factor = 1.0, total_iters = 5) — a
/// linear warm-up: γₜ = γ₀ · (s + (e − s) · min(t, T) / T).
/// </summary>
public sealed class LinearLR : LearningRateSchedule
{
    public LinearLR(double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5)
    {
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "start_factor must be in (0, 1].");
        if (!(endFactor >= 0 && endFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, "end_factor must be in [0, 1].");
        if (totalIters <= 0) throw new ArgumentOutOfRangeException(nameof(totalIters), totalIters, "total_iters must be positive.");
        StartFactor = startFactor; EndFactor = endFactor; TotalIters = totalIters;
    }
    public double StartFactor { get; }
    public double EndFactor { get; }
    public int TotalIters { get; }
    public override double LearningRate(double baseLearningRate, long t)
    {
        CheckPosition(t);
        return baseLearningRate * (StartFactor + (EndFactor - StartFactor) * Math.Min(t, TotalIters) / TotalIters);
    }
}

/// <summary>
/// torch.optim.lr_scheduler.OneCycleLR(max_lr, total_steps, pct_start = 0.3, anneal_strategy = 'cos',
/// div_factor = 25, final_div_factor = 1e4, three_phase = false), stepped once per optimizer step
/// (its <see cref="LearningRateSchedule.Interval"/> is <see cref="ScheduleInterval.Step"/>). The base
/// rate is ignored: γ_initial = max_lr / div_factor, γ_min = γ_initial / final_div_factor. Phases end at
/// steps e₁ = pct_start·total − 1 (γ_initial → max_lr) and total − 1 (max_lr → γ_min); with three
/// phases: e₁ (γ_initial → max_lr), e₂ = 2·pct_start·total − 2 (max_lr → γ_initial), total − 1
/// (γ_initial → γ_min). Within a phase from a to b over [s, e], p = (t − s)/(e − s) and
/// cos: γ = b + (a − b)(1 + cos πp)/2; linear: γ = a + (b − a)p. Positions past total − 1 are an
/// error, as in torch. Momentum is not cycled (torch's <c>cycle_momentum=False</c>).
/// </summary>
public sealed class OneCycleLR : LearningRateSchedule
{
    public OneCycleLR(double maxLearningRate, int totalSteps, double pctStart = 0.3, bool cosine = true,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
    {
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "total_steps must be positive.");
        if (!(pctStart >= 0 && pctStart <= 1)) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pct_start must be in [0, 1].");
        if (!(maxLearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(maxLearningRate), maxLearningRate, "max_lr must be >= 0.");
        MaxLearningRate = maxLearningRate; TotalSteps = totalSteps; PctStart = pctStart; Cosine = cosine;
        DivFactor = divFactor; FinalDivFactor = finalDivFactor; ThreePhase = threePhase;
        Interval = ScheduleInterval.Step;
    }
    public double MaxLearningRate { get; }
    public int TotalSteps { get; }
    public double PctStart { get; }
    public bool Cosine { get; }
    public double DivFactor { get; }
    public double FinalDivFactor { get; }
    public bool ThreePhase { get; }

    public override double LearningRate(double baseLearningRate, long t)
    {
        CheckPosition(t);
        if (t >= TotalSteps)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"OneCycleLR was stepped past its total_steps ({TotalSteps}).");
        double initial = MaxLearningRate / DivFactor, min = initial / FinalDivFactor;
        Span<(double End, double From, double To)> phases = stackalloc (double, double, double)[3];
        int n;
        if (ThreePhase)
        {
            phases[0] = (PctStart * TotalSteps - 1, initial, MaxLearningRate);
            phases[1] = (2 * PctStart * TotalSteps - 2, MaxLearningRate, initial);
            phases[2] = (TotalSteps - 1, initial, min);
            n = 3;
        }
        else
        {
            phases[0] = (PctStart * TotalSteps - 1, initial, MaxLearningRate);
            phases[1] = (TotalSteps - 1, MaxLearningRate, min);
            n = 2;
        }
        double start = 0;
        for (int i = 0; i < n; i++)
        {
            var (end, from, to) = phases[i];
            if (t <= end || i == n - 1)
            {
                double pct = (t - start) / (end - start);
                return Cosine ? to + (from - to) / 2 * (Math.Cos(Math.PI * pct) + 1) : (to - from) * pct + from;
            }
            start = end;
        }
        throw new InvalidOperationException("unreachable");
    }
}

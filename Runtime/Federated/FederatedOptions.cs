using System;
using TrainingGen.Optimizers;

namespace TrainingGen.Federated;

/// <summary>How the server weights each user's model delta in the average (FedAvg).</summary>
public enum FederatedWeighting
{
    /// <summary>Every user counts once: the plain mean of the deltas.</summary>
    ByUser,
    /// <summary>A user counts as many times as it has samples (McMahan et al.'s n_k / n).</summary>
    ByDataPoints,
}

/// <summary>What the server does with state_dict buffers (BatchNorm's running statistics).</summary>
public enum BufferAggregation
{
    /// <summary>
    /// Each user's buffers after local training are averaged with the deltas' weights and become the
    /// central buffers (a fixed-order, deterministic version of what pfl-research's simulation ends up
    /// with; see docs/federated.md). They are neither clipped nor noised: outside any DP guarantee.
    /// </summary>
    Average,
    /// <summary>The central buffers never change (nothing derived from user data leaves the users).</summary>
    KeepCentral,
}

/// <summary>
/// Local training of one user, as pfl-research's <c>NNTrainHyperParams</c>: the user's data in
/// batches of <see cref="BatchSize"/> (the last partial batch is trained, not dropped), for
/// <see cref="Epochs"/> passes or <see cref="Steps"/> batches, with the model's own optimizer
/// (fresh state for every user) at <see cref="LearningRate"/>.
/// </summary>
public sealed record LocalTrainingOptions
{
    /// <summary>Samples per local batch.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Passes over the user's data (ignored when <see cref="Steps"/> is set).</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>
    /// When set, exactly this many local batches: epochs follow one another (a partial batch counts
    /// as one step) until the count is reached.
    /// </summary>
    public int? Steps { get; init; }
    /// <summary>The local optimizer's learning rate.</summary>
    public double LearningRate { get; init; } = 0.1;
    /// <summary>When set, every local gradient is clipped to this global L2 norm (<see cref="Trainer.ClipGradNorm"/>).</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>
    /// FedProx's μ: the gradient of μ/2·‖w − w_central‖² (that is μ·(w − w_central)) is added to every
    /// trainable parameter's gradient before clipping and the update. 0 is FedAvg.
    /// </summary>
    public double ProximalMu { get; init; }
    /// <summary>Shuffle the user's samples every local epoch (pfl-research iterates in order: default false).</summary>
    public bool Shuffle { get; init; }

    internal void Validate()
    {
        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The local batch size must be positive.");
        if (Steps is int s && s <= 0) throw new ArgumentOutOfRangeException(nameof(Steps), s, "The number of local steps must be positive.");
        if (Steps is null && Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "The number of local epochs must be positive.");
        if (!(double.IsFinite(LearningRate) && LearningRate >= 0))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The local learning rate must be a finite number ≥ 0.");
        if (ClipGradNorm is double c && !(c > 0 && double.IsFinite(c)))
            throw new ArgumentOutOfRangeException(nameof(ClipGradNorm), c, "The local clipping norm must be a finite number > 0.");
        if (!(double.IsFinite(ProximalMu) && ProximalMu >= 0))
            throw new ArgumentOutOfRangeException(nameof(ProximalMu), ProximalMu, "FedProx's μ must be a finite number ≥ 0.");
    }
}

/// <summary>
/// Adaptive clipping (Andrew et al. 2019, "Differentially private learning with adaptive clipping"):
/// after each iteration the bound moves geometrically towards the <see cref="TargetQuantile"/> of the
/// users' update norms, C ← C·exp(−η·(b̄ − γ)), where b̄ is the noised fraction of users whose norm
/// was ≤ C.
/// </summary>
public sealed record AdaptiveClippingOptions
{
    /// <summary>γ: the fraction of users that should be unclipped.</summary>
    public double TargetQuantile { get; init; } = 0.5;
    /// <summary>η: the geometric learning rate of the bound.</summary>
    public double LearningRate { get; init; } = 0.2;
    /// <summary>
    /// σ_b: the standard deviation of the Gaussian noise on the count of unclipped users. With a
    /// noise multiplier z on the deltas, the deltas get z_Δ = (z⁻² − (2σ_b)⁻²)^(−½) so that the pair
    /// costs what z alone would (the paper's Theorem 1); this needs 2σ_b &gt; z. Null: expected
    /// cohort size / 20, the paper's choice.
    /// </summary>
    public double? CountNoiseStdDev { get; init; }

    internal void Validate()
    {
        if (!(TargetQuantile >= 0 && TargetQuantile <= 1)) throw new ArgumentOutOfRangeException(nameof(TargetQuantile), TargetQuantile, "The target quantile must be in [0, 1].");
        if (!(LearningRate >= 0 && double.IsFinite(LearningRate))) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The clipping learning rate must be a finite number ≥ 0.");
        if (CountNoiseStdDev is double s && !(s >= 0 && double.IsFinite(s))) throw new ArgumentOutOfRangeException(nameof(CountNoiseStdDev), s, "The count noise must be a finite number ≥ 0.");
    }
}

/// <summary>
/// Central differential privacy with pfl-research's <c>GaussianMechanism</c> semantics: each user's
/// delta is scaled to L2 norm ≤ <see cref="ClippingBound"/> over all trainable parameters, and
/// Gaussian noise N(0, (z·C)²) is added to the sum of the clipped deltas (z =
/// <see cref="NoiseMultiplier"/>). A noise multiplier of 0 is norm clipping only.
/// </summary>
public sealed record CentralPrivacyOptions
{
    /// <summary>C: the L2 bound of one user's delta (the initial bound when adaptive).</summary>
    public double ClippingBound { get; init; } = 1.0;
    /// <summary>z: noise standard deviation relative to C. 0: clipping only.</summary>
    public double NoiseMultiplier { get; init; }
    /// <summary>
    /// pfl-research's <c>noise_cohort_size</c>: compute the noise as for a cohort of this size and
    /// scale it to the real one (std on the sum = z·C·cohort / noiseCohort), to simulate the
    /// signal-to-noise ratio of a large deployment with a small cohort. Null: the real cohort.
    /// </summary>
    public int? NoiseCohortSize { get; init; }
    /// <summary>When set, the bound adapts every iteration (<see cref="AdaptiveClippingOptions"/>).</summary>
    public AdaptiveClippingOptions? AdaptiveClipping { get; init; }
    /// <summary>Seed of the noise generator: separate from the sampling and data streams.</summary>
    public ulong NoiseSeed { get; init; } = 0x5EED_0F_D1F5;

    internal void Validate()
    {
        if (!(ClippingBound > 0 && double.IsFinite(ClippingBound))) throw new ArgumentOutOfRangeException(nameof(ClippingBound), ClippingBound, "The clipping bound must be a finite number > 0.");
        if (!(NoiseMultiplier >= 0 && double.IsFinite(NoiseMultiplier))) throw new ArgumentOutOfRangeException(nameof(NoiseMultiplier), NoiseMultiplier, "The noise multiplier must be a finite number ≥ 0.");
        if (NoiseCohortSize is int n && n <= 0) throw new ArgumentOutOfRangeException(nameof(NoiseCohortSize), n, "The noise cohort size must be positive.");
        AdaptiveClipping?.Validate();
    }
}

/// <summary>The whole configuration of a <see cref="FederatedSimulation"/>.</summary>
public sealed record FederatedOptions
{
    /// <summary>Fixed cohort: this many distinct users per iteration, drawn uniformly. Ignored when <see cref="SamplingRate"/> is set.</summary>
    public int CohortSize { get; init; } = 10;
    /// <summary>Poisson sampling: every user joins each iteration independently with this probability q.</summary>
    public double? SamplingRate { get; init; }
    /// <summary>Local training of each sampled user.</summary>
    public LocalTrainingOptions Local { get; init; } = new();
    /// <summary>
    /// The server's optimizer, applied to the pseudo-gradient −(aggregated delta): SGD with learning
    /// rate 1 (the default) is FedAvg; <see cref="Adam"/> is FedAdam. A fresh instance per simulation.
    /// </summary>
    public Optimizer? CentralOptimizer { get; init; }
    /// <summary>How deltas are weighted in the average. Central DP needs <see cref="FederatedWeighting.ByUser"/>.</summary>
    public FederatedWeighting Weighting { get; init; } = FederatedWeighting.ByDataPoints;
    /// <summary>What happens to BatchNorm running statistics.</summary>
    public BufferAggregation Buffers { get; init; } = BufferAggregation.Average;
    /// <summary>Central differential privacy, or null for none.</summary>
    public CentralPrivacyOptions? Privacy { get; init; }
    /// <summary>Seed of cohort sampling and of every user's data and dropout streams.</summary>
    public ulong Seed { get; init; }
    /// <summary>
    /// The simulation's thread budget: users train in parallel on up to this many workers (each with
    /// its own trainers), and each worker's trainers get an equal share of the budget for their kernels
    /// (<see cref="ITrainer.Threads"/> = Threads ÷ workers, at least 1; the simulation sets it, so a
    /// cap the factory set is replaced). With several workers that share is 1: nesting a kernel pool
    /// inside per-user parallelism only oversubscribes the cores. Results do not depend on it.
    /// </summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    internal void Validate(int population)
    {
        if (population <= 0) throw new ArgumentException("The population has no users.");
        if (SamplingRate is double q)
        {
            if (!(q > 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(SamplingRate), q, "The sampling rate must be in (0, 1].");
        }
        else if (CohortSize <= 0 || CohortSize > population)
            throw new ArgumentOutOfRangeException(nameof(CohortSize), CohortSize, $"The cohort size must be in 1..{population} (the population).");
        if (Threads <= 0) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "The thread count must be positive.");
        ArgumentNullException.ThrowIfNull(Local, nameof(Local));
        Local.Validate();
        Privacy?.Validate();
        if (Privacy is not null && Weighting != FederatedWeighting.ByUser)
            throw new ArgumentException("Central DP bounds each user's contribution, so it needs Weighting = ByUser (weighting by data points would scale a clipped delta past the bound).", nameof(Weighting));
    }

    /// <summary>The cohort size the noise and adaptive clipping are calibrated for: the fixed size, or q·N.</summary>
    internal double ExpectedCohortSize(int population) => SamplingRate is double q ? q * population : CohortSize;
}

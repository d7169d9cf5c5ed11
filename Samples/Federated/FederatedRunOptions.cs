using System.IO;

namespace FederatedSample;

/// <summary>
/// One run of the sample. The defaults are pfl-research's image-classification benchmark shape
/// (benchmarks/image_classification/configs/baseline.yaml): cohort 50, 1 local epoch, local batch 10,
/// local lr 0.1, central lr 1.0, users weighted equally, evaluation every 10 iterations; with DP,
/// ε = 2, δ = 1e-6, clipping bound 0.4, noise cohort 1000 and an accounting population of 10⁷
/// (its <c>--population</c> default). See docs/federated.md.
/// </summary>
public sealed class FederatedRunOptions
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the IDX files.</summary>
    public const string DefaultDataDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Central DP on (Gaussian mechanism, noise calibrated with the PLD accountant) or off.</summary>
    public bool Privacy { get; set; }
    /// <summary>Central iterations (default: 300, on Fashion-MNIST and on digits; ≈ 83.5 % and 95 % test accuracy without DP).</summary>
    public int? Iterations { get; set; }
    /// <summary>Central evaluation on the whole test set every this many iterations (and after the last).</summary>
    public int EvaluateEvery { get; set; } = 10;
    /// <summary>Users (default: 1,000 on Fashion-MNIST, 100 on the 1,347 training digits).</summary>
    public int? Users { get; set; }
    /// <summary>Dirichlet concentration of the users' class mixes.</summary>
    public double Alpha { get; set; } = 0.1;
    /// <summary>Users per iteration (default 50; 10 on digits).</summary>
    public int? CohortSize { get; set; }
    public int LocalEpochs { get; set; } = 1;
    public int LocalBatchSize { get; set; } = 10;
    public double LocalLearningRate { get; set; } = 0.1;
    public double CentralLearningRate { get; set; } = 1.0;
    public double Epsilon { get; set; } = 2.0;
    public double Delta { get; set; } = 1e-6;
    public double ClippingBound { get; set; } = 0.4;
    public int NoiseCohortSize { get; set; } = 1000;
    /// <summary>The deployed population the privacy accountant assumes (sampling rate = noise cohort ÷ this).</summary>
    public int AccountingPopulation { get; set; } = 10_000_000;
    /// <summary>Worker threads (default: all cores). Results do not depend on it.</summary>
    public int? Threads { get; set; }
    /// <summary>Seed of the partition, the cohorts and the users' streams.</summary>
    public ulong Seed { get; set; } = 0;
    /// <summary>Seed of the parameter initialisation.</summary>
    public int InitSeed { get; set; } = 1;
    /// <summary>Use the bundled digits even when Fashion-MNIST is installed.</summary>
    public bool UseDigits { get; set; }
    public string DataDirectory { get; set; } = DefaultDataDirectory;
    /// <summary>Where the CSV, the plot, the checkpoint and the package go (created if missing).</summary>
    public string OutputDirectory { get; set; } = "federated-output";
    /// <summary>Save a checkpoint every this many iterations (and after the last); 0: never.</summary>
    public int CheckpointEvery { get; set; } = 50;
    /// <summary>Continue from the run's checkpoint in <see cref="OutputDirectory"/> when there is one.</summary>
    public bool Resume { get; set; }
    /// <summary>Write the PNG plot (needs ScottPlot's native library).</summary>
    public bool Plot { get; set; } = true;
    /// <summary>Train on an Orleans cluster through these silo gateways (<c>HOST:PORT[,HOST:PORT…]</c>); null: in-process.</summary>
    public string? Cluster { get; set; }
    /// <summary>On a cluster, a worker call that takes longer is taken as a dead silo (its users are re-run elsewhere).</summary>
    public double CallTimeoutSeconds { get; set; } = 120;
    /// <summary>Progress and results (default: the console, with an in-place progress bar).</summary>
    public TextWriter? Output { get; set; }
}

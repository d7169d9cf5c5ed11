using System;
using System.Globalization;
using System.IO;
using TrainingGen.Federated;

namespace FederatedSample;

/// <summary>
/// The sample's timed mode (<c>--benchmark N</c>): the local-training throughput of the sample's
/// setting — Fashion-MNIST over 1,000 Dirichlet(0.1) users, cohort 50, one local epoch of batch 10 at
/// lr 0.1, FedAvg with central lr 1, no DP, no evaluation — over N iterations after a warm-up of at
/// least 2 iterations and 2 seconds.
/// tests/Benchmarks/pytorch/fedavg_throughput.py measures a plain PyTorch FedAvg loop on the same
/// setting; docs/benchmarks.md compares the two.
/// </summary>
public static class ThroughputBenchmark
{
    /// <summary>Timed figures: users and images trained per second of wall time, all workers together.</summary>
    public sealed record Figures(string DataSet, int Iterations, int Threads, long Users, long Images, double Seconds)
    {
        /// <summary>Silos used on a cluster run (0: in-process).</summary>
        public int Silos { get; init; }
        /// <summary>Mean network payload per iteration on a cluster run, in MB.</summary>
        public double PayloadMegabytes { get; init; }
        /// <summary>On a cluster: seconds the busiest silo trained, and the calls' wall time, summed over the timed iterations.</summary>
        public double SiloTrainSeconds { get; init; }
        public double CallSeconds { get; init; }
        public double UsersPerSecond => Users / Seconds;
        public double ImagesPerSecond => Images / Seconds;
        public string Line() => string.Create(CultureInfo.InvariantCulture,
            $"benchmark impl=traininggen data={DataSet} iterations={Iterations} threads={Threads} users_per_s={UsersPerSecond:F1} images_per_s={ImagesPerSecond:F0} seconds={Seconds:F2}" +
            $"{(Silos > 0 ? $" silos={Silos} payload_mb_per_iteration={PayloadMegabytes:F2} silo_train_s={SiloTrainSeconds:F2} call_s={CallSeconds:F2}" : "")}");
    }

    public static Figures Run(FederatedRunOptions options, int iterations)
    {
        if (iterations <= 0) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "The benchmark needs at least one iteration.");
        var s = FederatedRun.Load(options, TextWriter.Null);
        var users = Partition.Dirichlet(s.Train, options.Users ?? s.Users, options.Alpha, options.Seed);
        var simOptions = FederatedRun.SimulationOptions(options, s);
        int userCount = options.Users ?? s.Users;
        using var cluster = options.Cluster is null ? null : ClusterMode.Connect(options.Cluster, TimeSpan.FromSeconds(options.CallTimeoutSeconds));
        var workers = cluster is null ? null : ClusterMode.Workers(cluster, options, userCount);
        var sim = new FederatedSimulation(s.Factory, users, simOptions, workers: workers);
        // Warm-up: the workers' trainers (on a cluster, each silo's data), and the JIT: tiered compilation
        // moves the kernels' callers to optimised code in the background some time after their first
        // calls (later still on a loaded machine), so at least 2 iterations and 2 seconds.
        var warm = System.Diagnostics.Stopwatch.StartNew();
        for (int t = 0; t < 2 || warm.Elapsed.TotalSeconds < 2; t++) sim.RunIteration();
        long trained = 0, images = 0;
        double seconds = 0, payload = 0, siloTrain = 0, calls = 0;
        int silos = 0;
        for (int t = 0; t < iterations; t++)
        {
            var r = sim.RunIteration();
            trained += r.Users.Count; images += r.LocalImages; seconds += r.Seconds;
            if (workers?.Last is { } cs) { payload += cs.PayloadMegabytes; silos = Math.Max(silos, cs.Silos); siloTrain += cs.TrainSeconds; calls += cs.CallSeconds; }
        }
        return new Figures(s.Name, iterations, simOptions.Threads, trained, images, seconds) { Silos = silos, PayloadMegabytes = payload / iterations, SiloTrainSeconds = siloTrain, CallSeconds = calls };
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using TrainingGen;
using TrainingGen.Data;
using TrainingGen.Federated;
using TrainingGen.Federated.Privacy;
using TrainingGen.Optimizers;
using TrainingGen.Samples;

namespace FederatedSample;

/// <summary>
/// Federated learning of the LeNet on Fashion-MNIST split non-IID over 1,000 users (Dirichlet(0.1)),
/// through <see cref="FederatedSimulation"/>: per iteration a cohort of 50 users trains one local epoch
/// each, the server averages the deltas (and, with DP, clips them to 0.4 and adds calibrated Gaussian
/// noise). Evaluates the central model on the test set every k iterations, writes the metrics CSV, a
/// PNG plot, checkpoints, and the final central model as the next training package for devices.
/// Without Fashion-MNIST it runs on the bundled 8×8 digits (100 users, cohort 10).
/// </summary>
public static class FederatedRun
{
    /// <summary>True when the four Fashion-MNIST IDX files are in <paramref name="directory"/>.</summary>
    public static bool FashionMnistAvailable(string directory = FederatedRunOptions.DefaultDataDirectory) =>
        FashionFiles(directory).All(File.Exists);

    private static string[] FashionFiles(string dir) => new[]
    {
        Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"),
        Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"),
    };

    /// <summary>The data, the trainer factory and the defaults of the data set in use.</summary>
    internal sealed record Setting(string Name, IDataset Train, IDataset Test, Func<int, ITrainer> Factory, int Users, int CohortSize, int Iterations);

    internal static Setting Load(FederatedRunOptions o, TextWriter output)
    {
        if (!o.UseDigits && FashionMnistAvailable(o.DataDirectory))
        {
            var f = FashionFiles(o.DataDirectory);
            var train = IdxFile.LoadDataset(f[0], f[1]);
            var test = IdxFile.LoadDataset(f[2], f[3]);
            // Standardised with the training pixels' mean and standard deviation (as Samples/FashionMnist).
            double sum = 0, sq = 0;
            foreach (var v in train.Features) { sum += v; sq += (double)v * v; }
            double mean = sum / train.Features.Length, std = Math.Sqrt(sq / train.Features.Length - mean * mean);
            int seed = o.InitSeed;
            return new Setting("Fashion-MNIST", Standardise(train, mean, std), Standardise(test, mean, std),
                b => FederatedLeNet.CreateTrainer(b, seed), 1000, 50, 300);
        }
        if (!o.UseDigits)
            output.WriteLine($"Fashion-MNIST is not installed in {o.DataDirectory} (apt-get install dataset-fashion-mnist); using the bundled digits set instead.");
        var path = Digits.Locate();
        output.WriteLine($"Digits: {path} (UCI Optical Recognition of Handwritten Digits, CC BY 4.0, Alpaydin & Kaynak 1998).");
        var (dtrain, dtest) = Dataset.Split(Digits.Load(path, image: true), 0.25, 42);
        int dseed = o.InitSeed;
        return new Setting("digits", dtrain, dtest, b => FederatedDigitsCnn.CreateTrainer(b, dseed), 100, 10, 300);
    }

    private static InMemoryDataset Standardise(InMemoryDataset d, double mean, double std)
    {
        var x = d.Features;
        float m = (float)mean, inv = (float)(1 / std);
        for (int i = 0; i < x.Length; i++) x[i] = (x[i] - m) * inv;
        return new InMemoryDataset(x, new[] { 1, d.FeatureShape[0], d.FeatureShape[1] }, d.Labels, Array.Empty<int>());
    }

    /// <summary>The simulation's options for a run (no DP part: see <see cref="Run"/>).</summary>
    internal static FederatedOptions SimulationOptions(FederatedRunOptions o, Setting s) => new()
    {
        CohortSize = o.CohortSize ?? s.CohortSize,
        Local = new LocalTrainingOptions { BatchSize = o.LocalBatchSize, Epochs = o.LocalEpochs, LearningRate = o.LocalLearningRate },
        CentralOptimizer = new Sgd(new SgdOptions(o.CentralLearningRate)),
        Weighting = FederatedWeighting.ByUser,          // pfl-research's weight_by_samples: false
        Seed = o.Seed,
        Threads = o.Threads ?? Environment.ProcessorCount,
    };

    public static FederatedRunResult Run(FederatedRunOptions? options = null)
    {
        var o = options ?? new FederatedRunOptions();
        var output = o.Output ?? Console.Out;
        var c = CultureInfo.InvariantCulture;
        var total = Stopwatch.StartNew();
        var s = Load(o, output);
        int userCount = o.Users ?? s.Users, iterations = o.Iterations ?? s.Iterations;
        var users = Partition.Dirichlet(s.Train, userCount, o.Alpha, o.Seed);
        double loadSeconds = total.Elapsed.TotalSeconds;
        var simOptions = SimulationOptions(o, s);

        double z = 0;
        IPrivacyLedger? ledger = null;
        if (o.Privacy)
        {
            // pfl-research's gaussian_moments_accountant: the PLD accountant calibrates z for
            // `iterations` compositions at sampling rate noise cohort ÷ population, and the noise on
            // the sum is z·C·cohort/noise cohort (the mean then carries a 1,000-user cohort's noise).
            var accountant = new PldAccountant();
            double q = (double)o.NoiseCohortSize / o.AccountingPopulation;
            z = accountant.NoiseMultiplier(o.Epsilon, o.Delta, q, iterations);
            simOptions = simOptions with
            {
                Privacy = new CentralPrivacyOptions { ClippingBound = o.ClippingBound, NoiseMultiplier = z, NoiseCohortSize = o.NoiseCohortSize },
            };
            ledger = PrivacyLedger.For(accountant, simOptions, o.AccountingPopulation, o.Delta);
        }
        double calibrationSeconds = total.Elapsed.TotalSeconds - loadSeconds;
        // No ledger in the simulation: a PLD composition per iteration would cost more than the
        // training, so ε is computed where it is reported (with each evaluation and at the end).
        using var cluster = o.Cluster is null ? null : ClusterMode.Connect(o.Cluster, TimeSpan.FromSeconds(o.CallTimeoutSeconds));
        var workers = cluster is null ? null : ClusterMode.Workers(cluster, o, userCount);
        var sim = new FederatedSimulation(s.Factory, users, simOptions, workers: workers);
        string tag = o.Privacy ? "dp-on" : "dp-off";
        Directory.CreateDirectory(o.OutputDirectory);
        string csvPath = Path.Combine(o.OutputDirectory, $"federated-{tag}.csv");
        string plotPath = Path.Combine(o.OutputDirectory, $"federated-{tag}.png");
        string packagePath = Path.Combine(o.OutputDirectory, $"federated-{tag}.mlpackage");
        string checkpointPath = Path.Combine(o.OutputDirectory, $"federated-{tag}.ckpt");
        if (o.Resume && File.Exists(checkpointPath))
        {
            sim.LoadCheckpoint(checkpointPath);
            output.WriteLine($"Resumed from {checkpointPath} after {sim.Iteration} iterations.");
        }

        int parameters = sim.Model.Parameters.Sum(p => p.Value.Length);
        output.WriteLine(string.Create(c,
            $"{s.Name}: {s.Train.Count} training samples over {userCount} users (Dirichlet α {o.Alpha}), {s.Test.Count} test samples; " +
            $"{parameters:N0} parameters; cohort {simOptions.CohortSize}, {o.LocalEpochs} local epoch(s) of batch {o.LocalBatchSize} at lr {o.LocalLearningRate}, " +
            $"central SGD lr {o.CentralLearningRate}, {iterations} iterations, {(o.Cluster is null ? $"{simOptions.Threads} threads" : $"on the Orleans cluster at {o.Cluster}")}."));
        if (o.Privacy)
            output.WriteLine(string.Create(c,
                $"Central DP: ε {o.Epsilon}, δ {o.Delta}, clipping bound {o.ClippingBound}, noise cohort {o.NoiseCohortSize}, accounting population {o.AccountingPopulation:N0} " +
                $"(q = {(double)o.NoiseCohortSize / o.AccountingPopulation}); PLD-calibrated noise multiplier z = {z:F4} ({calibrationSeconds:F1} s), noise std on the mean {z * o.ClippingBound / o.NoiseCohortSize:G3}."));

        // Evaluation on a trainer with a large batch (a divisor of the test set, so every sample counts).
        int evalBatch = Enumerable.Range(1, Math.Min(500, s.Test.Count)).Reverse().First(b => s.Test.Count % b == 0);
        var evaluator = s.Factory(evalBatch);
        EvaluationResult Evaluate()
        {
            for (int i = 0; i < sim.Model.Parameters.Count; i++) sim.Model.Parameters[i].Value.AsSpan().CopyTo(evaluator.Parameters[i].Value);
            return Trainer.Evaluate(evaluator, s.Test);
        }

        var evaluations = new List<EvaluationPoint>();
        var progress = new FederatedProgressBar(output, interactive: o.Output is null && !Console.IsOutputRedirected);
        double trainSeconds = 0; long usersTrained = 0, images = 0;
        using (var log = FederatedMetricsLog.Open(csvPath, sim.Iteration))
        {
            while (sim.Iteration < iterations)
            {
                var r = sim.RunIteration();
                bool evaluate = sim.Iteration % o.EvaluateEvery == 0 || sim.Iteration == iterations;
                r = r with { Epsilon = ledger is null ? double.PositiveInfinity : evaluate ? ledger.Epsilon(sim.Iteration) : null };
                trainSeconds += r.Seconds; usersTrained += r.Users.Count; images += r.LocalImages;
                EvaluationResult? e = null;
                if (evaluate)
                {
                    var now = Evaluate();
                    e = now;
                    evaluations.Add(new EvaluationPoint(sim.Iteration, now.Loss, now.Accuracy ?? double.NaN, r.Epsilon));
                }
                log.Append(r, e?.Loss, e?.Accuracy);
                if (workers?.Last is { } cs)
                    output.WriteLine(string.Create(c, $"iteration {r.Iteration + 1}: {cs.Silos} silo(s), payload {cs.PayloadMegabytes:F2} MB" +
                        $"{(cs.RetriedBlocks > 0 ? $", {cs.RetriedBlocks} block(s) re-run after: {string.Join("; ", cs.Failures)}" : "")}"));
                progress.Report(r, iterations, e, usersTrained / trainSeconds, images / trainSeconds);
                if (o.CheckpointEvery > 0 && (sim.Iteration % o.CheckpointEvery == 0 || sim.Iteration == iterations))
                    sim.SaveCheckpoint(checkpointPath);
            }
        }
        EvaluationPoint final;
        if (evaluations.Count > 0 && evaluations[^1].Iteration == sim.Iteration) final = evaluations[^1];
        else
        {
            var last = Evaluate();   // a resumed run that had nothing left to do
            final = new EvaluationPoint(sim.Iteration, last.Loss, last.Accuracy ?? double.NaN, ledger?.Epsilon(sim.Iteration));
        }
        double epsilon = o.Privacy ? final.Epsilon ?? ledger!.Epsilon(sim.Iteration) : double.PositiveInfinity;

        // The next training package for the devices: the central model in the trainer's own package.
        sim.Model.ExportPackage(packagePath);
        string? plot = null;
        if (o.Plot)
        {
            MetricsPlot.Save(plotPath, $"{s.Name}, {userCount} users, cohort {simOptions.CohortSize}, " + (o.Privacy ? string.Create(c, $"central DP (ε {o.Epsilon}, δ {o.Delta})") : "no DP"),
                ReadAll(evaluations, csvPath), o.Privacy);
            plot = plotPath;
        }
        var result = new FederatedRunResult(s.Name, o.Privacy, userCount, simOptions.CohortSize, sim.Iteration, final.Accuracy, epsilon, z,
            trainSeconds > 0 ? usersTrained / trainSeconds : 0, trainSeconds > 0 ? images / trainSeconds : 0, total.Elapsed.TotalSeconds,
            evaluations, csvPath, plot, packagePath, checkpointPath);
        output.WriteLine(string.Create(c,
            $"{s.Name} {(o.Privacy ? "with" : "without")} DP: test accuracy {100 * result.Accuracy:F2}% after {result.Iterations} iterations, ε {(o.Privacy ? epsilon.ToString("F3", c) : "∞")}; " +
            $"{result.UsersPerSecond:F1} users/s, {result.ImagesPerSecond:F0} images/s; {result.Seconds:F1} s in all. Wrote {csvPath}, {plot ?? "(no plot)"}, {packagePath}."));
        return result;
    }

    /// <summary>The evaluations of the whole run, read back from the CSV (a resumed run's earlier ones included).</summary>
    private static IReadOnlyList<EvaluationPoint> ReadAll(IReadOnlyList<EvaluationPoint> fallback, string csvPath)
    {
        var points = new List<EvaluationPoint>();
        foreach (var line in File.ReadLines(csvPath).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length != 11 || f[5].Length == 0) continue;
            double? eps = f[6].Length == 0 || f[6] == "inf" ? null : double.Parse(f[6], CultureInfo.InvariantCulture);
            points.Add(new EvaluationPoint(int.Parse(f[0], CultureInfo.InvariantCulture) + 1,
                double.Parse(f[4], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture), eps));
        }
        return points.Count > 0 ? points : fallback;
    }
}

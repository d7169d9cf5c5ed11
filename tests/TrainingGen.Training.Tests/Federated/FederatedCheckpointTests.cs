using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Federated;
using TrainingGen.Optimizers;
using TrainingGen.Training.Tests.Models;
using static TrainingGen.Training.Tests.Federated.FederatedTestUtil;

namespace TrainingGen.Training.Tests.Federated;

/// <summary>A killed simulation resumes from its checkpoint bit-identically; bad checkpoints are refused; the metrics CSV survives a resume.</summary>
public class FederatedCheckpointTests : TempDirTest
{
    // Everything that carries state from one iteration to the next is on: FedAdam's moments and step
    // count, the adaptive clipping bound, DP noise, Poisson cohorts, shuffled local data, dropout masks.
    private static FederatedSimulation Make(ulong noiseSeed = 11) => new(b => DropoutNet.CreateTrainer(b, seed: 6),
        RegressionUsers(31, Enumerable.Range(0, 12).Select(u => 3 + 5 * u % 11).ToArray()), new FederatedOptions
        {
            SamplingRate = 0.5, Threads = 2, Seed = 9, Weighting = FederatedWeighting.ByUser,
            CentralOptimizer = new Adam(new AdamOptions(0.01)),
            Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 1, LearningRate = 0.05, Shuffle = true },
            Privacy = new CentralPrivacyOptions
            {
                ClippingBound = 0.3, NoiseMultiplier = 0.4, NoiseSeed = noiseSeed,
                AdaptiveClipping = new AdaptiveClippingOptions { TargetQuantile = 0.5, LearningRate = 0.3 },
            },
        });

    [Test]
    public void Two_iterations_saved_loaded_into_a_fresh_simulation_and_two_more_equal_four_in_one_go()
    {
        var straight = Make();
        var rs = straight.Run(4);

        var first = Make();
        first.Run(2);
        string path = Path.Combine(_dir, "run.ckpt");
        first.SaveCheckpoint(path);
        var resumed = Make();
        resumed.LoadCheckpoint(path);
        Assert.That(resumed.Iteration, Is.EqualTo(2));
        var rr = resumed.Run(2);

        Assert.That(Values(resumed.Model, p => true), Is.EqualTo(Values(straight.Model, p => true)), "bit-identical central model");
        Assert.That(rr.Select(r => r.Users), Is.EqualTo(rs.Skip(2).Select(r => r.Users)), "same cohorts and user updates");
        Assert.That(rr.Select(r => r.ClippingBound), Is.EqualTo(rs.Skip(2).Select(r => r.ClippingBound)), "same adaptive bound");
        Assert.That(resumed.ClippingBound, Is.EqualTo(straight.ClippingBound));
        Assert.That(rs.Sum(r => r.Users.Count), Is.GreaterThan(8), "the Poisson cohorts were not empty");

        // Without the checkpoint the fresh simulation would have started over: the test can tell.
        var fresh = Make();
        fresh.Run(2);
        Assert.That(MaxAbsDiff(Trainable(fresh.Model), Trainable(straight.Model)), Is.GreaterThan(1e-4));
    }

    [Test]
    public void A_checkpoint_of_another_run_or_a_damaged_one_is_refused_and_changes_nothing()
    {
        var sim = Make();
        sim.Run(1);
        string path = Path.Combine(_dir, "run.ckpt");
        sim.SaveCheckpoint(path);

        var other = Make(noiseSeed: 12);
        var before = Values(other.Model, p => true);
        Assert.That(() => other.LoadCheckpoint(path), Throws.TypeOf<CheckpointException>().With.Message.Contains("noise seed 11"));

        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 1;
        string damaged = Path.Combine(_dir, "damaged.ckpt");
        File.WriteAllBytes(damaged, bytes);
        Assert.That(() => other.LoadCheckpoint(damaged), Throws.TypeOf<CheckpointException>().With.Message.Contains("checksum"));
        File.WriteAllBytes(damaged, bytes.AsSpan(0, 40).ToArray());
        Assert.That(() => other.LoadCheckpoint(damaged), Throws.TypeOf<CheckpointException>());
        Assert.That(Values(other.Model, p => true), Is.EqualTo(before));
        Assert.That(other.Iteration, Is.EqualTo(0));

        string notes = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(notes, "keep me");
        Assert.That(() => sim.SaveCheckpoint(notes), Throws.TypeOf<OverwriteRefusedException>());
        Assert.That(File.ReadAllText(notes), Is.EqualTo("keep me"));
    }

    [Test]
    public void The_metrics_log_keeps_each_iteration_once_across_a_resume()
    {
        string path = Path.Combine(_dir, "metrics.csv");
        var sim = Make();
        using (var log = FederatedMetricsLog.Open(path))
            foreach (var r in sim.Run(3)) log.Append(r, r.Iteration == 1 ? 0.5 : null, r.Iteration == 1 ? 0.75 : null);
        File.AppendAllText(path, "3,7,12,0.1");   // a torn row of a killed process

        using (var log = FederatedMetricsLog.Open(path, firstIteration: 2))   // resumed from a checkpoint after 2 iterations
        {
            var again = Make();
            again.Run(2);
            log.Append(again.RunIteration());
        }
        var lines = File.ReadAllLines(path);
        Assert.That(lines[0], Is.EqualTo(FederatedMetricsLog.Header));
        Assert.That(lines.Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "0", "1", "2" }));
        Assert.That(lines.Skip(1).Select(l => l.Split(',').Length), Is.All.EqualTo(11));
        var row1 = lines[2].Split(',');
        Assert.That((row1[4], row1[5]), Is.EqualTo(("0.5", "0.75")), "test loss and accuracy of the evaluated iteration");
        Assert.That(double.Parse(row1[8], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0), "seconds");
        Assert.That(lines[1].Split(',')[4], Is.Empty, "no evaluation: empty");

        string notes = Path.Combine(_dir, "notes.csv");
        File.WriteAllText(notes, "a,b\n1,2\n");
        Assert.That(() => FederatedMetricsLog.Open(notes), Throws.TypeOf<OverwriteRefusedException>());
    }
}

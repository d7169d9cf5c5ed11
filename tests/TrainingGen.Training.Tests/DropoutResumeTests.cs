using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using NUnit.Framework;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// Checkpoints carry the dropout generator: resuming a model with Dropout is bit-identical to an
/// uninterrupted run, in a hand-written loop and in Fit. Version-1 checkpoints (no random streams)
/// are still read.
/// </summary>
public class DropoutResumeTests : TempDirTest
{
    [Test]
    public void A_manual_loop_resumed_from_a_checkpoint_is_bit_identical()
    {
        // The same seed for the resumed trainer: without the saved stream its masks would restart
        // from the seed's first draws rather than continue from step k's.
        var (straight, resumed, path) = TestUtil.StraightAndResumed(seed => DropoutNet.CreateTrainer(4, seed), seed: 3, resumedSeed: 3, k: 7, n: 20, _dir);
        Assert.That(Checkpoint.Read(path).RandomStreams.Select(r => r.Name), Is.EqualTo(new[] { "dropout" }));
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(resumed), TestUtil.Snapshot(straight)), Is.True);
        Assert.That(resumed.RandomStreams[0].Generator.State, Is.EqualTo(straight.RandomStreams[0].Generator.State));
    }

    [TestCase(5)]
    [TestCase(10)]   // exactly at an epoch boundary
    public void Fit_resumed_from_a_checkpoint_is_bit_identical(int k)
    {
        var data = TestUtil.RegressionData(40, 5);          // 10 steps of 4 per epoch
        FitOptions Options(string? checkpoint, string? resume, long? max) => new()
        {
            Epochs = 3, ShuffleSeed = 9, CheckpointPath = checkpoint, ResumeFrom = resume, MaxSteps = max,
        };
        var straight = DropoutNet.CreateTrainer(4, seed: 1);
        Trainer.Fit(straight, data, Options(null, null, null));

        string path = Path.Combine(_dir, "fit.ckpt");
        Trainer.Fit(DropoutNet.CreateTrainer(4, seed: 1), data, Options(path, null, k));
        var resumed = DropoutNet.CreateTrainer(4, seed: 1);
        var rest = Trainer.Fit(resumed, data, Options(null, path, null));

        Assert.That(rest.Steps, Is.EqualTo(30 - k));
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(resumed), TestUtil.Snapshot(straight)), Is.True);
    }

    /// <summary>Rewrites a version-2 checkpoint without random streams as the version-1 file an older build wrote.</summary>
    private static void DowngradeToVersion1(string path, int streamTableOffset)
    {
        var all = File.ReadAllBytes(path);
        var b = all.Take(all.Length - 32).ToList();
        Assert.That(BitConverter.ToUInt32(b.ToArray(), streamTableOffset), Is.EqualTo(0u), "an empty stream table");
        b.RemoveRange(streamTableOffset, 4);
        b[8] = 1;
        var v1 = b.ToArray();
        File.WriteAllBytes(path, v1.Concat(SHA256.HashData(v1)).ToArray());
    }

    [Test]
    public void A_version_1_checkpoint_is_still_loaded()
    {
        var t = SgdNet.CreateTrainer(2, seed: 4);
        TestUtil.RegressionSteps(t, new Rng(2), 3);
        string path = Path.Combine(_dir, "v1.ckpt");
        Checkpoint.Save(path, t);
        // magic 8 · version 4 · reserved 4 · step 8 · lr 4 · "sgd" 2+3 · has-state 1 → the stream table
        DowngradeToVersion1(path, 8 + 4 + 4 + 8 + 4 + 2 + 3 + 1);

        var c = Checkpoint.Read(path);
        Assert.That((c.Version, c.RandomStreams.Count, c.StepCount), Is.EqualTo((1, 0, 3L)));
        var loaded = SgdNet.CreateTrainer(2, seed: 99);
        Checkpoint.Load(path, loaded);
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(loaded), TestUtil.Snapshot(t)), Is.True);
    }

    [Test]
    public void A_random_stream_the_trainer_does_not_have_is_named()
    {
        var t = DropoutNet.CreateTrainer(2);
        string path = Path.Combine(_dir, "d.ckpt");
        Checkpoint.Save(path, t);
        // the same tensors, but no random stream (a trainer of another build of the model)
        var noStreams = new FakeTrainer(DropoutNet.CreateTrainer(2, seed: 5), t.Parameters, t.OptimizerState);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, noStreams))!;
        Assert.That(e.Message, Does.Contain("random stream 'dropout' is unexpected"));
    }
}

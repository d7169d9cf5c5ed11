using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>Checkpoints: bit-identical resume (manual loop and Fit), clear errors, atomic writes.</summary>
public class CheckpointTests : TempDirTest
{
    [Test]
    public void Resume_at_step_k_continues_bit_identically()
    {
        var (straight, resumed, path) = TestUtil.StraightAndResumed(seed => AmsGradNet.CreateTrainer(3, seed), seed: 4, resumedSeed: 99, k: 12, n: 30, _dir);
        Assert.That(Checkpoint.Read(path).State, Is.Null, "no Fit state was saved");
        Assert.That(resumed.StepCount, Is.EqualTo(30));
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(resumed), TestUtil.Snapshot(straight)), Is.True);
    }

    [Test]
    public void File_has_the_versioned_header_names_shapes_and_checksum()
    {
        var t = AdamNet.CreateTrainer(2, seed: 1);
        TestUtil.RegressionSteps(t, new Rng(2), 3);
        string path = Path.Combine(_dir, "a.ckpt");
        Checkpoint.Save(path, t, new TrainingState { Epoch = 2, BatchInEpoch = 5, SchedulePosition = 7, ShuffleSeed = 123 });
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Take(8), Is.EqualTo("TGCKPT\r\n"u8.ToArray()));
        Assert.That(BitConverter.ToUInt32(bytes, 8), Is.EqualTo(3u), "version");
        var c = Checkpoint.Read(path);
        Assert.That(c.Version, Is.EqualTo(3));
        Assert.That(c.RandomStreams, Is.Empty, "AdamNet has no dropout");
        Assert.That(c.OptimizerKind, Is.EqualTo("adam"));
        Assert.That(c.StepCount, Is.EqualTo(3));
        Assert.That(c.State!.ShuffleSeed, Is.EqualTo(123UL));
        Assert.That((c.State.Epoch, c.State.BatchInEpoch, c.State.SchedulePosition), Is.EqualTo((2, 5, 7L)));
        Assert.That(c.Tensors.Select(x => x.Name), Is.EqualTo(t.Parameters.Select(p => p.Name).Concat(t.OptimizerState.Select(s => s.Name))));
        Assert.That(c.Tensors.First(x => x.Name == "backend.linear_2.weight.exp_avg_sq").Shape, Is.EqualTo(new[] { 3, 1 }));
        Assert.That(c.Tensors.Single(x => x.Name == "backend.linear_1.weight").Values, Is.EqualTo(t.Parameters[0].Value));
        var sha = System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32));
        Assert.That(bytes.Skip(bytes.Length - 32), Is.EqualTo(sha), "the last 32 bytes are the SHA-256 of the rest");
    }

    private static FitOptions FitOptionsFor(string? checkpoint, string? resume, long? maxSteps, InMemoryDataset validation, LearningRateSchedule schedule) => new()
    {
        Epochs = 3, ShuffleSeed = 42, Validation = validation, Schedule = schedule, ClipGradNorm = 1.0, AccumulationSteps = 2,
        EarlyStopping = new EarlyStopping(5), CheckpointPath = checkpoint, ResumeFrom = resume, MaxSteps = maxSteps,
    };

    [TestCase(false, 10)]
    [TestCase(true, 10)]
    [TestCase(true, 7)]    // exactly at an epoch boundary
    public void Fit_resumed_from_a_checkpoint_equals_an_uninterrupted_run_bit_for_bit(bool stepSchedule, int k)
    {
        var data = TestUtil.RegressionData(59, 5);          // 14 full batches of 4 → 7 steps of 2 micro-batches per epoch
        var validation = TestUtil.RegressionData(12, 6);
        LearningRateSchedule Schedule() => stepSchedule ? new OneCycleLR(0.05, 21) : new StepLR(1, 0.5);

        var straight = AdamNet.CreateTrainer(4, seed: 3);
        var full = Trainer.Fit(straight, data, FitOptionsFor(null, null, null, validation, Schedule()));
        Assert.That(full.Steps, Is.EqualTo(21));

        string path = Path.Combine(_dir, "fit.ckpt");
        var first = AdamNet.CreateTrainer(4, seed: 3);
        var part1 = Trainer.Fit(first, data, FitOptionsFor(path, null, k, validation, Schedule()));
        Assert.That(part1.Steps, Is.EqualTo(k));
        Assert.That(File.Exists(path));

        var resumed = AdamNet.CreateTrainer(4, seed: 77);
        var part2 = Trainer.Fit(resumed, data, FitOptionsFor(null, path, null, validation, Schedule()));
        Assert.That(part2.Steps, Is.EqualTo(21 - k));
        Assert.That(resumed.StepCount, Is.EqualTo(straight.StepCount));
        Assert.That(resumed.LearningRate, Is.EqualTo(straight.LearningRate));
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(resumed), TestUtil.Snapshot(straight)), Is.True, "parameters and optimizer state");
        // the epochs finished after the resume report exactly what the uninterrupted run reported
        var last = part2.Epochs[^1];
        Assert.That(last, Is.EqualTo(full.Epochs[^1] with { Seconds = last.Seconds }));
    }

    [Test]
    public void Resuming_with_a_different_shuffle_seed_is_refused()
    {
        var data = TestUtil.RegressionData(40, 1);
        string path = Path.Combine(_dir, "s.ckpt");
        Trainer.Fit(SgdNet.CreateTrainer(4), data, new FitOptions { Epochs = 2, ShuffleSeed = 1, MaxSteps = 3, CheckpointPath = path });
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(SgdNet.CreateTrainer(4), data, new FitOptions { Epochs = 2, ShuffleSeed = 2, ResumeFrom = path }))!;
        Assert.That(e.Message, Does.Contain("shuffle seed 1"));
    }

    // ---- errors ----

    private string SaveTrained(ITrainer t, string name = "good.ckpt")
    {
        TestUtil.RegressionSteps(t, new Rng(3), 2);
        string path = Path.Combine(_dir, name);
        Checkpoint.Save(path, t);
        return path;
    }

    /// <summary>Loading <paramref name="path"/> into <paramref name="target"/> fails with a CheckpointException and leaves the trainer untouched.</summary>
    private static CheckpointException LoadFails(string path, ITrainer target)
    {
        var before = TestUtil.Snapshot(target);
        long step = target.StepCount; float lr = target.LearningRate;
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, target))!;
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(target), before), Is.True, "the trainer must not change");
        Assert.That((target.StepCount, target.LearningRate), Is.EqualTo((step, lr)));
        TestContext.Out.WriteLine(e.Message);
        return e;
    }

    [Test]
    public void Wrong_magic_is_reported()
    {
        string path = Path.Combine(_dir, "x.ckpt");
        File.WriteAllText(path, "definitely not a checkpoint file at all, just text padding padding");
        var e = LoadFails(path, AdamNet.CreateTrainer(2));
        Assert.That(e.Message, Does.Contain("not a TrainingGen checkpoint").And.Contain("magic"));
        Assert.That(e.TensorName, Is.Null);
    }

    [Test]
    public void Unsupported_version_is_reported()
    {
        string path = SaveTrained(AdamNet.CreateTrainer(2));
        var bytes = File.ReadAllBytes(path);
        bytes[8] = 9;
        File.WriteAllBytes(path, bytes);
        Assert.That(LoadFails(path, AdamNet.CreateTrainer(2)).Message, Does.Contain("unsupported format version 9"));
    }

    [Test]
    public void Truncation_names_the_tensor_being_read()
    {
        var t = AdamNet.CreateTrainer(2);
        string path = SaveTrained(t);
        var bytes = File.ReadAllBytes(path);
        // cut inside the data of the last tensor (backend.linear_2.bias.exp_avg_sq: 3 floats) and drop the checksum
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 32 - 6).ToArray());
        var e = LoadFails(path, AdamNet.CreateTrainer(2));
        Assert.That(e.TensorName, Is.EqualTo("backend.linear_2.bias.exp_avg_sq"));
        Assert.That(e.Message, Does.Contain("truncated"));
        // cut inside the checksum only
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 5).ToArray());
        Assert.That(LoadFails(path, AdamNet.CreateTrainer(2)).Message, Does.Contain("checksum").And.Contain("incomplete"));
    }

    [Test]
    public void A_flipped_byte_fails_the_checksum()
    {
        string path = SaveTrained(AdamNet.CreateTrainer(2));
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length - 40] ^= 0x10;     // inside the last tensor's values
        File.WriteAllBytes(path, bytes);
        Assert.That(LoadFails(path, AdamNet.CreateTrainer(2)).Message, Does.Contain("checksum mismatch"));
    }

    [Test]
    public void Another_optimizer_is_reported()
    {
        string path = SaveTrained(AdamNet.CreateTrainer(2));
        Assert.That(LoadFails(path, AdamWNet.CreateTrainer(2)).Message, Does.Contain("optimizer 'adam'").And.Contain("'adamw'"));
    }

    [Test]
    public void Missing_tensor_is_named()
    {
        var t = AdamNet.CreateTrainer(2);
        TestUtil.RegressionSteps(t, new Rng(1), 1);
        var fake = new FakeTrainer(t, t.Parameters.Take(3).ToList(), t.OptimizerState);
        string path = Path.Combine(_dir, "m.ckpt");
        Checkpoint.Save(path, fake);
        var e = LoadFails(path, AdamNet.CreateTrainer(2));
        Assert.That(e.TensorName, Is.EqualTo("backend.linear_2.bias"));
        Assert.That(e.Message, Does.Contain("missing"));
    }

    [Test]
    public void Extra_tensor_is_named()
    {
        var t = AdamNet.CreateTrainer(2);
        var extra = new TrainerTensor("backend.linear_3.weight", "backend_linear_3_weight", new[] { 2, 2 }, true, new float[4], new float[4]);
        var fake = new FakeTrainer(t, t.Parameters.Append(extra).ToList(), t.OptimizerState);
        string path = Path.Combine(_dir, "e.ckpt");
        Checkpoint.Save(path, fake);
        var e = LoadFails(path, AdamNet.CreateTrainer(2));
        Assert.That(e.TensorName, Is.EqualTo("backend.linear_3.weight"));
        Assert.That(e.Message, Does.Contain("unexpected"));
    }

    [Test]
    public void Shape_mismatch_names_the_tensor_and_both_shapes_and_nothing_is_loaded()
    {
        var t = AdamNet.CreateTrainer(2, seed: 5);
        TestUtil.RegressionSteps(t, new Rng(1), 2);
        var ps = t.Parameters.ToList();
        var last = ps[3];
        ps[3] = last with { Shape = new[] { 1, 3 } };   // same values, other shape; the first three tensors are fine
        string path = Path.Combine(_dir, "s.ckpt");
        Checkpoint.Save(path, new FakeTrainer(t, ps, t.OptimizerState));
        var e = LoadFails(path, AdamNet.CreateTrainer(2, seed: 6));
        Assert.That(e.TensorName, Is.EqualTo("backend.linear_2.bias"));
        Assert.That(e.Message, Does.Contain("[1, 3]").And.Contain("[3]").And.Contain("shape mismatch"));
    }

    [Test]
    public void Missing_file_is_a_clear_error() =>
        Assert.That(Assert.Throws<CheckpointException>(() => Checkpoint.Load(Path.Combine(_dir, "none.ckpt"), AdamNet.CreateTrainer(2)))!.Message,
            Does.Contain("does not exist"));

    // ---- atomic writes ----

    [Test]
    public void A_failed_write_keeps_the_previous_checkpoint_and_leaves_no_temporary_file()
    {
        var t = AdamNet.CreateTrainer(2);
        string path = SaveTrained(t, "keep.ckpt");
        var before = File.ReadAllBytes(path);
        // a tensor whose buffer disagrees with its shape makes Save throw after part of the file is written
        var ps = t.Parameters.ToList();
        ps[2] = ps[2] with { Shape = new[] { 5, 5 } };
        TestUtil.RegressionSteps(t, new Rng(9), 1);
        Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(path, new FakeTrainer(t, ps, t.OptimizerState)));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { path }), "no temporary files left behind");
        Assert.DoesNotThrow(() => Checkpoint.Load(path, AdamNet.CreateTrainer(2)));
    }

    [Test]
    public void Writing_over_a_directory_fails_and_keeps_it()
    {
        string dir = Path.Combine(_dir, "run.ckpt");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "keep me");
        Assert.That(Assert.Throws<OverwriteRefusedException>(() => Checkpoint.Save(dir, AdamNet.CreateTrainer(2)))!.Message, Does.Contain("is a directory"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "notes.txt")), Is.EqualTo("keep me"));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public void Writing_over_a_file_that_is_not_a_checkpoint_is_refused_and_keeps_it()
    {
        string notes = Path.Combine(_dir, "notes.ckpt");
        File.WriteAllText(notes, "keep me");
        var e = Assert.Throws<OverwriteRefusedException>(() => Checkpoint.Save(notes, AdamNet.CreateTrainer(2)))!;
        Assert.That(e.Message, Does.Contain(notes).And.Contain("not a TrainingGen checkpoint"));
        Assert.That(File.ReadAllText(notes), Is.EqualTo("keep me"));

        string weights = Path.Combine(_dir, "w.safetensors");
        SafeTensors.Export(weights, AdamNet.CreateTrainer(2));
        var before = File.ReadAllBytes(weights);
        Assert.Throws<OverwriteRefusedException>(() => Checkpoint.Save(weights, AdamNet.CreateTrainer(2)));
        Assert.That(File.ReadAllBytes(weights), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir).Length, Is.EqualTo(2), "no temporary files");
    }

    [Test]
    public void Temporary_files_of_dead_writers_are_removed_by_the_next_save()
    {
        string path = Path.Combine(_dir, "run.ckpt");
        string Litter(string suffix) { string p = Path.Combine(_dir, $".run.ckpt.{suffix}"); File.WriteAllBytes(p, new byte[100]); return p; }
        string legacy = Litter($"{Guid.NewGuid():N}.tmp");                       // the name main wrote
        string dead = Litter($"tmp-2147483647-{Guid.NewGuid():N}");            // above any pid_max
        string live = Litter($"tmp-{Environment.ProcessId}-{Guid.NewGuid():N}"); // a save in progress
        string unrelated = Litter("backup");
        Checkpoint.Save(path, AdamNet.CreateTrainer(2));
        Assert.That(File.Exists(legacy) || File.Exists(dead), Is.False);
        Assert.That(File.Exists(live) && File.Exists(unrelated), Is.True);
    }

    [Test]
    public void A_negative_or_non_finite_learning_rate_in_the_file_is_reported()
    {
        foreach (float lr in new[] { -1f, float.NaN })
        {
            string path = SaveTrained(AdamNet.CreateTrainer(2), $"lr{lr}.ckpt");
            var all = File.ReadAllBytes(path);
            var body = all.AsSpan(0, all.Length - 32).ToArray();
            BitConverter.TryWriteBytes(body.AsSpan(8 + 4 + 4 + 8), lr);   // magic · version · reserved · step → the learning rate
            File.WriteAllBytes(path, body.Concat(System.Security.Cryptography.SHA256.HashData(body)).ToArray());
            Assert.That(LoadFails(path, AdamNet.CreateTrainer(2)).Message, Does.Contain("is not a finite non-negative number"));
        }
    }
}

using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// Non-finite values: Fit and the session stop at the step whose loss (or gradient norm) is not
/// finite, before its update; no checkpoint, safetensors or package is written with NaN/∞
/// parameters unless asked; a learning rate must be finite and ≥ 0.
/// </summary>
public class DivergenceTests : TempDirTest
{
    /// <summary>RegressionData(40, 1) with feature <paramref name="element"/> of sample <paramref name="sample"/> set to NaN.</summary>
    private static InMemoryDataset DataWithNaN(int sample, int element)
    {
        var clean = TestUtil.RegressionData(40, 1);
        var x = new float[40 * 2]; var y = new float[40 * 3];
        for (int i = 0; i < 40; i++) clean.CopySample(i, x.AsSpan(2 * i, 2), y.AsSpan(3 * i, 3));
        x[2 * sample + element] = float.NaN;
        return new InMemoryDataset(x, new[] { 2 }, y, new[] { 3 });
    }

    [Test]
    public void Fit_stops_at_the_step_with_a_NaN_input_naming_it_and_keeps_the_last_good_checkpoint()
    {
        // Batches of 4 in data order: sample 13 is in batch 3, so step 4 is the first to see the NaN.
        var data = DataWithNaN(sample: 13, element: 1);
        string ckpt = Path.Combine(_dir, "run.ckpt");
        var t = SgdNet.CreateTrainer(4, seed: 2);
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(t, data, new FitOptions { Epochs = 2, CheckpointPath = ckpt, CheckpointEvery = 1 }))!;
        TestContext.Out.WriteLine(e.Message);

        Assert.That((e.Step, e.Epoch, e.BatchInEpoch, e.Quantity), Is.EqualTo((4L, 0, 3, "loss")));
        Assert.That(double.IsNaN(e.Value));
        Assert.That(e.FirstNonFinite, Is.EqualTo(new NonFiniteValue("input 'x'", 3, float.NaN)), "sample 13 is row 1 of its batch: element 2·1 + 1");
        Assert.That(e.Message, Does.Contain("step 4 (epoch 0, batch 3 of the epoch)").And.Contain("the loss is NaN").And.Contain("input 'x' holds NaN at element 3"));

        // The update of step 4 was not applied: the trainer equals an untroubled run of 3 steps.
        var reference = SgdNet.CreateTrainer(4, seed: 2);
        Trainer.Fit(reference, TestUtil.RegressionData(40, 1), new FitOptions { Epochs = 2, MaxSteps = 3 });
        Assert.That(t.StepCount, Is.EqualTo(3));
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(t), TestUtil.Snapshot(reference)), Is.True);
        // and the checkpoint is the one of step 3, every value finite
        var c = Checkpoint.Read(ckpt);
        Assert.That(c.StepCount, Is.EqualTo(3));
        Assert.That(c.Tensors.SelectMany(x => x.Values).All(float.IsFinite));
    }

    [Test]
    public void The_session_API_checks_each_step_too()
    {
        var session = Trainer.CreateSession(SgdNet.CreateTrainer(4), DataWithNaN(sample: 5, element: 0));
        Assert.That(session.RunStep(), Is.True);
        var e = Assert.Throws<TrainingDivergedException>(() => session.RunStep())!;
        Assert.That((e.Step, e.BatchInEpoch), Is.EqualTo((2L, 1)));
        Assert.That(e.FirstNonFinite!.Value.Tensor, Is.EqualTo("input 'x'"));
    }

    [Test]
    public void With_clipping_an_infinite_gradient_under_a_finite_loss_stops_before_the_update()
    {
        var inner = AdamNet.CreateTrainer(4, seed: 1);
        var t = new SabotagedTrainer(inner, atStep: 3, afterGradients: x => x.Parameters[0].Gradient![1] = float.PositiveInfinity);
        var reference = AdamNet.CreateTrainer(4, seed: 1);
        Trainer.Fit(reference, TestUtil.RegressionData(40, 1), new FitOptions { ClipGradNorm = 1.0, MaxSteps = 2 });

        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(t, TestUtil.RegressionData(40, 1), new FitOptions { ClipGradNorm = 1.0 }))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That((e.Step, e.Quantity), Is.EqualTo((3L, "gradient norm")));
        Assert.That(e.FirstNonFinite, Is.EqualTo(new NonFiniteValue("the gradient of 'backend.linear_1.weight'", 1, float.PositiveInfinity)));
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(inner), TestUtil.Snapshot(reference)), Is.True, "the update of step 3 was not applied");
    }

    [Test]
    public void A_non_finite_state_never_overwrites_the_checkpoint()
    {
        // The loss of step 3 is finite, but its update leaves a NaN (e.g. an overflowing gradient without clipping).
        var inner = SgdNet.CreateTrainer(4, seed: 1);
        var t = new SabotagedTrainer(inner, atStep: 3, afterUpdate: x => x.Parameters[2].Value[1] = float.NaN);
        string ckpt = Path.Combine(_dir, "run.ckpt");
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(t, TestUtil.RegressionData(40, 1), new FitOptions { CheckpointPath = ckpt, CheckpointEvery = 1 }))!;
        Assert.That((e.Step, e.Quantity), Is.EqualTo((3L, "state")));
        Assert.That(e.FirstNonFinite, Is.EqualTo(new NonFiniteValue("parameter 'backend.linear_2.weight'", 1, float.NaN)));
        Assert.That(e.Message, Does.Contain($"the checkpoint '{ckpt}' was not overwritten"));
        Assert.That(Checkpoint.Read(ckpt).StepCount, Is.EqualTo(2));
    }

    [Test]
    public void Checkpoint_Save_refuses_non_finite_state_unless_allowed()
    {
        var t = AdamNet.CreateTrainer(2);
        string path = Path.Combine(_dir, "a.ckpt");
        Checkpoint.Save(path, t);
        var good = File.ReadAllBytes(path);
        t.OptimizerState[1].Value[0] = float.NegativeInfinity;
        var e = Assert.Throws<NonFiniteValueException>(() => Checkpoint.Save(path, t))!;
        Assert.That(e.First.Tensor, Is.EqualTo($"optimizer state '{t.OptimizerState[1].Name}'"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(good));
        Checkpoint.Save(path, t, allowNonFinite: true);
        Assert.That(Checkpoint.Read(path).Tensors.Single(x => x.Name == t.OptimizerState[1].Name).Values[0], Is.EqualTo(float.NegativeInfinity));
    }

    [Test]
    public void ExportPackage_and_ExportInferencePackage_refuse_non_finite_parameters_unless_allowed()
    {
        var t = SgdNet.CreateTrainer(2);
        string pkg = Path.Combine(_dir, "m.mlpackage"), inference = Path.Combine(_dir, "i.mlpackage");
        t.Parameters[1].Value[0] = float.NaN;
        var e = Assert.Throws<NonFiniteValueException>(() => t.ExportPackage(pkg))!;
        Assert.That(e.Message, Does.Contain(pkg).And.Contain("parameter 'backend.linear_1.bias' holds NaN at element 0"));
        Assert.Throws<NonFiniteValueException>(() => ((ITrainer)t).ExportInferencePackage(inference));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty, "nothing written");
        t.ExportPackage(pkg, allowNonFinite: true);
        t.ExportInferencePackage(inference, allowNonFinite: true);
        Assert.That(Directory.Exists(pkg) && Directory.Exists(inference));
    }

    [Test]
    public void A_hand_written_loop_checks_with_NonFinite_Find()
    {
        // trainer.Step stays branch-free: it returns the NaN loss and applies the update.
        var t = SgdNet.CreateTrainer(1);
        Assert.That(NonFinite.Find(t), Is.Null);
        float loss = t.Step(new Tensor(new[] { 1, 2 }, new[] { float.NaN, 0f }), new Tensor(1, 3));
        Assert.That(float.IsNaN(loss));
        Assert.That(NonFinite.Find(t)!.Value.Tensor, Is.EqualTo("parameter 'backend.linear_1.weight'"));
    }

    [TestCase(-0.1f)]
    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(float.NegativeInfinity)]
    public void A_negative_or_non_finite_learning_rate_is_out_of_range(float lr)
    {
        ITrainer t = SgdNet.CreateTrainer(2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.LearningRate = lr)!;
        Assert.That(e.Message, Does.Contain("finite number ≥ 0"));
        Assert.That(t.LearningRate, Is.EqualTo(0.01f), "unchanged");
        t.LearningRate = 0f;
        Assert.That(t.LearningRate, Is.EqualTo(0f));
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;
using TrainingGen.Tests.Models.OpChecks;

namespace TrainingGen.Tests;

/// <summary>Dropout: seeded masks in training, identity in eval, masks as package inputs.</summary>
public class DropoutTests
{
    private static (DropoutCheck.Trainer Trainer, Tensor Proj) Setup(int seed)
    {
        var t = DropoutCheck.CreateTrainer(1, seed);
        return (t, TestUtil.RandomTensor(new Rng(9), 4, 50));
    }

    [Test]
    public void Training_applies_an_inverted_mask_and_the_gradient_is_masked_alike()
    {
        var (t, w) = Setup(1);
        float loss = t.ComputeGradients(w);
        var mask = t.DropoutMasks[0];
        float keep = 1f / 0.7f;
        Assert.That(mask.All(m => m == 0f || m == keep), Is.True, "mask entries are 0 or 1/(1 - p)");
        int dropped = mask.Count(m => m == 0f);
        Assert.That(dropped, Is.InRange(35, 85), "about 30 % of 200 dropped");
        var p = t.Parameters[0].Value;
        double expected = Enumerable.Range(0, 200).Sum(i => (double)p[i] * mask[i] * w.Data[i]);
        Assert.That(loss, Is.EqualTo(expected).Within(1e-4));
        for (int i = 0; i < 200; i++)
            Assert.That(t.Parameters[0].Gradient![i], Is.EqualTo(w.Data[i] * mask[i]).Within(1e-6), $"gradient {i}");
    }

    [Test]
    public void Eval_mode_passes_values_through()
    {
        var (t, w) = Setup(2);
        t.Evaluate(w);
        Assert.That(t.Y.Data, Is.EqualTo(t.Parameters[0].Value));
        Assert.That(t.IsTraining, Is.False);
    }

    [Test]
    public void Masks_are_seeded_and_change_from_step_to_step()
    {
        var (a, w) = Setup(3);
        var (b, _) = Setup(3);
        a.ComputeGradients(w); b.ComputeGradients(w);
        var first = a.DropoutMasks[0].ToArray();
        Assert.That(b.DropoutMasks[0], Is.EqualTo(first), "same seed, same mask");
        a.ComputeGradients(w);
        Assert.That(a.DropoutMasks[0], Is.Not.EqualTo(first), "a new mask each step");
    }

    [Test]
    public void Manifest_gives_each_mask_input_its_probability_so_an_app_can_draw_it()
    {
        var spec = DropoutCheck.CreateTrainer(1, 0).BuildPackage();
        string json = spec.UserDefined[TrainingManifest.MetadataKey];
        var dropout = TrainingManifest.FromJson(json).Dropouts.Single();
        Assert.That(dropout.Mask, Is.EqualTo("dropout_mask_0"));
        Assert.That(dropout.Probability, Is.EqualTo(0.3), "the p the model declared (0.3f), not its float widening");
        Assert.That(dropout.Shape, Is.EqualTo(new[] { 4, 50 }));
        Assert.That(json, Does.Contain("\"probability\": 0.3"));
        var noDropout = TrainingManifest.FromJson(ReluCheck.CreateTrainer(1, 0).BuildPackage().UserDefined[TrainingManifest.MetadataKey]);
        Assert.That(noDropout.Dropouts, Is.Empty);
    }

    [Test]
    public void Package_takes_the_mask_as_an_input_and_agrees_with_the_trainer()
    {
        var (t, w) = Setup(4);
        var spec = t.BuildPackage();
        using var ev = Evaluator.FromSpec(spec);
        Assert.That(ev.Describe("train_step").Inputs.Select(i => i.Name), Does.Contain("dropout_mask_0"));
        Assert.That(ev.Describe("main").Inputs.Select(i => i.Name), Has.None.EqualTo("dropout_mask_0"), "inference has no dropout");
        var manifest = TrainingManifest.FromJson(ev.Metadata[TrainingManifest.MetadataKey]);
        Assert.That(manifest.Functions["train_step"].Inputs.Single(i => i.Name == "dropout_mask_0").Role, Is.EqualTo("dropout_mask"));

        var p0 = (float[])t.Parameters[0].Value.Clone();
        float loss = t.Step(w);
        var feed = new Dictionary<string, MilTensor>
        {
            ["proj"] = TestUtil.Mil(w), ["p"] = MilTensor.Float32(new[] { 4, 50 }, p0),
            ["dropout_mask_0"] = MilTensor.Float32(new[] { 4, 50 }, t.DropoutMasks[0].ToArray()),
            ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { t.LearningRate }), ["step"] = MilTensor.Int32(new[] { 1 }, new[] { 0 }),
        };
        var outputs = ev.Run("train_step", feed);
        Assert.That(Math.Abs(outputs[0].Value.Floats![0] - loss), Is.LessThanOrEqualTo(1e-5 * Math.Max(1, Math.Abs(loss))));
        Assert.That(TestUtil.RelativeError(outputs.Single(o => o.Key == "p_new").Value.Floats!, t.Parameters[0].Value), Is.LessThanOrEqualTo(1e-6));
        var main = ev.Run("main", new Dictionary<string, MilTensor>());
        Assert.That(main[0].Value.Floats, Is.EqualTo(p0), "main passes the (pre-step) parameter through");
    }
}

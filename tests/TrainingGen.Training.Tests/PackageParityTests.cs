using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// Tier 3 of ARCHITECTURE.md §6 for the new optimizers: the exported package's <c>train_step</c>
/// (whose update is <c>Optimizer.EmitUpdate</c>'s MIL: casts, pow, sqrt, maximum, real_div), run by
/// the MIL interpreter through the Evaluator, agrees with the generated trainer over 10 steps
/// within 1e-5 relative, feeding its own outputs back as its next inputs.
/// </summary>
public class PackageParityTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => _dir = TestUtil.TempDir();
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static float[] Output(IReadOnlyList<KeyValuePair<string, MilTensor>> outputs, string name) =>
        outputs.Single(o => o.Key == name).Value.Floats!;

    private double TrainStepAgrees(ITrainer trainer, int steps = 10)
    {
        string path = Path.Combine(_dir, trainer.Optimizer.Kind + ".mlpackage");
        trainer.ExportPackage(path);
        using var ev = Evaluator.Open(path);
        int batch = trainer.BatchSize;
        var state = new Dictionary<string, MilTensor>();
        foreach (var p in trainer.Parameters) state[p.MilName] = TestUtil.Mil(p.Shape, p.Value);
        foreach (var s in trainer.OptimizerState) state[s.MilName] = TestUtil.Mil(s.Shape, s.Value);
        var rng = new Rng(31);
        double worst = 0;
        for (int step = 0; step < steps; step++)
        {
            var x = TestUtil.RandomTensor(rng, batch, 2);
            var y = TestUtil.RandomTensor(rng, batch, 3);
            var inputs = new Dictionary<string, MilTensor>(state)
            {
                ["x"] = TestUtil.Mil(x), ["y"] = TestUtil.Mil(y),
                ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { trainer.LearningRate }),
                ["step"] = MilTensor.Int32(new[] { 1 }, new[] { (int)trainer.StepCount }),
            };
            var outputs = ev.Run("train_step", inputs);
            float loss = trainer.Step(new[] { x, y });
            Assert.That(Math.Abs(outputs[0].Value.Floats![0] - loss) / Math.Abs(loss), Is.LessThanOrEqualTo(1e-5), $"loss at step {step}");
            // Norm-wise over the model: all parameters together, then each optimizer-state slot over all
            // parameters (a 1-element bias, or its exp_avg, passes through zero, where the relative error
            // of that single value is meaningless).
            var ps = trainer.Parameters;
            var interpretedParams = ps.SelectMany(t => Output(outputs, TrainingNames.Updated(t.MilName))).ToArray();
            double perr = TestUtil.RelativeError(interpretedParams, ps.SelectMany(t => t.Value).ToArray());
            worst = Math.Max(worst, perr);
            Assert.That(perr, Is.LessThanOrEqualTo(1e-5), $"parameters after step {step}");
            foreach (var t in ps) state[t.MilName] = TestUtil.Mil(t.Shape, Output(outputs, TrainingNames.Updated(t.MilName)));
            foreach (var slot in trainer.Optimizer.SlotNames)
            {
                var tensors = trainer.OptimizerState.Where(s => s.Name.EndsWith("." + slot, StringComparison.Ordinal)).ToList();
                var interpreted = tensors.SelectMany(t => Output(outputs, TrainingNames.Updated(t.MilName))).ToArray();
                double err = TestUtil.RelativeError(interpreted, tensors.SelectMany(t => t.Value).ToArray());
                worst = Math.Max(worst, err);
                Assert.That(err, Is.LessThanOrEqualTo(1e-5), $"{slot} after step {step}");
                foreach (var t in tensors) state[t.MilName] = TestUtil.Mil(t.Shape, Output(outputs, TrainingNames.Updated(t.MilName)));
            }
        }
        TestContext.Out.WriteLine($"{trainer.Optimizer.Kind}: worst relative error over {steps} train_steps {worst:E2}");
        return worst;
    }

    [Test] public void Adam_train_step_on_the_interpreter_agrees() => TrainStepAgrees(AdamNet.CreateTrainer(3, seed: 1));
    [Test] public void Adam_amsgrad_train_step_on_the_interpreter_agrees() => TrainStepAgrees(AmsGradNet.CreateTrainer(3, seed: 2));
    [Test] public void AdamW_train_step_on_the_interpreter_agrees() => TrainStepAgrees(AdamWNet.CreateTrainer(3, seed: 3));
    [Test] public void AdamW_default_train_step_on_the_interpreter_agrees() => TrainStepAgrees(AdamWDefaultNet.CreateTrainer(3, seed: 3));
    [Test] public void RmsProp_centered_momentum_train_step_on_the_interpreter_agrees() => TrainStepAgrees(RmsPropNet.CreateTrainer(3, seed: 4));
    [Test] public void RmsProp_default_train_step_on_the_interpreter_agrees() => TrainStepAgrees(RmsPropDefaultNet.CreateTrainer(3, seed: 5));

    [Test]
    public void Parameter_groups_are_lowered_into_the_package()
    {
        var t = AdamWNet.CreateTrainer(3, seed: 6);
        t.Optimizer.Configure("*.bias", weightDecay: 0).Configure("backend.linear_1.*", learningRateScale: 0.1);
        TrainStepAgrees(t);
        var r = RmsPropNet.CreateTrainer(3, seed: 7);
        r.Optimizer.Configure("backend.linear_2.weight", learningRateScale: 2, weightDecay: 0.3);
        TrainStepAgrees(r);
    }

    [Test]
    public void Update_function_with_nonzero_state_agrees_and_state_keeps_torch_names()
    {
        var t = AmsGradNet.CreateTrainer(2, seed: 8);
        var rng = new Rng(3);
        for (int i = 0; i < 3; i++) t.Step(TestUtil.RandomTensor(rng, 2, 2), TestUtil.RandomTensor(rng, 2, 3));
        t.ComputeGradients(TestUtil.RandomTensor(rng, 2, 2), TestUtil.RandomTensor(rng, 2, 3));
        string path = Path.Combine(_dir, "u.mlpackage");
        t.ExportPackage(path);
        using var ev = Evaluator.Open(path);
        Assert.That(ev.Describe("update").Inputs.Select(i => i.Name), Does.Contain("backend_linear_1_weight_max_exp_avg_sq"));
        var inputs = new Dictionary<string, MilTensor>();
        foreach (var p in t.Parameters) { inputs[p.MilName] = TestUtil.Mil(p.Shape, p.Value); inputs[TrainingNames.Gradient(p.MilName)] = TestUtil.Mil(p.Shape, p.Gradient!); }
        foreach (var s in t.OptimizerState) inputs[s.MilName] = TestUtil.Mil(s.Shape, s.Value);
        inputs["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { t.LearningRate });
        inputs["step"] = MilTensor.Int32(new[] { 1 }, new[] { (int)t.StepCount });
        var outputs = ev.Run("update", inputs);
        t.ApplyUpdate();
        foreach (var v in t.Parameters)
            Assert.That(TestUtil.RelativeError(Output(outputs, TrainingNames.Updated(v.MilName)), v.Value), Is.LessThanOrEqualTo(1e-5), v.Name);
        foreach (var slot in t.Optimizer.SlotNames)
        {
            var tensors = t.OptimizerState.Where(s => s.Name.EndsWith("." + slot, StringComparison.Ordinal)).ToList();
            Assert.That(TestUtil.RelativeError(tensors.SelectMany(v => Output(outputs, TrainingNames.Updated(v.MilName))).ToArray(),
                tensors.SelectMany(v => v.Value).ToArray()), Is.LessThanOrEqualTo(1e-5), slot);
        }
        var manifest = TrainingManifest.FromJson(ev.Metadata[TrainingManifest.MetadataKey]);
        Assert.That(manifest.Optimizer.Type, Is.EqualTo("adam"));
        Assert.That(manifest.Optimizer.HyperParameters["beta1"], Is.EqualTo(0.8));
        Assert.That(manifest.Optimizer.Flags["amsgrad"], Is.True);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;
using QuickStart;

namespace TrainingGen.Tests;

/// <summary>
/// The exported training package of the seed program, run function by function by the MIL
/// interpreter (through the Evaluator), against the generated trainer.
/// </summary>
public class SeedPackageTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = TestUtil.TempDir();
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static readonly string[] SixFunctions = { "main", "init", "forward", "backward", "update", "train_step" };

    private Evaluator Export(ModelToExport.Trainer trainer)
    {
        string path = Path.Combine(_dir, "model.mlpackage");
        trainer.ExportPackage(path);
        return Evaluator.Open(path);
    }

    private static Dictionary<string, MilTensor> ParameterInputs(ITrainer t)
    {
        var d = new Dictionary<string, MilTensor>();
        foreach (var p in t.Parameters) d[p.MilName] = TestUtil.Mil(p.Shape, p.Value);
        return d;
    }

    private static float[] Output(IReadOnlyList<KeyValuePair<string, MilTensor>> outputs, string name) =>
        outputs.Single(o => o.Key == name).Value.Floats!;

    [Test]
    public void Package_has_the_six_functions_and_main_is_the_default()
    {
        using var ev = Export(ModelToExport.CreateTrainer(2));
        Assert.That(ev.Functions, Is.EquivalentTo(SixFunctions));
        Assert.That(ev.DefaultFunction, Is.EqualTo("main"));
        Assert.That(ev.Spec.SpecificationVersion, Is.EqualTo(9));
        Assert.That(ev.Spec.Program.Functions.Select(f => f.Opset).Distinct(), Is.EqualTo(new[] { "CoreML8" }));
    }

    [Test]
    public void Every_training_function_returns_the_loss_first()
    {
        using var ev = Export(ModelToExport.CreateTrainer(2));
        foreach (var f in new[] { "forward", "backward", "train_step" })
            Assert.That(ev.Describe(f).Outputs[0].Name, Is.EqualTo("loss"), f);
        Assert.That(ev.Describe("forward").Outputs.Select(o => o.Name), Is.EqualTo(new[] { "loss", "pred" }));
        Assert.That(ev.Describe("backward").Outputs.Select(o => o.Name), Is.EqualTo(new[]
            { "loss", "backend_linear_1_weight_grad", "backend_linear_1_bias_grad", "backend_linear_2_weight_grad", "backend_linear_2_bias_grad" }));
    }

    [Test]
    public void Trainable_weights_enter_through_matmul_never_linear()
    {
        using var ev = Export(ModelToExport.CreateTrainer(2));
        foreach (var f in ev.Spec.Program.Functions)
            Assert.That(f.Operations.Select(o => o.Type), Has.None.EqualTo("linear"), f.Name);
    }

    [Test]
    public void Train_step_on_the_interpreter_agrees_with_the_trainer_for_ten_steps()
    {
        const int batch = 2;
        var trainer = ModelToExport.CreateTrainer(batch, seed: 3);
        using var ev = Export(trainer);
        var rng = new Rng(77);

        // The interpreter keeps its own trajectory: its outputs are its next inputs.
        var state = ParameterInputs(trainer);
        foreach (var s in trainer.OptimizerState) state[s.MilName] = TestUtil.Mil(s.Shape, new float[s.Value.Length]);

        for (int step = 0; step < 10; step++)
        {
            var x = TestUtil.RandomTensor(rng, batch, 2);
            var y = TestUtil.RandomTensor(rng, batch, 3);
            var inputs = new Dictionary<string, MilTensor>(state)
            {
                ["x"] = TestUtil.Mil(x), ["y"] = TestUtil.Mil(y),
                ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { trainer.LearningRate }),
                ["step"] = MilTensor.Int32(new[] { 1 }, new[] { step }),
            };
            var outputs = ev.Run("train_step", inputs);
            float loss = trainer.Step(x, y);

            Assert.That(outputs[0].Key, Is.EqualTo("loss"));
            Assert.That(Math.Abs(outputs[0].Value.Floats![0] - loss) / Math.Abs(loss), Is.LessThanOrEqualTo(1e-5), $"loss at step {step}");
            Assert.That(TestUtil.RelativeError(Output(outputs, "pred"), trainer.Pred.Data), Is.LessThanOrEqualTo(1e-5), $"pred at step {step}");
            foreach (var p in trainer.Parameters)
            {
                var updated = Output(outputs, TrainingNames.Updated(p.MilName));
                Assert.That(TestUtil.RelativeError(updated, p.Value), Is.LessThanOrEqualTo(1e-5), $"{p.Name} after step {step}");
                state[p.MilName] = TestUtil.Mil(p.Shape, updated);
            }
            foreach (var s in trainer.OptimizerState)
            {
                var updated = Output(outputs, TrainingNames.Updated(s.MilName));
                Assert.That(TestUtil.RelativeError(updated, s.Value), Is.LessThanOrEqualTo(1e-5), $"{s.Name} after step {step}");
                state[s.MilName] = TestUtil.Mil(s.Shape, updated);
            }
        }
    }

    [Test]
    public void Forward_backward_and_update_each_agree_with_the_trainer()
    {
        var trainer = ModelToExport.CreateTrainer(3, seed: 4);
        var rng = new Rng(5);
        var x = TestUtil.RandomTensor(rng, 3, 2);
        var y = TestUtil.RandomTensor(rng, 3, 3);
        trainer.Step(x, y); // non-zero momentum state
        using var ev = Export(trainer);

        var inputs = ParameterInputs(trainer);
        inputs["x"] = TestUtil.Mil(x); inputs["y"] = TestUtil.Mil(y);
        var fwd = ev.Run("forward", inputs);
        var bwd = ev.Run("backward", inputs);
        float loss = trainer.ComputeGradients(x, y);
        Assert.That(Math.Abs(fwd[0].Value.Floats![0] - loss) / loss, Is.LessThanOrEqualTo(1e-5));
        Assert.That(Math.Abs(bwd[0].Value.Floats![0] - loss) / loss, Is.LessThanOrEqualTo(1e-5));
        Assert.That(TestUtil.RelativeError(Output(fwd, "pred"), trainer.Pred.Data), Is.LessThanOrEqualTo(1e-5));
        foreach (var p in trainer.Parameters)
            Assert.That(TestUtil.RelativeError(Output(bwd, TrainingNames.Gradient(p.MilName)), p.Gradient!), Is.LessThanOrEqualTo(1e-5), p.Name);

        var update = ParameterInputs(trainer);
        foreach (var p in trainer.Parameters) update[TrainingNames.Gradient(p.MilName)] = TestUtil.Mil(p.Shape, p.Gradient!);
        foreach (var s in trainer.OptimizerState) update[s.MilName] = TestUtil.Mil(s.Shape, s.Value);
        update["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { trainer.LearningRate });
        update["step"] = MilTensor.Int32(new[] { 1 }, new[] { (int)trainer.StepCount });
        var upd = ev.Run("update", update);
        trainer.ApplyUpdate();
        foreach (var p in trainer.Parameters)
            Assert.That(TestUtil.RelativeError(Output(upd, TrainingNames.Updated(p.MilName)), p.Value), Is.LessThanOrEqualTo(1e-5), p.Name);
        foreach (var s in trainer.OptimizerState)
            Assert.That(TestUtil.RelativeError(Output(upd, TrainingNames.Updated(s.MilName)), s.Value), Is.LessThanOrEqualTo(1e-5), s.Name);
    }

    [Test]
    public void Init_returns_the_seeded_initial_parameters_and_zero_state()
    {
        var fresh = ModelToExport.CreateTrainer(2, seed: 21);
        var trained = ModelToExport.CreateTrainer(2, seed: 21);
        trained.Step(new Tensor(2, 2), Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }));
        using var ev = Export(trained);
        var init = ev.Run("init", new Dictionary<string, MilTensor>());
        foreach (var p in fresh.Parameters) Assert.That(Output(init, p.MilName), Is.EqualTo(p.Value), p.Name);
        foreach (var s in fresh.OptimizerState) Assert.That(Output(init, s.MilName), Is.All.EqualTo(0f), s.Name);
    }

    [Test]
    public void Main_predicts_with_the_trained_weights()
    {
        var trainer = ModelToExport.CreateTrainer(2, seed: 6);
        var rng = new Rng(1);
        for (int i = 0; i < 3; i++) trainer.Step(TestUtil.RandomTensor(rng, 2, 2), TestUtil.RandomTensor(rng, 2, 3));
        using var ev = Export(trainer);
        var x = TestUtil.RandomTensor(rng, 2, 2);
        var main = ev.Run("main", new Dictionary<string, MilTensor> { ["x"] = TestUtil.Mil(x) });
        Assert.That(main.Select(o => o.Key), Is.EqualTo(new[] { "pred" }));
        Assert.That(TestUtil.RelativeError(main[0].Value.Floats!, trainer.Predict(x).Data), Is.LessThanOrEqualTo(1e-5));
    }

    [Test]
    public void Training_manifest_gives_every_input_and_output_a_role()
    {
        using var ev = Export(ModelToExport.CreateTrainer(2));
        var manifest = TrainingManifest.FromJson(ev.Metadata[TrainingManifest.MetadataKey]);
        Assert.That(manifest.Loss, Is.EqualTo("Criteria.Mse"));
        Assert.That(manifest.Features.Select(f => f.Name), Is.EqualTo(new[] { "x" }));
        Assert.That(manifest.Labels.Select(f => f.Name), Is.EqualTo(new[] { "y" }));
        Assert.That(manifest.Optimizer.Type, Is.EqualTo("sgd"));
        Assert.That(manifest.Optimizer.HyperParameters["lr"], Is.EqualTo(0.001));
        Assert.That(manifest.Optimizer.HyperParameters["momentum"], Is.EqualTo(0.9));
        Assert.That(manifest.Parameters.Select(p => p.Name), Is.EqualTo(new[]
            { "backend.linear_1.weight", "backend.linear_1.bias", "backend.linear_2.weight", "backend.linear_2.bias" }));
        var ts = manifest.Functions["train_step"];
        Assert.That(ts.Inputs.Single(i => i.Name == "y").Role, Is.EqualTo("label"));
        Assert.That(ts.Inputs.Single(i => i.Name == "backend_linear_1_weight_momentum_buffer").Role, Is.EqualTo("optimizer_state"));
        Assert.That(ts.Outputs[0].Role, Is.EqualTo("loss"));
        Assert.That(ts.Outputs.Single(o => o.Name == "backend_linear_2_bias_new").Role, Is.EqualTo("updated_parameter"));
        foreach (var f in SixFunctions)
            Assert.That(manifest.Functions[f].Inputs.Count + manifest.Functions[f].Outputs.Count,
                Is.EqualTo(ev.Describe(f).Inputs.Count + ev.Describe(f).Outputs.Count), f);
    }

    [Test]
    public void Package_files_follow_the_mlpackage_layout()
    {
        var trainer = ModelToExport.CreateTrainer(2);
        string path = Path.Combine(_dir, "model.mlpackage");
        trainer.ExportPackage(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(path, "Manifest.json")));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("fileFormatVersion").GetString(), Is.EqualTo("1.0.0"));
        var items = root.GetProperty("itemInfoEntries").EnumerateObject().ToList();
        Assert.That(items.Select(i => i.Value.GetProperty("path").GetString()),
            Is.EquivalentTo(new[] { "com.apple.CoreML/model.mlmodel", "com.apple.CoreML/weights" }));
        string rootId = root.GetProperty("rootModelIdentifier").GetString()!;
        Assert.That(items.Single(i => i.Name == rootId).Value.GetProperty("name").GetString(), Is.EqualTo("model.mlmodel"));
        var weights = File.ReadAllBytes(Path.Combine(path, "Data", "com.apple.CoreML", "weights", "weight.bin"));
        // All seed constants have < 10 elements, so they are inline and weight.bin is the bare header.
        Assert.That(weights.Length, Is.EqualTo(64));
        Assert.That(BitConverter.ToUInt32(weights, 0), Is.EqualTo(0u), "blob count");
        Assert.That(BitConverter.ToUInt32(weights, 4), Is.EqualTo(2u), "format version");
        Assert.That(weights.Skip(8), Is.All.EqualTo((byte)0), "reserved");
    }

    [Test]
    public void Export_then_read_then_write_is_byte_identical()
    {
        var trainer = ModelToExport.CreateTrainer(2, seed: 8);
        string a = Path.Combine(_dir, "a.mlpackage"), b = Path.Combine(_dir, "b.mlpackage");
        trainer.ExportPackage(a);
        MlPackage.Write(b, MlPackage.Open(a));
        foreach (var file in Directory.GetFiles(a, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(a, file);
            Assert.That(File.ReadAllBytes(Path.Combine(b, rel)), Is.EqualTo(File.ReadAllBytes(file)), rel);
        }
    }
}

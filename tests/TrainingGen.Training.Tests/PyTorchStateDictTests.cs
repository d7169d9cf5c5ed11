using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// PyTorch state_dicts written by PyTorch (TestData/onnx-fixtures, TestData/torch; see their
/// READMEs) load strictly — every tensor used, none missing — into hand-written TrainingGen models,
/// and the models then compute what PyTorch computed (float64 references).
/// </summary>
public class PyTorchStateDictTests : TempDirTest
{
    private static string Data(params string[] parts) =>
        Path.Combine(new[] { TestContext.CurrentContext.TestDirectory, "TestData" }.Concat(parts).ToArray());

    private static Tensor TensorOf(SafeTensorsFile file, string name)
    {
        var t = file.Find(name) ?? throw new AssertionException($"fixture has no '{name}'");
        return new Tensor(t.Shape, t.Values);
    }

    /// <summary>max |a − b| / max |b|: the error relative to the tensor's scale (fp32 against a float64 reference).</summary>
    private static double ScaledError(float[] actual, float[] reference)
    {
        Assert.That(actual.Length, Is.EqualTo(reference.Length));
        double scale = reference.Max(v => Math.Abs((double)v));
        return actual.Zip(reference, (a, r) => Math.Abs((double)a - r)).Max() / scale;
    }

    [Test]
    public void LeNet_state_dict_loads_strictly_through_StateDictName_and_matches_torch_forward_and_gradients()
    {
        var t = TorchLeNet.CreateTrainer(4);
        var report = SafeTensors.Import(Data("onnx-fixtures", "lenet", "init.safetensors"), t);   // strict: nothing missing or left over
        Assert.That(t.Parameters.Select(p => p.Name), Is.EqualTo(new[]
        {
            "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias",
        }));
        Assert.That(report.Loaded, Is.EquivalentTo(t.Parameters.Select(p => p.Name)));
        Assert.That((report.Missing.Count, report.Unexpected.Count), Is.EqualTo((0, 0)));

        var io = SafeTensors.Read(Data("onnx-fixtures", "lenet", "io.safetensors"));
        Assert.That(io.Find("y")!.DType, Is.EqualTo("I64"), "labels as PyTorch stores them");
        float loss = t.ComputeGradients(TensorOf(io, "x"), TensorOf(io, "y"));
        Assert.That(ScaledError(t.Output.Data, io.Find("output")!.Values), Is.LessThanOrEqualTo(1e-6), "forward equals torch's float64 output");
        Assert.That(Math.Abs(loss - io.Find("loss")!.Values[0]) / io.Find("loss")!.Values[0], Is.LessThanOrEqualTo(1e-6), "loss");
        foreach (var p in t.Parameters)
            Assert.That(ScaledError(p.Gradient!, io.Find("grad." + p.Name)!.Values), Is.LessThanOrEqualTo(1e-5), $"gradient of {p.Name}");
    }

    [Test]
    public void Without_StateDictName_the_import_error_says_which_attribute_to_add()
    {
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Import(Data("onnx-fixtures", "lenet", "init.safetensors"), SnakeLeNet.CreateTrainer(4)))!;
        // The first file tensor the trainer lacks, e.g. conv1.bias (the trainer has conv_1.bias).
        string segment = e.TensorName!.Split('.')[0];
        string property = char.ToUpperInvariant(segment[0]) + segment.Substring(1);
        Assert.That(e.Message, Does.Contain("unexpected")
            .And.Contain($"'{segment.Insert(segment.Length - 1, "_")}.{e.TensorName.Split('.')[1]}'")
            .And.Contain($"add [StateDictName(\"{segment}\")] to property {property}"));

        // The other direction: a trainer name the file lacks, when the file's tensor is mapped away.
        var missing = Assert.Throws<SafeTensorsException>(() => SafeTensors.Import(Data("onnx-fixtures", "lenet", "init.safetensors"), SnakeLeNet.CreateTrainer(4),
            new SafeTensorsImportOptions { IgnoreUnexpected = true }))!;
        Assert.That(missing.Message, Does.Contain("missing").And.Contain("add [StateDictName(\"conv1\")] to property Conv1"));
    }

    [Test]
    public void BatchNorm_state_dict_loads_strictly_with_its_int64_counter_and_exports_it_counted()
    {
        var t = TorchBnCnn.CreateTrainer(4);
        string init = Data("onnx-fixtures", "bn_cnn", "init.safetensors");
        var report = SafeTensors.Import(init, t);   // strict: bn.num_batches_tracked is a trainer buffer now
        Assert.That(report.Loaded, Does.Contain("bn.num_batches_tracked").And.Contain("bn.running_var"));
        Assert.That((report.Missing.Count, report.Unexpected.Count), Is.EqualTo((0, 0)));
        var file = SafeTensors.Read(init);
        Assert.That(t.Parameters.Single(p => p.Name == "bn.running_mean").Value, Is.EqualTo(file.Find("bn.running_mean")!.Values), "running statistics loaded");
        Assert.That(t.IntegerBuffers.Select(c => (c.Name, c.Value[0])), Is.EqualTo(new[] { ("bn.num_batches_tracked", file.Find("bn.num_batches_tracked")!.Integers![0]) }));

        // Training-mode forward (batch statistics) equals torch's.
        var io = SafeTensors.Read(Data("onnx-fixtures", "bn_cnn", "io.safetensors"));
        var x = TensorOf(io, "x"); var y = TensorOf(io, "y");
        float loss = t.ComputeGradients(x, y);
        Assert.That(ScaledError(t.Output.Data, io.Find("output")!.Values), Is.LessThanOrEqualTo(1e-5), "output");
        Assert.That(Math.Abs(loss - io.Find("loss")!.Values[0]) / io.Find("loss")!.Values[0], Is.LessThanOrEqualTo(1e-5), "loss");
        // conv.bias feeds BatchNorm, which removes each channel's mean: its true gradient is 0 (torch's is ~1e-17),
        // so it is compared on the scale of the model's gradients rather than its own.
        double overall = t.Parameters.Where(p => p.Trainable).Max(p => io.Find("grad." + p.Name)!.Values.Max(v => Math.Abs((double)v)));
        foreach (var p in t.Parameters.Where(p => p.Trainable))
        {
            var reference = io.Find("grad." + p.Name)!.Values;
            double scale = Math.Max(reference.Max(v => Math.Abs((double)v)), 1e-3 * overall);
            Assert.That(p.Gradient!.Zip(reference, (a, r) => Math.Abs((double)a - r)).Max() / scale, Is.LessThanOrEqualTo(1e-4), $"gradient of {p.Name}");
        }

        // Three steps from the imported state: the export carries num_batches_tracked = 3 as I64.
        var trained = TorchBnCnn.CreateTrainer(4);
        SafeTensors.Import(init, trained);
        for (int i = 0; i < 3; i++) trained.Step(x, y);
        string exported = Path.Combine(_dir, "bn_cnn.safetensors");
        SafeTensors.Export(exported, trained);
        var back = SafeTensors.Read(exported).Find("bn.num_batches_tracked")!;
        Assert.That((back.DType, back.Shape.Length, back.Integers), Is.EqualTo(("I64", 0, new[] { 3L })));
        // …and it goes back in strictly, counter included.
        var again = TorchBnCnn.CreateTrainer(4);
        SafeTensors.Import(exported, again);
        Assert.That(again.IntegerBuffers[0].Value[0], Is.EqualTo(3L));
        Assert.That(again.Parameters.Single(p => p.Name == "bn.running_var").Value, Is.EqualTo(trained.Parameters.Single(p => p.Name == "bn.running_var").Value));
    }

    [Test]
    public void Momentum_null_keeps_torchs_cumulative_average_in_the_trainer_and_the_eager_layer()
    {
        var r = SafeTensors.Read(Data("torch", "bn_momentum_none.safetensors"));
        var trainer = CumulativeBn.CreateTrainer(4);
        var eager = new BatchNorm2d(2, momentum: null);
        var labels = new Tensor(new[] { 4 }, new[] { 0f, 1f, 1f, 0f });
        for (int k = 1; k <= 3; k++)
        {
            var x = TensorOf(r, $"x{k}");
            trainer.Step(x, labels);
            eager.Forward(x);
            var mean = r.Find($"running_mean{k}")!.Values; var variance = r.Find($"running_var{k}")!.Values;
            Assert.That(ScaledError(trainer.Parameters.Single(p => p.Name == "norm.running_mean").Value, mean), Is.LessThanOrEqualTo(1e-6), $"trainer running_mean after pass {k}");
            Assert.That(ScaledError(trainer.Parameters.Single(p => p.Name == "norm.running_var").Value, variance), Is.LessThanOrEqualTo(1e-6), $"trainer running_var after pass {k}");
            Assert.That(ScaledError(eager.RunningMean.Data, mean), Is.LessThanOrEqualTo(1e-6), $"eager running_mean after pass {k}");
            Assert.That(ScaledError(eager.RunningVar.Data, variance), Is.LessThanOrEqualTo(1e-6), $"eager running_var after pass {k}");
            Assert.That((trainer.IntegerBuffers[0].Value[0], eager.NumBatchesTracked), Is.EqualTo(((long)k, (long)k)));
        }
        // Not the 0.1-momentum rule: after three passes the mean is the plain average of the batch means.
        Assert.That(r.Find("running_mean3")!.Values[0], Is.Not.EqualTo(0.9f * r.Find("running_mean2")!.Values[0]).Within(1e-3));

        // Evaluate and Predict do not count (eval mode).
        trainer.Evaluate(TensorOf(r, "x1"), labels);
        Assert.That(trainer.IntegerBuffers[0].Value[0], Is.EqualTo(3L));

        // torch's own state_dict of that module, int64 counter and all, loads into the layer's names.
        var fresh = CumulativeBn.CreateTrainer(4);
        SafeTensors.Import(Data("torch", "bn_momentum_none_state.safetensors"), fresh,
            new SafeTensorsImportOptions { MapName = n => "norm." + n, AllowMissing = true });
        Assert.That(fresh.IntegerBuffers[0].Value[0], Is.EqualTo(3L));
        Assert.That(ScaledError(fresh.Parameters.Single(p => p.Name == "norm.running_var").Value, r.Find("running_var3")!.Values), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void Checkpoints_save_and_restore_the_counter()
    {
        var t = TorchBnCnn.CreateTrainer(2, seed: 3);
        var rng = new Rng(5);
        var x = new Tensor(2, 3, 8, 8); for (int i = 0; i < x.Count; i++) x.Data[i] = (float)rng.NextGaussian();
        var y = new Tensor(new[] { 2 }, new[] { 1f, 4f });
        t.Step(x, y); t.Step(x, y);
        string path = Path.Combine(_dir, "bn.ckpt");
        Checkpoint.Save(path, t);
        var c = Checkpoint.Read(path);
        Assert.That(c.Version, Is.EqualTo(3));
        Assert.That(c.Tensors.Single(k => k.Name == "bn.num_batches_tracked").Integers, Is.EqualTo(new[] { 2L }));
        var loaded = TorchBnCnn.CreateTrainer(2, seed: 9);
        Checkpoint.Load(path, loaded);
        Assert.That(loaded.IntegerBuffers[0].Value[0], Is.EqualTo(2L));
        // A checkpoint of another model (no counter) is refused by name, not half-loaded.
        var other = CumulativeBn.CreateTrainer(2);
        Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, other));
    }
}

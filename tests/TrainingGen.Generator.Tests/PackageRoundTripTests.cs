using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Tests;

/// <summary>Every training model compiled into this assembly: its package survives write → read → write byte for byte.</summary>
public class PackageRoundTripTests
{
    public static IEnumerable<TestCaseData> Models() =>
        typeof(PackageRoundTripTests).Assembly.GetTypes()
            .Where(t => t.GetMethod("CreateTrainer", BindingFlags.Public | BindingFlags.Static) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => new TestCaseData(t).SetArgDisplayNames(t.Name));

    [TestCaseSource(nameof(Models))]
    public void Write_read_write_is_byte_identical(Type model)
    {
        var trainer = (ITrainer)model.GetMethod("CreateTrainer")!.Invoke(null, new object[] { 2, 0 })!;
        string dir = TestUtil.TempDir();
        try
        {
            string a = Path.Combine(dir, "a.mlpackage"), b = Path.Combine(dir, "b.mlpackage");
            trainer.ExportPackage(a);
            var read = MlPackage.Open(a);
            MlPackage.Write(b, read);
            foreach (var file in Directory.GetFiles(a, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(a, file);
                Assert.That(File.ReadAllBytes(Path.Combine(b, rel)), Is.EqualTo(File.ReadAllBytes(file)), rel);
            }
            Assert.That(read.Program.Functions.Select(f => f.Name), Is.EquivalentTo(new[] { "main", "init", "forward", "backward", "update", "train_step" }));
            Assert.That(MilTextPrinter.Print(read.Program), Does.StartWith("program(1.0)\n").And.Contains("func train_step<ios18>("));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// Core ML rejects a package with any tensor of rank above 5. Walks every function input, op
    /// output, const payload and inline value of the training and the inference package as written.
    /// With TRAININGGEN_PACKAGE_OUT set, the packages are also kept there (.ci/validate-packages.sh
    /// runs Apple's coremltools loader on them).
    /// </summary>
    [TestCaseSource(nameof(Models))]
    public void Every_tensor_of_both_packages_has_rank_at_most_5(Type model)
    {
        var trainer = (ITrainer)model.GetMethod("CreateTrainer")!.Invoke(null, new object[] { 2, 0 })!;
        string? keep = Environment.GetEnvironmentVariable("TRAININGGEN_PACKAGE_OUT");
        string dir = keep is { Length: > 0 } ? keep : TestUtil.TempDir();
        Directory.CreateDirectory(dir);
        try
        {
            string training = Path.Combine(dir, model.Name + ".mlpackage"), inference = Path.Combine(dir, model.Name + ".inference.mlpackage");
            trainer.ExportPackage(training);
            trainer.ExportInferencePackage(inference);
            foreach (var path in new[] { training, inference })
            {
                var tooLarge = Tensors(MlPackage.Open(path).Program).Where(t => t.Rank > 5).Select(t => t.What).ToList();
                Assert.That(tooLarge, Is.Empty, Path.GetFileName(path));
            }
        }
        finally { if (keep is not { Length: > 0 }) Directory.Delete(dir, true); }
    }

    private static IEnumerable<(string What, int Rank)> Tensors(MilProgram program)
    {
        foreach (var f in program.Functions)
        {
            foreach (var i in f.Inputs) yield return ($"{f.Name}: input {i.Name} {i.Type}", i.Type.Tensor.Rank);
            foreach (var op in f.Operations)
            {
                foreach (var o in op.Outputs) yield return ($"{f.Name}: {op.Type} {o.Name} {o.Type}", o.Type.Tensor.Rank);
                foreach (var a in op.Attributes) yield return ($"{f.Name}: {op.Type} {op.Name}.{a.Key} {a.Value}", a.Value.Rank);
                foreach (var input in op.Inputs)
                    foreach (var v in input.Value.Where(b => b.Value is not null))
                        yield return ($"{f.Name}: {op.Type} {op.Name}.{input.Key} {v.Value}", v.Value!.Rank);
            }
        }
    }

    /// <summary>The manifest names main's outputs as the MIL program does (an output named like "_batch" once differed).</summary>
    [TestCaseSource(nameof(Models))]
    public void Manifest_predictions_are_mains_outputs(Type model)
    {
        var trainer = (ITrainer)model.GetMethod("CreateTrainer")!.Invoke(null, new object[] { 2, 0 })!;
        var spec = trainer.BuildPackage();
        var manifest = TrainingManifest.FromJson(spec.UserDefined[TrainingManifest.MetadataKey]);
        Assert.That(spec.Program.Function("main").Outputs, Is.EqualTo(manifest.Predictions.Select(p => p.Name)));
        Assert.That(trainer.BuildInferencePackage().Program.Function("main").Outputs, Is.EqualTo(manifest.Predictions.Select(p => p.Name)));
    }

    [Test]
    public void An_output_named_like_the_batch_field_keeps_its_name()
    {
        var spec = TrainingGen.Tests.Models.PackageKinds.BatchNamedOutput.CreateTrainer(3, 0).BuildPackage();
        Assert.That(spec.Program.Function("main").Outputs, Is.EqualTo(new[] { "logits_batch" }));
        Assert.That(spec.Program.Function("forward").Outputs, Is.EqualTo(new[] { "loss", "logits_batch" }));
    }
}

using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using ImportOnnx;
using NUnit.Framework;
using TrainingGen.Import;
using TrainingGen.Import.Onnx;

namespace TrainingGen.Samples.Tests;

/// <summary>
/// Samples/ImportOnnx: its Net.cs and Net.safetensors are exactly what `traingen import` writes for
/// Samples/Data/lenet.onnx, and the sample fine-tunes the imported network and exports its package.
/// </summary>
public class ImportOnnxTests
{
    private static string SamplesDir([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "Samples"));

    [Test]
    public void Checked_in_Net_cs_and_weights_are_what_the_import_writes()
    {
        string dir = TestUtil.TempDir();
        try
        {
            var model = OnnxReader.Read(Path.Combine(SamplesDir(), "Data", "lenet.onnx"));
            var result = OnnxImporter.Import(model, new ImportOptions { ClassName = "Net", Namespace = "ImportOnnx" });
            var (source, weights) = ImportWriter.Write(result, dir);
            string sample = Path.Combine(SamplesDir(), "ImportOnnx");
            Assert.That(File.ReadAllText(source), Is.EqualTo(File.ReadAllText(Path.Combine(sample, "Net.cs")).Replace("\r\n", "\n")),
                "Samples/ImportOnnx/Net.cs is stale: re-run `traingen import ../Data/lenet.onnx --name Net --namespace ImportOnnx --out .` there");
            Assert.That(File.ReadAllBytes(weights), Is.EqualTo(File.ReadAllBytes(Path.Combine(sample, "Net.safetensors"))), "Net.safetensors is stale");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void Sample_loads_the_PyTorch_weights_fine_tunes_and_exports_a_training_package()
    {
        string dir = TestUtil.TempDir();
        try
        {
            var log = new StringWriter();
            string package = Path.Combine(dir, "lenet-finetune.mlpackage");
            var r = ImportOnnxSample.Run(package, trainLimit: 3000, log: log);
            TestContext.Out.WriteLine(log.ToString());
            Assert.That(r.LoadedWeights, Has.Count.EqualTo(10), "every imported tensor is loaded");
            Assert.That(r.AccuracyAfter, Is.GreaterThan(r.AccuracyBefore + 0.3), "fine-tuning improves the test accuracy");
            using var ev = Evaluator.Open(package);
            Assert.That(ev.Functions, Does.Contain("train_step"));
            Assert.That(ev.Describe("train_step").Inputs.Single(i => i.Name == "y").DType, Is.EqualTo(TrainingGen.CoreML.Mil.MilDType.Int32), "class labels are int32");
        }
        finally { Directory.Delete(dir, true); }
    }

}

using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// Inference packages ask for the oldest Core ML their ops allow (coreml-format.md §2.2, §6), and
/// <c>traingen inspect</c> / <c>traingen run</c> (run in-process) describe and reject them clearly.
/// </summary>
[TestFixture]
public class InferencePackageTests
{
    /// <summary>main: x [flexible, 2] · Wᵀ → y [flexible, 3], the weight a constant.</summary>
    private static MilFunction PlainMain()
    {
        var b = new MilFunctionBuilder("main", TrainingPackage.Opset);
        var x = b.Input("x", MilDType.Float32, -1, 2);
        var w = b.Const(MilTensor.Float32(new[] { 3, 2 }, new[] { 1f, 2f, 3f, 4f, 5f, 6f }), "w");
        b.Output(b.Relu(b.MatMul(x, w, transposeY: true), "y"));
        return b.Build();
    }

    [Test]
    public void A_plain_main_asks_for_iOS_15_spec_6_and_CoreML5()
    {
        var spec = TrainingPackage.AssembleInference(PlainMain(), "plain");
        Assert.That(spec.SpecificationVersion, Is.EqualTo(6));
        Assert.That(spec.Program.Function("main").Opset, Is.EqualTo("CoreML5"));
        string dir = TempDir();
        try
        {
            MlPackage.Write(Path.Combine(dir, "m.mlpackage"), spec);          // our own validator checks the pairing
            var read = MlPackage.Open(Path.Combine(dir, "m.mlpackage"));
            Assert.That((read.SpecificationVersion, read.Program.Function("main").Opset), Is.EqualTo((6, "CoreML5")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void Ops_and_signatures_raise_the_opset_to_what_they_need()
    {
        // gather's validate_indices exists from iOS 17 (CoreML7, spec 8).
        var g = new MilFunctionBuilder("main");
        var idx = g.Input("i", MilDType.Float32, 4);
        g.Output(MilRecipes.Embedding(g, idx, g.Const(MilTensor.Float32(new[] { 5, 2 }, new float[10]), "table"), "e"));
        var gathered = TrainingPackage.AssembleInference(g.Build(), "gather");
        Assert.That((gathered.SpecificationVersion, gathered.Program.Function("main").Opset), Is.EqualTo((8, "CoreML7")));

        // No inputs: only valid from spec 9.
        var c = new MilFunctionBuilder("main");
        c.Output(c.Relu(c.Const(MilTensor.Float32(new[] { 2 }, new[] { -1f, 1f }), "k"), "y"));
        var constant = TrainingPackage.AssembleInference(c.Build(), "constant");
        Assert.That((constant.SpecificationVersion, constant.Program.Function("main").Opset), Is.EqualTo((9, "CoreML8")));

        // A conv_transpose with a runtime weight needs iOS 17.
        var t = new MilFunctionBuilder("main");
        var x = t.Input("x", MilDType.Float32, 1, 1, 2, 2);
        var w = t.Input("w", MilDType.Float32, 1, 1, 1, 1);
        t.Output(t.Op("conv_transpose", new MilTensorType(MilDType.Float32, new long[] { 1, 1, 2, 2 }), "y", ("x", x), ("weight", w)));
        Assert.That(MilOpsets.Required(t.Build()), Is.EqualTo("CoreML7"));
    }

    [Test]
    public void Inspect_shows_flexible_dimensions_and_the_required_Core_ML()
    {
        string dir = TempDir();
        try
        {
            string path = Path.Combine(dir, "m.mlpackage");
            MlPackage.Write(path, TrainingPackage.AssembleInference(PlainMain(), "plain"));
            var (rc, output, error) = Traingen("inspect", path);
            Assert.That(rc, Is.EqualTo(0), error);
            Assert.That(output, Does.Contain("version 6 (Core ML 5: iOS 15, macOS 12)"));
            Assert.That(output, Does.Contain("opset CoreML5"));
            Assert.That(output, Does.Match(@"\n\s+x\s+fp32\s+\[1\.\., 2\]"), "the input's shapeRange, not its default [1, 2]");
            Assert.That(output, Does.Match(@"\n\s+y\s+fp32\s+\[\?, 3\]"), "the output's program type, not the description's []");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void Run_refuses_an_input_too_large_to_make_with_a_clear_error()
    {
        var b = new MilFunctionBuilder("main");
        b.Output(b.Relu(b.Input("x", MilDType.Float32, 1_000_000, 1_000_000), "y"));
        string dir = TempDir();
        try
        {
            string path = Path.Combine(dir, "big.mlpackage");
            MlPackage.Write(path, TrainingPackage.AssembleInference(b.Build(), "big"));
            var (rc, _, error) = Traingen("run", path, "main");
            Assert.That(rc, Is.EqualTo(1));
            Assert.That(error, Does.Contain("input 'x' of 'main' has shape [1000000, 1000000] (1000000000000 elements)"));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static (int Rc, string Output, string Error) Traingen(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int rc = TrainingGen.Tool.Program.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    private static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "tg-inference-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}

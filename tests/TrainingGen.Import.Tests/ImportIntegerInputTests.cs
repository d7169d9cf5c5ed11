using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Import.Onnx;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Import.Tests;

/// <summary>
/// Integer graph inputs (token ids, indices): an int32 or int64 ONNX input becomes an <c>IntTensor</c>
/// parameter of the imported <c>Forward</c>, which the generator takes as Embedding indices; every
/// other use of it is an importer error naming the node (TrainingGen does not compute with integers),
/// never source that fails to build with TG0020.
/// </summary>
public class ImportIntegerInputTests
{
    private const int OnnxInt32 = 6, OnnxInt64 = 7, OnnxFloat = 1;

    private static ImportResult Import(GraphBuilder g) =>
        OnnxImporter.Import(OnnxReader.Read(g.Bytes, "ids.onnx"), new ImportOptions { ClassName = "Net", Namespace = "Demo" });

    private static string NodeName(string output) => output[..output.LastIndexOf("_output_", StringComparison.Ordinal)];

    /// <summary>ids [batch, 3] → Embedding(5, 2) → mean over the 3 tokens → [batch, 2], optionally through a Cast to int64.</summary>
    private static GraphBuilder EmbeddingGraph(int elemType, bool castToInt64, out float[] table)
    {
        table = Enumerable.Range(0, 10).Select(k => 0.25f * k - 1f).ToArray();
        var g = new GraphBuilder().TypedInput("ids", elemType, 3).Initializer("tok.weight", new long[] { 5, 2 }, table);
        string idx = castToInt64 ? g.Node("Cast", new[] { "ids" }, ("to", (long)OnnxInt64)) : "ids";
        string emb = g.Node("Gather", new[] { "tok.weight", idx });
        string mean = g.Node("ReduceMean", new[] { emb }, ("axes", new long[] { 1 }), ("keepdims", 0L));
        g.Rename(mean, "output").Output("output");
        return g;
    }

    [TestCase(OnnxInt64, false)]
    [TestCase(OnnxInt32, true)]
    public void An_integer_input_becomes_an_IntTensor_parameter_that_indexes_an_Embedding(int elemType, bool cast)
    {
        var result = Import(EmbeddingGraph(elemType, cast, out var table));
        Assert.That(result.Source, Does.Contain("public Tensor Forward([Shape(Dim.Batch, 3)] IntTensor ids)"), result.Source);
        Assert.That(result.Source, Does.Contain("[StateDictName(\"tok\")] public Embedding Tok { get; } = new(5, 2);"));
        Assert.That(result.Source, Does.Contain("var tok = Tok.Forward(ids);"));
        Assert.That(result.Source, Does.Not.Contain("float values"));
        Assert.That(result.Mapped, Has.Some.Contains("→ IntTensor ids"));

        // Builds under the generator and analyzers with no diagnostic (TG0020 would flag any float use).
        var run = GeneratorHarness.Run(result.Source);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var all = run.All.Concat(run.Output.GetDiagnostics()).Where(d => d.Severity >= DiagnosticSeverity.Warning).Distinct().ToList();
        Assert.That(all, Is.Empty, string.Join(Environment.NewLine, all) + Environment.NewLine + result.Source);
        using var ms = new MemoryStream();
        Assert.That(run.Output.Emit(ms).Success);
        var net = Activator.CreateInstance(Assembly.Load(ms.ToArray()).GetType("Demo.Net")!)!;
        // The weights the import wrote, loaded by hand: the eager Embedding starts from its own init.
        var tok = net.GetType().GetProperty("Tok")!.GetValue(net)!;
        var weight = (Tensor)tok.GetType().GetProperty("Weight")!.GetValue(tok)!;
        result.Weights.Single(w => w.Name == "tok.weight").Values.CopyTo(weight.Data, 0);

        // int64 ids as PyTorch holds them, range-checked into the IntTensor.
        long[] ids = { 0, 4, 2, 3, 3, 1 };
        var output = (Tensor)net.GetType().GetMethod("Forward")!.Invoke(net, new object[] { IntTensor.FromInt64(new[] { 2, 3 }, ids, "ids") })!;
        Assert.That(output.Shape, Is.EqualTo(new[] { 2, 2 }));
        for (int n = 0; n < 2; n++)
            for (int d = 0; d < 2; d++)
            {
                double expected = Enumerable.Range(0, 3).Average(t => (double)table[ids[n * 3 + t] * 2 + d]);
                Assert.That(output.Data[n * 2 + d], Is.EqualTo(expected).Within(1e-6), $"[{n}, {d}]");
            }
    }

    [Test]
    public void Arithmetic_on_an_integer_input_is_an_importer_error_naming_the_node_with_exit_2_and_nothing_written()
    {
        var g = new GraphBuilder().TypedInput("ids", OnnxInt64, 3);
        string relu = g.Node("Relu", new[] { "ids" });
        g.Rename(relu, "output").Output("output");
        string dir = ImportFixtureTests.TempDir();
        try
        {
            string model = Path.Combine(dir, "ids.onnx"), outDir = Path.Combine(dir, "out");
            File.WriteAllBytes(model, g.Bytes);
            var (o, e) = (new StringWriter(), new StringWriter());
            int code = TrainingGen.Tool.Program.Run(new[] { "import", model, "--name", "Net", "--out", outDir }, o, e);
            Assert.That(code, Is.EqualTo(2));
            Assert.That(e.ToString(), Does.Contain($"node '{NodeName(relu)}' (Relu, opset 17): input 'ids' is integer data (the IntTensor parameter 'ids')"));
            Assert.That(e.ToString(), Does.Contain("the indices of an Embedding"));
            Assert.That(o.ToString(), Is.Empty);
            Assert.That(!Directory.Exists(outDir) || Directory.GetFileSystemEntries(outDir).Length == 0, "nothing written");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void A_cast_of_integer_input_to_float_is_an_error()
    {
        var g = new GraphBuilder().TypedInput("ids", OnnxInt64, 3).Initializer("w", new long[] { 3, 2 }, new float[6]);
        string f = g.Node("Cast", new[] { "ids" }, ("to", (long)OnnxFloat));
        string y = g.Node("MatMul", new[] { f, "w" });
        g.Rename(y, "output").Output("output");
        var e = Assert.Throws<OnnxImportException>(() => Import(g))!;
        Assert.That(e.Message, Does.Contain($"node '{NodeName(f)}' (Cast, opset 17): input 'ids' is integer data"));
    }

    [Test]
    public void An_embedding_indexed_by_a_computed_tensor_is_an_error()
    {
        var g = new GraphBuilder().Input("x", 3).Initializer("tok.weight", new long[] { 5, 2 }, new float[10]);
        string r = g.Node("Relu", new[] { "x" });
        string emb = g.Node("Gather", new[] { "tok.weight", r });
        g.Rename(emb, "output").Output("output");
        var e = Assert.Throws<OnnxImportException>(() => Import(g))!;
        Assert.That(e.Message, Does.Contain($"node '{NodeName(emb)}' (Gather, opset 17): its indices '{r}' are computed in the graph"));
    }
}

using System;
using System.IO;
using System.Linq;
using Google.Protobuf;
using NUnit.Framework;
using TrainingGen.Import.Onnx;
using TrainingGen.Import.Onnx.Proto;

namespace TrainingGen.Import.Tests;

/// <summary>
/// Unsupported constructs and malformed files: a clear importer error (node, op type, opset), exit
/// code 2 from <c>traingen import</c>, and nothing written.
/// </summary>
public class ImportErrorTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => _dir = ImportFixtureTests.TempDir();
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static string Lenet => Fixtures.All.Single(f => f.Folder == "lenet").ModelPath;

    private (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = TrainingGen.Tool.Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>The lenet graph with its second ReLU replaced by <paramref name="op"/> (same input and output).</summary>
    private string LenetWith(string op, string file = "bad.onnx")
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Lenet));
        var relu = model.Graph.Node.Single(n => n.Name == "/Relu_1");
        relu.OpType = op;
        string path = Path.Combine(_dir, file);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Test]
    public void An_op_outside_the_list_is_an_error_naming_node_op_and_opset_with_exit_2_and_nothing_written()
    {
        string model = LenetWith("Celu");
        string outDir = Path.Combine(_dir, "out");
        var (code, stdout, stderr) = Cli("import", model, "--name", "Net", "--out", outDir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("node '/Relu_1' (Celu, opset 17)"));
        Assert.That(stderr, Does.Contain("Celu is not an op TrainingGen can import"));
        Assert.That(stdout, Is.Empty);
        Assert.That(!Directory.Exists(outDir) || Directory.GetFileSystemEntries(outDir).Length == 0, "nothing written");
    }

    [Test]
    public void Every_unsupported_node_is_reported_once_and_the_nodes_after_it_are_not()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Lenet));
        model.Graph.Node.Single(n => n.Name == "/Relu").OpType = "Erf";     // a lone Erf is not GELU
        model.Graph.Node.Single(n => n.Name == "/Relu_3").OpType = "Einsum"; // downstream of the Erf: not reported again
        var odd = new NodeProto { Name = "/Odd", OpType = "Constant" };     // an independent second problem
        odd.Output.Add("odd");
        odd.Attribute.Add(new AttributeProto { Name = "sparse_value", Type = AttributeProto.Types.AttributeType.SparseTensor });
        model.Graph.Node.Insert(0, odd);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxReader.Read(model.ToByteArray(), "two.onnx"), new ImportOptions()))!;
        Assert.That(e.Message, Does.StartWith("'two.onnx' cannot be imported (2 problems):"));
        Assert.That(e.Message, Does.Contain("node '/Relu' (Erf, opset 17): Erf maps only as part of exact GELU"));
        Assert.That(e.Message, Does.Contain("node '/Odd' (Constant, opset 17): its value is given as 'sparse_value'"));
        Assert.That(e.Message, Does.Not.Contain("Einsum"));
    }

    [Test]
    public void A_construct_the_runtime_cannot_express_is_an_error_not_code()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Lenet));
        var pool = model.Graph.Node.Single(n => n.Name == "/MaxPool");
        pool.Attribute.Single(a => a.Name == "kernel_shape").Ints[1] = 3;     // a 2×3 window
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxReader.Read(model.ToByteArray(), "k.onnx"), new ImportOptions()))!;
        Assert.That(e.Message, Does.Contain("node '/MaxPool' (MaxPool, opset 17): kernel_shape [2, 3] differ per side or axis"));
    }

    [Test]
    public void A_truncated_file_is_a_clear_error_with_exit_2()
    {
        var bytes = File.ReadAllBytes(Lenet);
        string path = Path.Combine(_dir, "cut.onnx");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var (code, _, stderr) = Cli("import", path, "--name", "Net", "--out", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("cut.onnx' is not an ONNX model or is truncated"));
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "cut.onnx" }), "nothing written");
    }

    [Test]
    public void A_file_that_is_not_ONNX_is_a_clear_error_with_exit_2()
    {
        string text = Path.Combine(_dir, "notes.onnx");
        File.WriteAllText(text, "this is a text file, not a model\n");
        var (code, _, stderr) = Cli("import", text, "--name", "Net", "--out", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("notes.onnx' is not an ONNX model"));

        // Valid protobuf that is not an ONNX model (a Core ML-like message with unrelated fields).
        string proto = Path.Combine(_dir, "other.onnx");
        File.WriteAllBytes(proto, new OperatorSetIdProto { Domain = "x", Version = 3 }.ToByteArray());
        (code, _, stderr) = Cli("import", proto, "--name", "Net", "--out", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("other.onnx' is not an ONNX model: it has no"));

        string empty = Path.Combine(_dir, "empty.onnx");
        File.WriteAllBytes(empty, Array.Empty<byte>());
        (code, _, stderr) = Cli("import", empty, "--name", "Net", "--out", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("empty.onnx' is empty"));
        Assert.That(Directory.GetFiles(_dir, "Net.*"), Is.Empty, "nothing written");
    }

    [Test]
    public void Damaged_tensor_data_names_the_initializer()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Lenet));
        var w = model.Graph.Initializer.Single(t => t.Name == "fc2.weight");
        w.RawData = ByteString.CopyFrom(w.RawData.Span[..^4]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxReader.Read(model.ToByteArray(), "d.onnx"))!;
        Assert.That(e.Message, Does.Contain("initializer 'fc2.weight' has 40316 bytes of data but its shape [84, 120] of Float needs 40320"));
    }

    [Test]
    public void Weights_stored_outside_the_file_are_reported()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Lenet));
        var w = model.Graph.Initializer.Single(t => t.Name == "fc1.weight");
        w.RawData = ByteString.Empty;
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var e = Assert.Throws<OnnxImportException>(() => OnnxReader.Read(model.ToByteArray(), "x.onnx"))!;
        Assert.That(e.Message, Does.Contain("initializer 'fc1.weight' keeps its data in an external file (location=weights.bin)"));
    }

    [Test]
    public void A_missing_file_and_bad_arguments_exit_2()
    {
        Assert.That(Cli("import", Path.Combine(_dir, "nope.onnx"), "--name", "Net").Code, Is.EqualTo(2));
        var (code, _, stderr) = Cli("import", Lenet);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("needs --name"));
        (code, _, stderr) = Cli("import", Lenet, "--name", "1Net", "--out", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("'1Net' is not a valid C# class name"));
    }

    [Test]
    public void Import_writes_both_files_prints_the_mapping_and_refuses_to_replace_a_hand_written_file()
    {
        var (code, stdout, _) = Cli("import", Lenet, "--name", "Net", "--namespace", "Demo", "--out", _dir);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("Conv '/conv1/Conv' → Conv1 = Conv2d(1, 6, 5)"));
        Assert.That(stdout, Does.Contain("Gemm '/fc3/Gemm' → Fc3 = Linear(84, 10)"));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "Net.cs")), Does.Contain("namespace Demo;"));
        var weights = SafeTensors.Read(Path.Combine(_dir, "Net.safetensors"));
        Assert.That(weights.Tensors.Select(t => t.Name), Is.EqualTo(new[]
        {
            "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias",
        }));
        Assert.That(Cli("import", Lenet, "--name", "Net", "--out", _dir).Code, Is.EqualTo(0), "an earlier import is replaced");

        File.WriteAllText(Path.Combine(_dir, "Mine.cs"), "class Mine { }\n");
        (code, _, string stderr) = Cli("import", Lenet, "--name", "Mine", "--out", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("not a file written by traingen import"));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "Mine.cs")), Is.EqualTo("class Mine { }\n"));
        Assert.That(File.Exists(Path.Combine(_dir, "Mine.safetensors")), Is.False, "nothing written");
    }
}

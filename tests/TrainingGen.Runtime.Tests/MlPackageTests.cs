using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;
using ProtoModel = TrainingGen.CoreML.Proto.Model;
using PbMil = TrainingGen.CoreML.Proto.MilSpec;

namespace TrainingGen.Runtime.Tests;

/// <summary>Specs and file helpers shared by the package tests.</summary>
internal static class PackageSamples
{
    public static float[] Seq(int n, float start, float step = 0.5f) => Enumerable.Range(0, n).Select(i => start + step * i).ToArray();

    /// <summary>Two functions sharing the weight W (12 floats → one blob), plus fp16/int8/uint8 consts.</summary>
    public static MlModelSpec MultiFunction()
    {
        var w = MilTensor.Float32(new[] { 3, 4 }, Seq(12, -3f));

        var main = new MilFunctionBuilder("main");
        var x = main.Input("x", MilDType.Float32, 2, 4);
        var W = main.Const(w, "W");
        var b = main.Const(MilTensor.Float32(new[] { 3 }, new[] { 0.1f, 0.2f, 0.3f }), "b");
        main.Const(MilTensor.Float16(new[] { 4, 4 }, Seq(16, -1f, 0.125f)), "h16");
        main.Const(MilTensor.OfInts(MilDType.Int8, new[] { 10 }, Enumerable.Range(-5, 10).ToArray()), "q8");
        main.Const(MilTensor.OfInts(MilDType.UInt8, new[] { 9 }, Enumerable.Range(100, 9).ToArray()), "u8");
        main.Const(MilTensor.Float16(new[] { 2 }, new[] { 0.5f, -0.25f }), "h_small");
        var xw = main.MatMul(x, W, transposeY: true, name: "xw");
        var z = main.Add(xw, b, "z");
        main.Output(main.Relu(z, "out"));

        var embed = new MilFunctionBuilder("embed");
        var ex = embed.Input("x", MilDType.Float32, 2, 4);
        var eW = embed.Const(w, "W");
        embed.Output(embed.Tanh(embed.MatMul(ex, eW, transposeY: true, name: "proj"), "emb"));

        var spec = new MlModelSpec { SpecificationVersion = 9, IsMultiFunction = true, DefaultFunctionName = "main", Author = "tests", VersionString = "1.2" };
        spec.UserDefined["b.key"] = "2";
        spec.UserDefined["a.key"] = "1";
        spec.Program.Functions.Add(main.Build());
        spec.Program.Functions.Add(embed.Build());
        spec.Program.BuildInfo.Add(new("writer", "TrainingGen"));
        var fm = new FunctionSpec("main");
        fm.Inputs.Add(new FeatureSpec("x", MilDType.Float32, new long[] { 2, 4 }, ShapeRanges: new[] { (1L, 2L), (4L, -1L) }));
        fm.Outputs.Add(new FeatureSpec("out", MilDType.Float32, new long[] { 2, 3 }, ShortDescription: "relu output"));
        var fe = new FunctionSpec("embed");
        fe.Inputs.Add(new FeatureSpec("x", MilDType.Float32, new long[] { 2, 4 }));
        fe.Outputs.Add(new FeatureSpec("emb", MilDType.Float32, new long[] { 2, 3 }));
        spec.Functions.Add(fm);
        spec.Functions.Add(fe);
        return spec;
    }

    /// <summary>A single-function iOS18 model with an fp16 state (read_state / write_state).</summary>
    public static MlModelSpec Stateful()
    {
        var t = new MilTensorType(MilDType.Float16, new long[] { 2, 4 });
        var fn = new MilFunction("main", "CoreML8");
        fn.Inputs.Add(new MilNamedValue("acc", MilValueType.StateOf(t)));
        fn.Inputs.Add(new MilNamedValue("x", MilValueType.Of(t)));
        var read = new MilOperation("read_state", "acc_read");
        read.Inputs.Add(new("input", new List<MilBinding> { MilBinding.To("acc") }));
        read.Outputs.Add(new MilNamedValue("acc_read", MilValueType.Of(t)));
        var add = new MilOperation("add", "acc_sum");
        add.Inputs.Add(new("x", new List<MilBinding> { MilBinding.To("acc_read") }));
        add.Inputs.Add(new("y", new List<MilBinding> { MilBinding.To("x") }));
        add.Outputs.Add(new MilNamedValue("acc_sum", MilValueType.Of(t)));
        var write = new MilOperation("write_state", "acc_write");
        write.Inputs.Add(new("input", new List<MilBinding> { MilBinding.To("acc") }));
        write.Inputs.Add(new("data", new List<MilBinding> { MilBinding.To("acc_sum") }));
        var cast = new MilOperation("cast", "acc_out");
        cast.Inputs.Add(new("x", new List<MilBinding> { MilBinding.To("acc_sum") }));
        cast.Inputs.Add(new("dtype", new List<MilBinding> { MilBinding.Inline(MilTensor.Scalar("fp32")) }));
        cast.Outputs.Add(new MilNamedValue("acc_out", MilValueType.Of(new MilTensorType(MilDType.Float32, new long[] { 2, 4 }))));
        fn.Operations.AddRange(new[] { read, add, write, cast });
        fn.Outputs.Add("acc_out");

        var spec = new MlModelSpec { SpecificationVersion = 9, IsMultiFunction = false };
        spec.Program.Functions.Add(fn);
        var f = new FunctionSpec("main");
        f.Inputs.Add(new FeatureSpec("x", MilDType.Float16, new long[] { 2, 4 }));
        f.States.Add(new FeatureSpec("acc", MilDType.Float16, new long[] { 2, 4 }, IsState: true));
        f.Outputs.Add(new FeatureSpec("acc_out", MilDType.Float32, new long[] { 2, 4 }));
        spec.Functions.Add(f);
        return spec;
    }

    public static string ModelFile(string pkg) => Path.Combine(pkg, "Data", "com.apple.CoreML", "model.mlmodel");
    public static string WeightFile(string pkg) => Path.Combine(pkg, "Data", "com.apple.CoreML", "weights", "weight.bin");
    public static string ManifestFile(string pkg) => Path.Combine(pkg, "Manifest.json");

    public static ProtoModel ReadModel(string pkg) => ProtoModel.Parser.ParseFrom(File.ReadAllBytes(ModelFile(pkg)));

    public static void EditModel(string pkg, Action<ProtoModel> edit)
    {
        var m = ReadModel(pkg);
        edit(m);
        File.WriteAllBytes(ModelFile(pkg), m.ToByteArray());
    }

    public static PbMil.Operation Op(ProtoModel m, string function, string outputName) =>
        m.MlProgram.Functions[function].BlockSpecializations[m.MlProgram.Functions[function].Opset].Operations
            .Single(o => o.Outputs.Any(x => x.Name == outputName));

    /// <summary>All files of a package, relative path → bytes.</summary>
    public static SortedDictionary<string, byte[]> Files(string pkg) =>
        new(Directory.GetFiles(pkg, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(pkg, f).Replace('\\', '/'), File.ReadAllBytes), StringComparer.Ordinal);

    /// <summary>Canonical bytes of a spec (its protobuf plus weight file) for equality checks.</summary>
    public static byte[] Canonical(MlModelSpec spec)
    {
        var blobs = new WeightBlobWriter();
        var m = ModelProtoWriter.ToProto(spec, blobs);
        return m.ToByteArray().Concat(blobs.ToArray()).ToArray();
    }
}

[TestFixture]
public class MlPackageTests : TempDirFixture
{
    private string WriteSample(MlModelSpec? spec = null, string name = "Sample.mlpackage")
    {
        string pkg = Path.Combine(_dir, name);
        MlPackage.Write(pkg, spec ?? PackageSamples.MultiFunction());
        return pkg;
    }

    [Test]
    public void Write_CreatesTheStandardLayout()
    {
        string pkg = WriteSample();
        Assert.That(PackageSamples.Files(pkg).Keys, Is.EqualTo(new[]
        {
            "Data/com.apple.CoreML/model.mlmodel",
            "Data/com.apple.CoreML/weights/weight.bin",
            "Manifest.json",
        }));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.EqualTo(new[] { pkg }), "no temp directories left behind");
    }

    [Test]
    public void Manifest_HasTheExpectedContent()
    {
        string pkg = WriteSample();
        string text = File.ReadAllText(PackageSamples.ManifestFile(pkg));
        string modelId = PackageManifest.Identifier("com.apple.CoreML/model.mlmodel");
        string weightsId = PackageManifest.Identifier("com.apple.CoreML/weights");
        var uuid = new Regex("^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$");
        Assert.That(modelId, Does.Match(uuid));
        Assert.That(weightsId, Does.Match(uuid));
        Assert.That(modelId, Is.Not.EqualTo(weightsId));
        var ids = new[] { modelId, weightsId }.OrderBy(s => s, StringComparer.Ordinal).ToArray();
        string Item(string id) => id == modelId
            ? $"        \"{id}\": {{\n            \"author\": \"com.apple.CoreML\",\n            \"description\": \"CoreML Model Specification\",\n            \"name\": \"model.mlmodel\",\n            \"path\": \"com.apple.CoreML/model.mlmodel\"\n        }}"
            : $"        \"{id}\": {{\n            \"author\": \"com.apple.CoreML\",\n            \"description\": \"CoreML Model Weights\",\n            \"name\": \"weights\",\n            \"path\": \"com.apple.CoreML/weights\"\n        }}";
        string expected = "{\n    \"fileFormatVersion\": \"1.0.0\",\n    \"itemInfoEntries\": {\n" +
                          Item(ids[0]) + ",\n" + Item(ids[1]) + "\n    },\n" +
                          $"    \"rootModelIdentifier\": \"{modelId}\"\n}}\n";
        Assert.That(text, Is.EqualTo(expected));

        // Identifiers are stable: a package written elsewhere has the same manifest.
        string other = WriteSample(PackageSamples.Stateful(), "Other.mlpackage");
        Assert.That(File.ReadAllText(PackageSamples.ManifestFile(other)), Is.EqualTo(expected));
    }

    [Test]
    public void Write_MultiFunction_ProtoFollowsTheFormat()
    {
        string pkg = WriteSample();
        var m = PackageSamples.ReadModel(pkg);
        Assert.That(m.SpecificationVersion, Is.EqualTo(9));
        Assert.That(m.IsUpdatable, Is.False);
        var d = m.Description;
        Assert.That(d.Input, Is.Empty);
        Assert.That(d.Output, Is.Empty);
        Assert.That(d.State, Is.Empty);
        Assert.That(d.Functions.Select(f => f.Name), Is.EqualTo(new[] { "main", "embed" }));
        Assert.That(d.DefaultFunctionName, Is.EqualTo("main"));
        var x = d.Functions[0].Input.Single();
        Assert.That(x.Name, Is.EqualTo("x"));
        Assert.That((int)x.Type.MultiArrayType.DataType, Is.EqualTo(65568));
        Assert.That(x.Type.MultiArrayType.Shape, Is.EqualTo(new long[] { 2, 4 }));
        Assert.That(x.Type.MultiArrayType.ShapeRange.SizeRanges.Select(r => (r.LowerBound, r.UpperBound)),
            Is.EqualTo(new[] { (1UL, 2L), (4UL, -1L) }));
        Assert.That(d.Functions[0].Output.Single().ShortDescription, Is.EqualTo("relu output"));
        Assert.That(d.Metadata.Author, Is.EqualTo("tests"));
        Assert.That(d.Metadata.VersionString, Is.EqualTo("1.2"));
        Assert.That(d.Metadata.UserDefined.Keys, Is.EqualTo(new[] { "a.key", "b.key" }), "userDefined written sorted by key");

        var p = m.MlProgram;
        Assert.That(p.Version, Is.EqualTo(1));
        Assert.That(p.Functions.Keys, Is.EqualTo(new[] { "main", "embed" }));
        var main = p.Functions["main"];
        Assert.That(main.Opset, Is.EqualTo("CoreML8"));
        Assert.That(main.BlockSpecializations.Keys, Is.EqualTo(new[] { "CoreML8" }));
        var block = main.BlockSpecializations["CoreML8"];
        Assert.That(block.Outputs, Is.EqualTo(new[] { "out" }));
        foreach (var op in p.Functions.Values.SelectMany(f => f.BlockSpecializations.Values).SelectMany(b => b.Operations))
        {
            var name = op.Attributes["name"];
            Assert.That(name.Type.TensorType.DataType, Is.EqualTo(PbMil.DataType.String));
            Assert.That(name.Type.TensorType.Rank, Is.EqualTo(0));
            Assert.That(name.ImmediateValue.Tensor.Strings.Values.Single(), Is.EqualTo(op.Outputs[0].Name));
        }

        // W (12 fp32) → blob at 64, shared by both functions; b (3) inline floats.
        var wMain = PackageSamples.Op(m, "main", "W").Attributes["val"];
        var wEmbed = PackageSamples.Op(m, "embed", "W").Attributes["val"];
        Assert.That(wMain.BlobFileValue.FileName, Is.EqualTo("@model_path/weights/weight.bin"));
        Assert.That(wMain.BlobFileValue.Offset, Is.EqualTo(64UL));
        Assert.That(wEmbed.BlobFileValue.Offset, Is.EqualTo(64UL));
        Assert.That(wMain.Type.TensorType.Dimensions.Select(dd => dd.Constant.Size), Is.EqualTo(new[] { 3UL, 4UL }));
        var bVal = PackageSamples.Op(m, "main", "b").Attributes["val"];
        Assert.That(bVal.ImmediateValue.Tensor.Floats.Values, Is.EqualTo(new[] { 0.1f, 0.2f, 0.3f }));
        Assert.That(bVal.Type.TensorType.DataType, Is.EqualTo(PbMil.DataType.Float32));
        // fp16 16 elements → blob at 192 (after W's 48 bytes at 128..176); int8 10 → blob at 320.
        Assert.That(PackageSamples.Op(m, "main", "h16").Attributes["val"].BlobFileValue.Offset, Is.EqualTo(192UL));
        Assert.That(PackageSamples.Op(m, "main", "q8").Attributes["val"].BlobFileValue.Offset, Is.EqualTo(320UL));
        // uint8 with 9 elements and a small fp16 stay inline, as bytes.
        Assert.That(PackageSamples.Op(m, "main", "u8").Attributes["val"].ImmediateValue.Tensor.Bytes.Values.ToByteArray(),
            Is.EqualTo(Enumerable.Range(100, 9).Select(i => (byte)i).ToArray()));
        Assert.That(PackageSamples.Op(m, "main", "h_small").Attributes["val"].ImmediateValue.Tensor.Bytes.Values.ToByteArray(),
            Is.EqualTo(new byte[] { 0x00, 0x38, 0x00, 0xB4 }));
        // Scalar parameter consts from the builder: bool transpose flags inline.
        var ty = PackageSamples.Op(m, "main", "xw_transpose_y").Attributes["val"];
        Assert.That(ty.ImmediateValue.Tensor.Bools.Values, Is.EqualTo(new[] { true }));
        Assert.That(ty.Type.TensorType.Rank, Is.EqualTo(0));
        Assert.That(PackageSamples.Op(m, "main", "xw").Inputs["y"].Arguments.Single().Name, Is.EqualTo("W"));

        Assert.That(p.Attributes["buildInfo"].ImmediateValue.Dictionary.Values.Single().Value.ImmediateValue.Tensor.Strings.Values,
            Is.EqualTo(new[] { "TrainingGen" }));

        var weights = File.ReadAllBytes(PackageSamples.WeightFile(pkg));
        Assert.That(weights.Length, Is.EqualTo(320 + 64 + 10));
        Assert.That(weights[0], Is.EqualTo(3), "three distinct blobs");
    }

    [Test]
    public void Write_SingleFunction_UsesTopLevelDescriptionAndStateTypes()
    {
        string pkg = WriteSample(PackageSamples.Stateful());
        var m = PackageSamples.ReadModel(pkg);
        var d = m.Description;
        Assert.That(d.Functions, Is.Empty);
        Assert.That(d.DefaultFunctionName, Is.Empty);
        Assert.That(d.Input.Select(i => i.Name), Is.EqualTo(new[] { "x" }));
        Assert.That((int)d.Input[0].Type.MultiArrayType.DataType, Is.EqualTo(65552));
        Assert.That(d.Output.Select(i => i.Name), Is.EqualTo(new[] { "acc_out" }));
        var st = d.State.Single();
        Assert.That(st.Name, Is.EqualTo("acc"));
        Assert.That((int)st.Type.StateType.ArrayType.DataType, Is.EqualTo(65552));
        Assert.That(st.Type.StateType.ArrayType.Shape, Is.EqualTo(new long[] { 2, 4 }));
        var acc = m.MlProgram.Functions["main"].Inputs[0];
        Assert.That(acc.Type.StateType.WrappedType.TensorType.DataType, Is.EqualTo(PbMil.DataType.Float16));
        var write = m.MlProgram.Functions["main"].BlockSpecializations["CoreML8"].Operations[2];
        Assert.That(write.Type, Is.EqualTo("write_state"));
        Assert.That(write.Outputs, Is.Empty);
        Assert.That(write.Attributes["name"].ImmediateValue.Tensor.Strings.Values.Single(), Is.EqualTo("acc_write"));
        var dtype = m.MlProgram.Functions["main"].BlockSpecializations["CoreML8"].Operations[3].Inputs["dtype"].Arguments.Single().Value;
        Assert.That(dtype.ImmediateValue.Tensor.Strings.Values, Is.EqualTo(new[] { "fp32" }));
        // No blobs: weight.bin is just the header.
        var expected = new byte[64];
        expected[4] = 2;
        Assert.That(File.ReadAllBytes(PackageSamples.WeightFile(pkg)), Is.EqualTo(expected));
    }

    [Test]
    public void WriteOpenWrite_IsByteIdentical([Values("multi", "stateful")] string which)
    {
        var spec = which == "multi" ? PackageSamples.MultiFunction() : PackageSamples.Stateful();
        string first = WriteSample(spec, "a.mlpackage");
        var opened = MlPackage.Open(first);
        string second = WriteSample(opened, "b.mlpackage");
        var fa = PackageSamples.Files(first);
        var fb = PackageSamples.Files(second);
        Assert.That(fb.Keys, Is.EqualTo(fa.Keys));
        foreach (var k in fa.Keys) Assert.That(fb[k], Is.EqualTo(fa[k]), k);
        Assert.That(PackageSamples.Canonical(opened), Is.EqualTo(PackageSamples.Canonical(spec)));
    }

    [Test]
    public void Open_LoadsBlobAndInlineValues()
    {
        var spec = MlPackage.Open(WriteSample());
        Assert.That(spec.SpecificationVersion, Is.EqualTo(9));
        Assert.That(spec.IsMultiFunction, Is.True);
        Assert.That(spec.DefaultFunctionName, Is.EqualTo("main"));
        Assert.That(spec.Functions.Select(f => f.Name), Is.EqualTo(new[] { "main", "embed" }));
        Assert.That(spec.Functions[0].Inputs[0].ShapeRanges, Is.EqualTo(new[] { (1L, 2L), (4L, -1L) }));
        Assert.That(spec.UserDefined, Is.EqualTo(new Dictionary<string, string> { ["a.key"] = "1", ["b.key"] = "2" }));
        Assert.That(spec.Program.BuildInfo, Is.EqualTo(new[] { new KeyValuePair<string, string>("writer", "TrainingGen") }));
        var main = spec.Program.Function("main");
        MilTensor Val(MilFunction f, string n) => f.Operations.Single(o => o.Name == n).Attribute("val")!;
        var w = Val(main, "W");
        Assert.That(w.DType, Is.EqualTo(MilDType.Float32));
        Assert.That(w.Shape, Is.EqualTo(new[] { 3, 4 }));
        Assert.That(w.Floats, Is.EqualTo(PackageSamples.Seq(12, -3f)));
        Assert.That(Val(spec.Program.Function("embed"), "W").Floats, Is.EqualTo(PackageSamples.Seq(12, -3f)));
        Assert.That(Val(main, "h16").Floats, Is.EqualTo(PackageSamples.Seq(16, -1f, 0.125f)));
        Assert.That(Val(main, "h16").DType, Is.EqualTo(MilDType.Float16));
        Assert.That(Val(main, "q8").Ints, Is.EqualTo(Enumerable.Range(-5, 10).ToArray()));
        Assert.That(Val(main, "u8").Ints, Is.EqualTo(Enumerable.Range(100, 9).ToArray()));
        Assert.That(Val(main, "u8").DType, Is.EqualTo(MilDType.UInt8));
        Assert.That(Val(main, "h_small").Floats, Is.EqualTo(new[] { 0.5f, -0.25f }));
        Assert.That(Val(main, "xw_transpose_y").Bools, Is.EqualTo(new[] { true }));
        Assert.That(Val(main, "xw_transpose_y").Shape, Is.Empty);
        var add = main.Operations.Single(o => o.Name == "z");
        Assert.That(add.Inputs.Select(kv => (kv.Key, kv.Value.Single().Name)), Is.EqualTo(new[] { ("x", (string?)"xw"), ("y", "b") }));
        Assert.That(main.Outputs, Is.EqualTo(new[] { "out" }));
    }

    [Test]
    public void Open_StatefulModel_KeepsStateTypes()
    {
        var spec = MlPackage.Open(WriteSample(PackageSamples.Stateful()));
        Assert.That(spec.IsMultiFunction, Is.False);
        Assert.That(spec.DefaultFunctionName, Is.Null);
        var f = spec.Functions.Single();
        Assert.That(f.States.Single(), Is.EqualTo(new FeatureSpec("acc", MilDType.Float16, new long[] { 2, 4 }, IsState: true)).Using<FeatureSpec>(SameFeature));
        var fn = spec.Program.Function("main");
        Assert.That(fn.Inputs[0].Type, Is.EqualTo(MilValueType.StateOf(new MilTensorType(MilDType.Float16, new long[] { 2, 4 }))));
        Assert.That(fn.Operations.Select(o => o.Type), Is.EqualTo(new[] { "read_state", "add", "write_state", "cast" }));
        Assert.That(fn.Operations[3].Input("dtype")!.Single().Value!.Strings, Is.EqualTo(new[] { "fp32" }));
    }

    private static bool SameFeature(FeatureSpec a, FeatureSpec b) =>
        a.Name == b.Name && a.DType == b.DType && a.Shape.SequenceEqual(b.Shape) && a.IsState == b.IsState &&
        a.ShortDescription == b.ShortDescription && (a.ShapeRanges ?? Array.Empty<(long, long)>()).SequenceEqual(b.ShapeRanges ?? Array.Empty<(long, long)>());

    // ---- corruption: each gives its own clear error ----

    private static string OpenError(string pkg) => Assert.Throws<MlPackageException>(() => MlPackage.Open(pkg))!.Message;

    [Test]
    public void Corrupt_TruncatedWeightFile()
    {
        string pkg = WriteSample();
        var bytes = File.ReadAllBytes(PackageSamples.WeightFile(pkg));
        File.WriteAllBytes(PackageSamples.WeightFile(pkg), bytes.AsSpan(0, bytes.Length - 4).ToArray());
        Assert.That(OpenError(pkg), Is.EqualTo(
            "weight.bin: blob metadata at offset 320: sizeInBytes 10 at data offset 384 runs past the end of the file (390 bytes; truncated file)"));
    }

    [Test]
    public void Corrupt_WrongSentinel()
    {
        string pkg = WriteSample();
        var bytes = File.ReadAllBytes(PackageSamples.WeightFile(pkg));
        Array.Clear(bytes, 64, 4);
        File.WriteAllBytes(PackageSamples.WeightFile(pkg), bytes);
        Assert.That(OpenError(pkg), Is.EqualTo("weight.bin: blob metadata at offset 64 has sentinel 0x00000000, expected 0xDEADBEEF"));
    }

    [Test]
    public void Corrupt_OffsetPointingAtData()
    {
        string pkg = WriteSample();
        PackageSamples.EditModel(pkg, m => PackageSamples.Op(m, "embed", "W").Attributes["val"].BlobFileValue.Offset = 128);
        Assert.That(OpenError(pkg), Is.EqualTo(
            "model.mlmodel: mlProgram.functions[\"embed\"].block_specializations[\"CoreML8\"].operations[0] (const) 'W'.attributes[\"val\"].blobFileValue.offset: " +
            "offset 128 points at data (of the blob whose metadata record is at 64) in weight.bin; it must be the offset of the 64-byte metadata record, not of the data"));
    }

    [Test]
    public void Corrupt_BlobDtypeMismatch()
    {
        string pkg = WriteSample();
        PackageSamples.EditModel(pkg, m => PackageSamples.Op(m, "main", "h16").Attributes["val"].BlobFileValue.Offset = 320);
        Assert.That(OpenError(pkg), Does.EndWith("blob metadata at offset 320 in weight.bin has mil_dtype 4 (Int8) but the const's type is fp16 (mil_dtype 1)"));
    }

    [Test]
    public void Corrupt_ManifestItemMissingAKey()
    {
        string pkg = WriteSample();
        string id = PackageManifest.Identifier("com.apple.CoreML/weights");
        string text = File.ReadAllText(PackageSamples.ManifestFile(pkg));
        text = text.Replace("\"name\": \"weights\",\n", "");
        File.WriteAllText(PackageSamples.ManifestFile(pkg), text);
        Assert.That(OpenError(pkg), Is.EqualTo($"Manifest.json: itemInfoEntries[\"{id}\"]: required key 'name' is missing"));
    }

    [Test]
    public void Corrupt_ManifestRootItemMissing()
    {
        string pkg = WriteSample();
        string modelId = PackageManifest.Identifier("com.apple.CoreML/model.mlmodel");
        File.WriteAllText(PackageSamples.ManifestFile(pkg),
            $"{{\"fileFormatVersion\": \"1.0.0\", \"itemInfoEntries\": {{}}, \"rootModelIdentifier\": \"{modelId}\"}}");
        Assert.That(OpenError(pkg), Is.EqualTo($"Manifest.json: rootModelIdentifier: '{modelId}' is not a key of itemInfoEntries"));
    }

    [Test]
    public void Corrupt_ManifestItemPathDoesNotExist()
    {
        string pkg = WriteSample();
        Directory.Delete(Path.Combine(pkg, "Data", "com.apple.CoreML", "weights"), true);
        string id = PackageManifest.Identifier("com.apple.CoreML/weights");
        Assert.That(OpenError(pkg), Is.EqualTo($"Manifest.json: itemInfoEntries[\"{id}\"].path: 'com.apple.CoreML/weights' does not exist under Data/"));
    }

    [Test]
    public void Corrupt_ManifestMissingOrMalformed()
    {
        string pkg = WriteSample();
        File.WriteAllText(PackageSamples.ManifestFile(pkg), "{ \"fileFormatVersion\": ");
        Assert.That(OpenError(pkg), Does.StartWith("Manifest.json: not well-formed JSON"));
        File.WriteAllText(PackageSamples.ManifestFile(pkg), File.ReadAllText(PackageSamples.ManifestFile(WriteSample(name: "ok.mlpackage"))).Replace("1.0.0", "2.0.0"));
        Assert.That(OpenError(pkg), Is.EqualTo("Manifest.json: fileFormatVersion: '2.0.0' is newer than the supported 1.0.0"));
        File.Delete(PackageSamples.ManifestFile(pkg));
        Assert.That(OpenError(pkg), Does.StartWith("Manifest.json: not found in package"));
    }

    [Test]
    public void Corrupt_OpsetSpecVersionMismatch()
    {
        string pkg = WriteSample();
        PackageSamples.EditModel(pkg, m => m.SpecificationVersion = 8);
        Assert.That(OpenError(pkg), Is.EqualTo(
            "model.mlmodel: mlProgram.functions[\"main\"].opset: is CoreML8 but specificationVersion is 8, which pairs with CoreML7 (CoreML8 pairs with specificationVersion 9)"));
    }

    [Test]
    public void Corrupt_OpsetNotABlockSpecializationKey()
    {
        string pkg = WriteSample();
        PackageSamples.EditModel(pkg, m => m.MlProgram.Functions["embed"].Opset = "CoreML7");
        Assert.That(OpenError(pkg), Is.EqualTo(
            "model.mlmodel: mlProgram.functions[\"embed\"].block_specializations: opset 'CoreML7' is not a key (keys: 'CoreML8')"));
    }

    [Test]
    public void Corrupt_DuplicateValueNames()
    {
        string pkg = WriteSample();
        PackageSamples.EditModel(pkg, m => PackageSamples.Op(m, "main", "z").Outputs[0].Name = "xw");
        Assert.That(OpenError(pkg), Is.EqualTo(
            "model.mlmodel: mlProgram.functions[\"main\"].block_specializations[\"CoreML8\"].operations[9] (add).outputs[\"xw\"]: duplicate value name 'xw' (already defined by operations[8] (matmul))"));
    }

    [Test]
    public void Corrupt_InvalidIdentifierAndForwardReference()
    {
        string pkg = WriteSample();
        PackageSamples.EditModel(pkg, m => PackageSamples.Op(m, "main", "out").Inputs["x"].Arguments[0].Name = "nowhere");
        Assert.That(OpenError(pkg), Does.EndWith("operations[10] (relu).inputs[\"x\"]: refers to 'nowhere', which is not defined before this op (ops must be in topological order)"));
        string pkg2 = WriteSample(name: "second.mlpackage");
        PackageSamples.EditModel(pkg2, m => PackageSamples.Op(m, "embed", "emb").Outputs[0].Name = "fp32");
        Assert.That(OpenError(pkg2), Is.EqualTo(
            "model.mlmodel: mlProgram.functions[\"embed\"].block_specializations[\"CoreML8\"].operations[4] (tanh).outputs[\"fp32\"]: 'fp32' is not a valid MIL identifier ([A-Za-z_][A-Za-z0-9_@]*, not a reserved word)"));
    }

    [Test]
    public void Corrupt_NotAProtobuf()
    {
        string pkg = WriteSample();
        File.WriteAllBytes(PackageSamples.ModelFile(pkg), new byte[] { 0xFF, 0xFF, 0xFF });
        Assert.That(OpenError(pkg), Does.StartWith("model.mlmodel: not a valid Core ML Model protobuf"));
    }

    [Test]
    public void Open_IgnoresUnknownFilesInWeights()
    {
        string pkg = WriteSample();
        File.WriteAllText(Path.Combine(pkg, "Data", "com.apple.CoreML", "weights", ".gitkeep"), "");
        Assert.That(MlPackage.Open(pkg).Program.Functions, Has.Count.EqualTo(2));
    }

    // ---- atomic write ----

    [Test]
    public void FailedWrite_LeavesTheOldPackageIntact()
    {
        string pkg = WriteSample();
        var before = PackageSamples.Files(pkg);

        var bad = PackageSamples.MultiFunction();
        var main = bad.Program.Function("main");
        var op = new MilOperation("relu", "bad-name");
        op.Inputs.Add(new("x", new List<MilBinding> { MilBinding.To("z") }));
        op.Outputs.Add(new MilNamedValue("bad_out", MilValueType.Of(new MilTensorType(MilDType.Float32, new long[] { 2, 3 }))));
        main.Operations.Add(op);

        var e = Assert.Throws<MlPackageException>(() => MlPackage.Write(pkg, bad))!;
        Assert.That(e.Message, Is.EqualTo(
            "model.mlmodel: mlProgram.functions[\"main\"].block_specializations[\"CoreML8\"].operations[11] (relu).attributes[\"name\"]: 'bad-name' is not a valid MIL identifier ([A-Za-z_][A-Za-z0-9_@]*, not a reserved word)"));
        var after = PackageSamples.Files(pkg);
        Assert.That(after.Keys, Is.EqualTo(before.Keys));
        foreach (var k in before.Keys) Assert.That(after[k], Is.EqualTo(before[k]), k);
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.EqualTo(new[] { pkg }), "no temp directories left behind");
    }

    [Test]
    public void Write_ReplacesAnExistingPackage()
    {
        string pkg = WriteSample();
        // Anything inside Data/ belongs to the package and goes with it (at the top level it would
        // make the folder unrecognisable, see PackageOverwriteTests).
        File.WriteAllText(Path.Combine(pkg, "Data", "stale.txt"), "old");
        MlPackage.Write(pkg, PackageSamples.Stateful());
        Assert.That(File.Exists(Path.Combine(pkg, "Data", "stale.txt")), Is.False);
        Assert.That(MlPackage.Open(pkg).IsMultiFunction, Is.False);
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.EqualTo(new[] { pkg }));
    }

    [Test]
    public void Write_RejectsSpecProblemsBeforeTouchingDisk()
    {
        var spec = PackageSamples.MultiFunction();
        spec.SpecificationVersion = 8;
        string pkg = Path.Combine(_dir, "never.mlpackage");
        var e = Assert.Throws<MlPackageException>(() => MlPackage.Write(pkg, spec))!;
        Assert.That(e.Message, Does.StartWith("model.mlmodel: mlProgram.functions[\"main\"].opset: is CoreML8 but specificationVersion is 8"));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);

        var mismatch = PackageSamples.MultiFunction();
        mismatch.Functions[1].Outputs[0] = new FeatureSpec("wrong", MilDType.Float32, new long[] { 2, 3 });
        Assert.That(Assert.Throws<MlPackageException>(() => MlPackage.Write(pkg, mismatch))!.Message, Is.EqualTo(
            "model.mlmodel: description.functions[\"embed\"].output: names [wrong] differ from function 'embed' block outputs [emb]"));
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;
using PbMil = TrainingGen.CoreML.Proto.MilSpec;

namespace TrainingGen.Runtime.Tests;

/// <summary>Reads the coremltools-written fixtures (TestData/coreml-fixtures) and checks them against their io.json.</summary>
[TestFixture]
public class FixtureReadTests : TempDirFixture
{
    public static readonly string[] Fixtures = { "mlp_inference", "conv_inference", "train_step_sgd", "multifunction", "stateful_accumulator" };

    private static string FixtureDir => Path.Combine(TestContext.CurrentContext.TestDirectory, "TestData", "coreml-fixtures");
    internal static string Package(string name) => Path.Combine(FixtureDir, name + ".mlpackage");
    private static JsonElement Io(string name) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureDir, name + ".io.json"))).RootElement;

    private static void Flatten(JsonElement e, List<double> into)
    {
        if (e.ValueKind == JsonValueKind.Array) foreach (var x in e.EnumerateArray()) Flatten(x, into);
        else into.Add(e.GetDouble());
    }

    private static float[] Floats(JsonElement data)
    {
        var l = new List<double>();
        Flatten(data, l);
        return l.Select(d => (float)d).ToArray();
    }

    [TestCaseSource(nameof(Fixtures))]
    public void Fixture_OpensAndMatchesItsProgramListing(string name)
    {
        var io = Io(name);
        var spec = MlPackage.Open(Package(name));
        Assert.That(spec.SpecificationVersion, Is.EqualTo(io.GetProperty("specification_version").GetInt32()));
        var functions = io.GetProperty("functions").EnumerateArray().Select(f => f.GetString()!).ToArray();
        Assert.That(spec.Program.Functions.Select(f => f.Name), Is.EquivalentTo(functions));
        Assert.That(spec.Functions.Select(f => f.Name), Is.EquivalentTo(functions));
        Assert.That(spec.IsMultiFunction, Is.EqualTo(functions.Length > 1));
        if (spec.IsMultiFunction) Assert.That(spec.DefaultFunctionName, Is.EqualTo(io.GetProperty("default_function").GetString()));

        foreach (var fp in io.GetProperty("program").EnumerateObject())
        {
            var fn = spec.Program.Function(fp.Name);
            var listing = fp.Value;
            Assert.That(fn.Opset, Is.EqualTo(listing.GetProperty("opset").GetString()));
            Assert.That(fn.Opset, Is.EqualTo(io.GetProperty("opset").GetString()));
            Assert.That(fn.Inputs.Select(i => i.Name), Is.EqualTo(listing.GetProperty("inputs").EnumerateArray().Select(x => x.GetString())));
            Assert.That(fn.Outputs, Is.EqualTo(listing.GetProperty("outputs").EnumerateArray().Select(x => x.GetString())));
            var ops = fn.Operations.Select(o => $"{o.Type} -> {(o.Outputs.Count == 0 ? "(no outputs)" : string.Join(", ", o.Outputs.Select(x => x.Name)))}");
            Assert.That(ops, Is.EqualTo(listing.GetProperty("ops").EnumerateArray().Select(x => x.GetString())));
            // Description and program agree on names.
            var fs = spec.Functions.Single(f => f.Name == fp.Name);
            Assert.That(fs.Outputs.Select(o => o.Name), Is.EqualTo(fn.Outputs));
            Assert.That(fs.Inputs.Concat(fs.States).Select(i => i.Name), Is.EquivalentTo(fn.Inputs.Select(i => i.Name)));
            // Every op has a name and every const a payload of its declared type.
            foreach (var op in fn.Operations.Where(o => o.Type == "const"))
            {
                var val = op.Attribute("val");
                Assert.That(val, Is.Not.Null, op.Name);
                Assert.That(MilValueType.Of(val!.Type), Is.EqualTo(op.Outputs.Single().Type), op.Name);
            }
        }
    }

    private static IEnumerable<TestCaseData> ReferenceConstCases()
    {
        foreach (var name in new[] { "mlp_inference", "conv_inference", "multifunction" })
        {
            var io = Io(name);
            foreach (var c in io.GetProperty("reference_constants").GetProperty("consts").EnumerateArray())
                yield return new TestCaseData(name, c.GetProperty("name").GetString()).SetName($"ReferenceConst({name}, {c.GetProperty("name").GetString()})");
        }
    }

    [TestCaseSource(nameof(ReferenceConstCases))]
    public void ReferenceConstant_MatchesValuesAndStorage(string fixture, string constName)
    {
        var c = Io(fixture).GetProperty("reference_constants").GetProperty("consts").EnumerateArray()
            .Single(x => x.GetProperty("name").GetString() == constName);
        Assert.That(c.GetProperty("dtype").GetString(), Is.EqualTo("float32"));
        var shape = c.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var expected = Floats(c.GetProperty("data"));

        var spec = MlPackage.Open(Package(fixture));
        var op = spec.Program.Function("main").Operations.Single(o => o.Type == "const" && o.Outputs[0].Name == constName);
        var val = op.Attribute("val")!;
        Assert.That(val.DType, Is.EqualTo(MilDType.Float32));
        Assert.That(val.Shape, Is.EqualTo(shape));
        Assert.That(val.Floats!.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)), "bit-exact values");

        var model = PackageSamples.ReadModel(Package(fixture));
        var pv = PackageSamples.Op(model, "main", constName).Attributes["val"];
        var storage = c.GetProperty("storage");
        if (storage.GetProperty("kind").GetString() == "blob")
        {
            Assert.That(pv.ValueCase, Is.EqualTo(PbMil.Value.ValueOneofCase.BlobFileValue));
            Assert.That(pv.BlobFileValue.FileName, Is.EqualTo(storage.GetProperty("file").GetString()));
            Assert.That(pv.BlobFileValue.Offset, Is.EqualTo(storage.GetProperty("offset").GetUInt64()));
        }
        else
        {
            Assert.That(storage.GetProperty("kind").GetString(), Is.EqualTo("inline"));
            Assert.That(pv.ValueCase, Is.EqualTo(PbMil.Value.ValueOneofCase.ImmediateValue));
            Assert.That(pv.ImmediateValue.Tensor.Floats.Values, Is.EqualTo(expected));
        }
    }

    [Test]
    public void Multifunction_SharedBlobsAreLoadedForBothFunctions()
    {
        var io = Io("multifunction");
        var model = PackageSamples.ReadModel(Package("multifunction"));
        var spec = MlPackage.Open(Package("multifunction"));
        foreach (var shared in io.GetProperty("shared_blob_consts").EnumerateObject())
        {
            ulong offset = shared.Value.GetProperty("offset").GetUInt64();
            Assert.That(PackageSamples.Op(model, "main", shared.Name).Attributes["val"].BlobFileValue.Offset, Is.EqualTo(offset));
            Assert.That(PackageSamples.Op(model, "embed", shared.Name).Attributes["val"].BlobFileValue.Offset, Is.EqualTo(offset));
            var a = spec.Program.Function("main").Operations.Single(o => o.Name == shared.Name).Attribute("val")!;
            var b = spec.Program.Function("embed").Operations.Single(o => o.Name == shared.Name).Attribute("val")!;
            Assert.That(b.Shape, Is.EqualTo(a.Shape));
            Assert.That(b.Floats, Is.EqualTo(a.Floats));
        }
        Assert.That(io.GetProperty("shared_blob_consts").EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "W1", "b1" }));
    }

    [Test]
    public void Stateful_StateAndFp16TypesAreRead()
    {
        var spec = MlPackage.Open(Package("stateful_accumulator"));
        var f = spec.Functions.Single();
        Assert.That(spec.IsMultiFunction, Is.False);
        Assert.That(f.States.Select(s => (s.Name, s.DType, s.IsState)), Is.EqualTo(new[] { ("acc", MilDType.Float16, true) }));
        Assert.That(f.States[0].Shape, Is.EqualTo(new long[] { 2, 4 }));
        Assert.That(f.Inputs.Select(s => (s.Name, s.DType, s.IsState)), Is.EqualTo(new[] { ("x", MilDType.Float16, false) }));
        Assert.That(f.Outputs.Select(s => (s.Name, s.DType)), Is.EqualTo(new[] { ("acc_out", MilDType.Float32) }));
        var fn = spec.Program.Function("main");
        Assert.That(fn.Inputs.Single(i => i.Name == "acc").Type,
            Is.EqualTo(MilValueType.StateOf(new MilTensorType(MilDType.Float16, new long[] { 2, 4 }))));
        var write = fn.Operations.Single(o => o.Type == "write_state");
        Assert.That(write.Inputs.Select(kv => (kv.Key, kv.Value.Single().Name)), Is.EquivalentTo(new[] { ("input", (string?)"acc"), ("data", "acc_sum") }));
        Assert.That(fn.Operations.Single(o => o.Name == "acc_out_dtype_0").Attribute("val")!.Strings, Is.EqualTo(new[] { "fp32" }));
        Assert.That(spec.UserDefined["com.github.apple.coremltools.version"], Is.EqualTo("9.1.dev1"));
    }

    [TestCaseSource(nameof(Fixtures))]
    public void Fixture_RewrittenByUs_IsStableAndKeepsBlobLayout(string name)
    {
        var original = MlPackage.Open(Package(name));
        string a = Path.Combine(_dir, "a.mlpackage"), b = Path.Combine(_dir, "b.mlpackage");
        MlPackage.Write(a, original);
        var reopened = MlPackage.Open(a);
        MlPackage.Write(b, reopened);

        var fa = PackageSamples.Files(a);
        var fb = PackageSamples.Files(b);
        Assert.That(fb.Keys, Is.EqualTo(fa.Keys));
        foreach (var k in fa.Keys) Assert.That(fb[k], Is.EqualTo(fa[k]), k);
        Assert.That(PackageSamples.Canonical(reopened), Is.EqualTo(PackageSamples.Canonical(original)));

        // Our writer packs blobs exactly as coremltools did: same weight.bin, same offsets.
        string fixtureWeights = PackageSamples.WeightFile(Package(name));
        if (File.Exists(fixtureWeights))
            Assert.That(File.ReadAllBytes(PackageSamples.WeightFile(a)), Is.EqualTo(File.ReadAllBytes(fixtureWeights)));
        else
            Assert.That(File.ReadAllBytes(PackageSamples.WeightFile(a)).Length, Is.EqualTo(64));

        var theirs = PackageSamples.ReadModel(Package(name));
        var ours = PackageSamples.ReadModel(a);
        foreach (var (fnName, fn) in theirs.MlProgram.Functions)
        {
            var theirOps = fn.BlockSpecializations[fn.Opset].Operations;
            var ourOps = ours.MlProgram.Functions[fnName].BlockSpecializations[fn.Opset].Operations;
            Assert.That(ourOps.Count, Is.EqualTo(theirOps.Count));
            for (int i = 0; i < theirOps.Count; i++)
            {
                Assert.That(ourOps[i].Inputs, Is.EqualTo(theirOps[i].Inputs), $"{fnName} op {i} inputs");
                Assert.That(ourOps[i].Outputs, Is.EqualTo(theirOps[i].Outputs), $"{fnName} op {i} outputs");
                Assert.That(ourOps[i].Attributes.Count, Is.EqualTo(theirOps[i].Attributes.Count), $"{fnName} op {i} attributes");
                foreach (var (key, value) in theirOps[i].Attributes)
                    Assert.That(ourOps[i].Attributes[key], Is.EqualTo(value), $"{fnName} op {i} attribute {key}");
            }
            Assert.That(ours.MlProgram.Functions[fnName].Inputs, Is.EqualTo(fn.Inputs));
        }
        Assert.That(ours.Description.Input, Is.EqualTo(theirs.Description.Input));
        Assert.That(ours.Description.Output, Is.EqualTo(theirs.Description.Output));
        Assert.That(ours.Description.State, Is.EqualTo(theirs.Description.State));
        Assert.That(ours.Description.Functions, Is.EqualTo(theirs.Description.Functions));
    }

    [Test]
    public void FixtureFolder_IsComplete()
    {
        foreach (var name in Fixtures)
        {
            Assert.That(File.Exists(Path.Combine(Package(name), "Manifest.json")), name);
            Assert.That(Directory.Exists(Path.Combine(Package(name), "Data", "com.apple.CoreML", "weights")), name);
        }
        Assert.That(File.Exists(Path.Combine(FixtureDir, "README.md")));
    }
}

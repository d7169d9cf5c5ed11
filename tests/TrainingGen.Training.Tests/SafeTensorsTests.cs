using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// safetensors: 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}</c>), raw data.
/// Files are built byte by byte here, independently of the writer.
/// </summary>
public class SafeTensorsTests : TempDirTest
{
    /// <summary>Writes a safetensors file from a JSON header text and raw data bytes.</summary>
    private string HandBuilt(string header, byte[] data, string name = "hand.safetensors")
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] F32(params float[] v) { var b = new byte[4 * v.Length]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]); return b; }
    private static byte[] F16(params float[] v) { var b = new byte[2 * v.Length]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(b.AsSpan(2 * i), (Half)v[i]); return b; }
    private static byte[] BF16(params float[] v) { var b = new byte[2 * v.Length]; for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), (ushort)(BitConverter.SingleToUInt32Bits(v[i]) >> 16)); return b; }

    /// <summary>The four TwoLinear parameters as PyTorch would name them; the bias of linear_2 as F16 and linear_1's bias as BF16.</summary>
    private string PyTorchLikeFile(string? extraEntry = null, byte[]? extraData = null, bool dropLast = false, string w2Shape = "[3,1]")
    {
        var data = F32(0.5f, -1.25f).Concat(BF16(2.0f)).Concat(F32(1f, 2f, 3f)).Concat(dropLast ? Array.Empty<byte>() : F16(0.25f, -0.5f, 4f)).ToList();
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"},");
        header.Append("\"backend.linear_1.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},");
        header.Append("\"backend.linear_1.bias\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]},");
        header.Append("\"backend.linear_2.weight\":{\"dtype\":\"F32\",\"shape\":" + w2Shape + ",\"data_offsets\":[10,22]}");
        if (!dropLast) header.Append(",\"backend.linear_2.bias\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[22,28]}");
        if (extraEntry is not null) { header.Append(',').Append(extraEntry); data.AddRange(extraData!); }
        header.Append('}');
        return HandBuilt(header.ToString(), data.ToArray());
    }

    [Test]
    public void A_hand_built_file_loads_by_state_dict_name_converting_F16_and_BF16()
    {
        var t = AdamNet.CreateTrainer(2);
        var report = SafeTensors.Import(PyTorchLikeFile(), t);
        Assert.That(report.Loaded, Is.EquivalentTo(t.Parameters.Select(p => p.Name)));
        Assert.That(t.Parameters[0].Value, Is.EqualTo(new[] { 0.5f, -1.25f }));
        Assert.That(t.Parameters[1].Value, Is.EqualTo(new[] { 2.0f }));
        Assert.That(t.Parameters[2].Value, Is.EqualTo(new[] { 1f, 2f, 3f }));
        Assert.That(t.Parameters[3].Value, Is.EqualTo(new[] { 0.25f, -0.5f, 4f }));
        var file = SafeTensors.Read(PyTorchLikeFile());
        Assert.That(file.Metadata["format"], Is.EqualTo("pt"));
        Assert.That(file.Find("backend.linear_2.bias")!.DType, Is.EqualTo("F16"));
    }

    [Test]
    public void Export_writes_the_documented_layout()
    {
        var t = AdamNet.CreateTrainer(2, seed: 3);
        string path = Path.Combine(_dir, "out.safetensors");
        SafeTensors.Export(path, t);
        var bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That(n % 8, Is.EqualTo(0UL), "header padded to 8 bytes");
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' '));
        Assert.That(doc.RootElement.GetProperty("__metadata__").GetProperty("format").GetString(), Is.EqualTo("pt"));
        int dataStart = 8 + (int)n;
        foreach (var p in t.Parameters)
        {
            var e = doc.RootElement.GetProperty(p.Name);
            Assert.That(e.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
            Assert.That(e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), Is.EqualTo(p.Shape));
            long begin = e.GetProperty("data_offsets")[0].GetInt64(), end = e.GetProperty("data_offsets")[1].GetInt64();
            Assert.That(end - begin, Is.EqualTo(4 * p.Value.Length));
            var values = Enumerable.Range(0, p.Value.Length).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + (int)begin + 4 * i))).ToArray();
            Assert.That(values, Is.EqualTo(p.Value), p.Name);
        }
    }

    [Test]
    public void Round_trip_restores_every_parameter_exactly()
    {
        var trained = AdamNet.CreateTrainer(2, seed: 1);
        var rng = new Rng(4);
        for (int i = 0; i < 5; i++) trained.Step(TestUtil.RandomTensor(rng, 2, 2), TestUtil.RandomTensor(rng, 2, 3));
        string path = Path.Combine(_dir, "rt.safetensors");
        SafeTensors.Export(path, trained, new Dictionary<string, string> { ["note"] = "round trip" });
        var fresh = AdamNet.CreateTrainer(2, seed: 2);
        SafeTensors.Import(path, fresh);
        for (int i = 0; i < 4; i++) Assert.That(fresh.Parameters[i].Value, Is.EqualTo(trained.Parameters[i].Value));
        Assert.That(SafeTensors.Read(path).Metadata["note"], Is.EqualTo("round trip"));
    }

    private static SafeTensorsException ImportFails(string path, ITrainer t, SafeTensorsImportOptions? o = null)
    {
        var before = TestUtil.Snapshot(t);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Import(path, t, o))!;
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(t), before), Is.True, "nothing is loaded from a bad file");
        TestContext.Out.WriteLine(e.Message);
        return e;
    }

    [Test]
    public void Missing_tensor_is_named_unless_allowed()
    {
        string path = PyTorchLikeFile(dropLast: true);
        var e = ImportFails(path, AdamNet.CreateTrainer(2));
        Assert.That((e.TensorName, e.Message.Contains("missing")), Is.EqualTo(("backend.linear_2.bias", true)));
        var t = AdamNet.CreateTrainer(2);
        var report = SafeTensors.Import(path, t, new SafeTensorsImportOptions { AllowMissing = true });
        Assert.That(report.Missing, Is.EqualTo(new[] { "backend.linear_2.bias" }));
        Assert.That(t.Parameters[2].Value, Is.EqualTo(new[] { 1f, 2f, 3f }));
    }

    [Test]
    public void Extra_tensor_is_named_unless_ignored_whatever_its_dtype()
    {
        string extra = "\"backend.bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[28,36]}";
        string path = PyTorchLikeFile(extra, new byte[8]);
        var e = ImportFails(path, AdamNet.CreateTrainer(2));
        Assert.That(e.TensorName, Is.EqualTo("backend.bn.num_batches_tracked"));
        Assert.That(e.Message, Does.Contain("unexpected"));
        var report = SafeTensors.Import(path, AdamNet.CreateTrainer(2), new SafeTensorsImportOptions { IgnoreUnexpected = true });
        Assert.That(report.Unexpected, Is.EqualTo(new[] { "backend.bn.num_batches_tracked" }));
    }

    [Test]
    public void Shape_mismatch_names_the_tensor_and_both_shapes()
    {
        var e = ImportFails(PyTorchLikeFile(w2Shape: "[1,3]"), AdamNet.CreateTrainer(2));
        Assert.That(e.TensorName, Is.EqualTo("backend.linear_2.weight"));
        Assert.That(e.Message, Does.Contain("shape mismatch").And.Contain("[1, 3]").And.Contain("[3, 1]"));
    }

    [Test]
    public void Unsupported_dtype_of_a_wanted_tensor_is_named()
    {
        string header = "{\"backend.linear_1.weight\":{\"dtype\":\"I8\",\"shape\":[1,2],\"data_offsets\":[0,2]}}";
        var e = ImportFails(HandBuilt(header, new byte[2]), AdamNet.CreateTrainer(2), new SafeTensorsImportOptions { AllowMissing = true });
        Assert.That(e.TensorName, Is.EqualTo("backend.linear_1.weight"));
        Assert.That(e.Message, Does.Contain("unsupported dtype I8"));
    }

    [Test]
    public void Corrupt_headers_and_data_are_reported()
    {
        var t = AdamNet.CreateTrainer(2);
        // header length beyond the file
        string p1 = Path.Combine(_dir, "len.safetensors");
        var b = new byte[16]; BinaryPrimitives.WriteUInt64LittleEndian(b, 1000); File.WriteAllBytes(p1, b);
        Assert.That(ImportFails(p1, t).Message, Does.Contain("header length 1000"));
        // invalid JSON
        Assert.That(ImportFails(HandBuilt("{\"a\": [1, 2", Array.Empty<byte>(), "json.safetensors"), t).Message, Does.Contain("JSON header is invalid"));
        // data_offsets past the end (truncated data)
        string trunc = HandBuilt("{\"backend.linear_1.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}", new byte[5], "trunc.safetensors");
        var e = ImportFails(trunc, t, new SafeTensorsImportOptions { AllowMissing = true });
        Assert.That((e.TensorName, e.Message.Contains("truncated")), Is.EqualTo(("backend.linear_1.weight", true)));
        // offsets that disagree with the shape
        string wrong = HandBuilt("{\"backend.linear_1.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,4]}}", new byte[8], "span.safetensors");
        Assert.That(ImportFails(wrong, t, new SafeTensorsImportOptions { AllowMissing = true }).Message, Does.Contain("needs 8"));
        // too short for the length field
        string tiny = Path.Combine(_dir, "tiny.safetensors"); File.WriteAllBytes(tiny, new byte[3]);
        Assert.That(ImportFails(tiny, t).Message, Does.Contain("truncated"));
    }

    [Test]
    public void Names_can_be_mapped_for_example_a_module_prefix()
    {
        var src = AdamNet.CreateTrainer(2, seed: 8);
        string path = Path.Combine(_dir, "dp.safetensors");
        SafeTensors.Write(path, src.Parameters.Select(p => ("module." + p.Name, p.Shape, p.Value)));
        var t = AdamNet.CreateTrainer(2, seed: 9);
        SafeTensors.Import(path, t, new SafeTensorsImportOptions { MapName = n => n.StartsWith("module.") ? n["module.".Length..] : n });
        Assert.That(t.Parameters[0].Value, Is.EqualTo(src.Parameters[0].Value));
    }

    [Test]
    public void A_failed_write_keeps_the_existing_file()
    {
        var t = AdamNet.CreateTrainer(2);
        string path = Path.Combine(_dir, "keep.safetensors");
        SafeTensors.Export(path, t);
        var before = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, new[] { ("w", new[] { 2, 2 }, new float[3]) }));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        string dir = Path.Combine(_dir, "adir.safetensors");
        Directory.CreateDirectory(dir);
        Assert.That(Assert.Throws<OverwriteRefusedException>(() => SafeTensors.Export(dir, t))!.Message, Does.Contain("is a directory"));
        Assert.That(Directory.Exists(dir));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { path }), "no temporary files");
    }

    // ---- safety ----

    [Test]
    public void Overlapping_data_offsets_are_an_error_even_for_a_tensor_that_is_not_loaded()
    {
        // linear_2.bias claims bytes 4..16, inside linear_1.weight (0..8) and linear_2.weight (8..20).
        string header = "{\"backend.linear_1.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}," +
                        "\"backend.linear_2.weight\":{\"dtype\":\"F32\",\"shape\":[3,1],\"data_offsets\":[8,20]}," +
                        "\"backend.linear_1.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]}," +
                        "\"backend.linear_2.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[4,16]}}";
        string path = HandBuilt(header, new byte[24]);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Read(path))!;
        Assert.That(e.TensorName, Is.EqualTo("backend.linear_2.bias"));
        Assert.That(e.Message, Does.Contain("[4, 16] overlap those of 'backend.linear_1.weight' [0, 8]"));
        // skipped by the name map (never decoded), still an invalid file
        var t = AdamNet.CreateTrainer(2);
        var skipBias = new SafeTensorsImportOptions { AllowMissing = true, MapName = n => n == "backend.linear_2.bias" ? null : n };
        Assert.That(ImportFails(path, t, skipBias).Message, Does.Contain("overlap"));
        // touching ranges and empty tensors do not overlap
        string ok = HandBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[2,2]}," +
                              "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8], "ok.safetensors");
        Assert.That(SafeTensors.Read(ok).Tensors.Count, Is.EqualTo(3));
    }

    [Test]
    public void A_non_finite_value_is_loaded_by_default_and_rejected_when_asked()
    {
        string path = PyTorchLikeFile();
        var bytes = File.ReadAllBytes(path);
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(dataStart + 4), float.NaN);   // backend.linear_1.weight[1]
        File.WriteAllBytes(path, bytes);

        var t = AdamNet.CreateTrainer(2);
        SafeTensors.Import(path, t);
        Assert.That(float.IsNaN(t.Parameters[0].Value[1]), "the default loads what the file holds");

        var fresh = AdamNet.CreateTrainer(2);
        var e = ImportFails(path, fresh, new SafeTensorsImportOptions { RejectNonFinite = true });
        Assert.That(e.TensorName, Is.EqualTo("backend.linear_1.weight"));
        Assert.That(e.Message, Does.Contain("NaN at element 1"));
    }

    [Test]
    public void Export_refuses_non_finite_parameters_unless_allowed()
    {
        var t = AdamNet.CreateTrainer(2);
        string path = Path.Combine(_dir, "w.safetensors");
        SafeTensors.Export(path, t);
        var good = File.ReadAllBytes(path);
        t.Parameters[2].Value[1] = float.PositiveInfinity;
        var e = Assert.Throws<NonFiniteValueException>(() => SafeTensors.Export(path, t))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("parameter 'backend.linear_2.weight' holds Infinity at element 1").And.Contain("allowNonFinite"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(good), "the last good file is kept");
        SafeTensors.Export(path, t, allowNonFinite: true);
        Assert.That(SafeTensors.Read(path).Find("backend.linear_2.weight")!.Values[1], Is.EqualTo(float.PositiveInfinity));
    }

    [Test]
    public void Write_replaces_only_a_safetensors_file()
    {
        var t = AdamNet.CreateTrainer(2);
        string notes = Path.Combine(_dir, "notes.safetensors");
        File.WriteAllText(notes, "{ my notes }");
        var e = Assert.Throws<OverwriteRefusedException>(() => SafeTensors.Export(notes, t))!;
        Assert.That(e.Message, Does.Contain(notes).And.Contain("not a safetensors file"));
        Assert.That(File.ReadAllText(notes), Is.EqualTo("{ my notes }"));

        string ckpt = Path.Combine(_dir, "run.ckpt");
        Checkpoint.Save(ckpt, t);
        var before = File.ReadAllBytes(ckpt);
        Assert.Throws<OverwriteRefusedException>(() => SafeTensors.Export(ckpt, t));
        Assert.That(File.ReadAllBytes(ckpt), Is.EqualTo(before), "a checkpoint is not a safetensors file");

        string ours = Path.Combine(_dir, "ours.safetensors");
        SafeTensors.Export(ours, t);
        SafeTensors.Export(ours, AdamNet.CreateTrainer(2, seed: 5));
        Assert.That(SafeTensors.Read(ours).Tensors[0].Values, Is.EqualTo(AdamNet.CreateTrainer(2, seed: 5).Parameters[0].Value));
        string torch = PyTorchLikeFile();   // written by hand, as safetensors.torch would
        SafeTensors.Export(torch, t);
        Assert.That(SafeTensors.Read(torch).Tensors.Count, Is.EqualTo(4));
    }
}

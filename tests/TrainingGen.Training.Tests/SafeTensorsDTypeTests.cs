using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using NUnit.Framework;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// Integer safetensors (I64, I32, U8, BOOL) next to the floating-point ones: a file PyTorch wrote
/// (TestData/torch/dtypes.safetensors) reads exactly, every dtype round-trips through Write, and
/// bad integer data is refused with the tensor's name.
/// </summary>
public class SafeTensorsDTypeTests : TempDirTest
{
    private static string TorchFile => Path.Combine(TestContext.CurrentContext.TestDirectory, "TestData", "torch", "dtypes.safetensors");

    [Test]
    public void A_file_written_by_PyTorch_reads_every_dtype_exactly()
    {
        var f = SafeTensors.Read(TorchFile);
        var i64 = f.Find("i64")!;
        Assert.That((i64.DType, i64.Shape, i64.IsInteger), Is.EqualTo(("I64", new[] { 2, 3 }, true)));
        Assert.That(i64.Integers, Is.EqualTo(new[] { 0L, -1L, (1L << 62) + 1, long.MinValue, long.MaxValue, 16777217L }), "int64 values beyond 2^53 stay exact");
        Assert.That(i64.Values[5], Is.EqualTo(16777216f), "the fp32 view rounds past 2^24, as documented");
        Assert.That(f.Find("i32")!.Integers, Is.EqualTo(new[] { (long)int.MinValue, -7L, 0L, int.MaxValue }));
        Assert.That(f.Find("u8")!.Integers, Is.EqualTo(new[] { 0L, 1L, 128L, 255L }));
        var mask = f.Find("mask")!;
        Assert.That((mask.DType, mask.Shape, mask.Integers), Is.EqualTo(("BOOL", new[] { 1, 3 }, new[] { 1L, 0L, 1L })));
        Assert.That(f.Find("f32")!.Values, Is.EqualTo(new[] { 1.5f, -2.25f, 3e-8f }));
        Assert.That(f.Find("f32")!.Integers, Is.Null);
        Assert.That(f.Find("f64")!.Values, Is.EqualTo(new[] { 0.1f, float.NegativeInfinity }), "F64 is converted to fp32 (-1e300 overflows)");
        Assert.That(f.Find("f16")!.Values, Is.EqualTo(new[] { 0.5f, -65504f }));
        Assert.That(f.Find("bf16")!.Values, Is.EqualTo(new[] { 1f, -3f, 0.15625f }));
        var scalar = f.Find("scalar")!;
        Assert.That((scalar.Shape.Length, scalar.Integers), Is.EqualTo((0, new[] { 42L })), "a 0-d tensor such as num_batches_tracked");
        Assert.That(f.Metadata["format"], Is.EqualTo("pt"));
    }

    [Test]
    public void Every_dtype_round_trips_and_the_bytes_are_little_endian()
    {
        string path = Path.Combine(_dir, "all.safetensors");
        var written = new[]
        {
            SafeTensor.Int64("a.i64", new[] { 3 }, new[] { long.MinValue, 5L, long.MaxValue }),
            SafeTensor.Int32("a.i32", new[] { 2 }, new[] { int.MinValue, 300 }),
            SafeTensor.UInt8("a.u8", new[] { 2 }, new byte[] { 0, 255 }),
            SafeTensor.Bool("a.mask", new[] { 2, 1 }, new[] { false, true }),
            SafeTensor.Float32("a.f32", new[] { 1 }, new[] { -0.75f }),
            new SafeTensor("a.f64", "F64", new[] { 1 }, new[] { 0.1f }),
            new SafeTensor("a.f16", "F16", new[] { 1 }, new[] { 0.5f }),
            new SafeTensor("a.bf16", "BF16", new[] { 2 }, new[] { 1.00390625f, -2f }),
            SafeTensor.Int64("count", Array.Empty<int>(), new[] { 3L }),
        };
        SafeTensors.Write(path, written, new System.Collections.Generic.Dictionary<string, string> { ["format"] = "pt" });
        var back = SafeTensors.Read(path);
        Assert.That(back.Tensors.Select(t => (t.Name, t.DType)), Is.EqualTo(written.Select(t => (t.Name, t.DType))));
        foreach (var (w, r) in written.Zip(back.Tensors))
        {
            Assert.That(r.Shape, Is.EqualTo(w.Shape), w.Name);
            if (w.IsInteger) Assert.That(r.Integers, Is.EqualTo(w.Integers), w.Name);
            else Assert.That(r.Values, Is.EqualTo(w.DType == "F64" ? new[] { (float)(double)0.1f } : w.DType == "BF16" ? new[] { 1f, -2f } : w.Values), w.Name);
        }

        // The layout byte by byte, read here without the reader: header length, JSON, then the data in order.
        var bytes = File.ReadAllBytes(path);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That(n % 8, Is.EqualTo(0));
        string header = Encoding.UTF8.GetString(bytes, 8, n);
        Assert.That(header, Does.Contain("\"a.i64\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]}"));
        Assert.That(header, Does.Contain("\"a.mask\":{\"dtype\":\"BOOL\",\"shape\":[2,1],\"data_offsets\":[34,36]}"));
        Assert.That(header, Does.Contain("\"count\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":["));
        var data = bytes.AsSpan(8 + n);
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(data), Is.EqualTo(long.MinValue));
        Assert.That(BinaryPrimitives.ReadInt32LittleEndian(data.Slice(28)), Is.EqualTo(300));
        Assert.That(data.Slice(32, 4).ToArray(), Is.EqualTo(new byte[] { 0, 255, 0, 1 }), "U8 then BOOL, one byte each");
        Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(50)), Is.EqualTo((ushort)0x3F80), "BF16 rounds 1.00390625 (a tie) to even: 1.0");
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(data.Slice(data.Length - 8)), Is.EqualTo(3L));
    }

    [Test]
    public void Integers_a_dtype_cannot_hold_are_refused_before_anything_is_written()
    {
        string path = Path.Combine(_dir, "bad.safetensors");
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, new[] { new SafeTensor("u", "U8", new[] { 2 }, new[] { 0f, 0f }) { Integers = new[] { 7L, 300L } } }))!;
        Assert.That(e.Message, Does.Contain("'u'").And.Contain("element 1 is 300").And.Contain("U8"));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, new[] { new SafeTensor("b", "BOOL", new[] { 1 }, new[] { 2f }) { Integers = new[] { 2L } } }));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, new[] { new SafeTensor("i", "I32", new[] { 1 }, new[] { 0f }) { Integers = new[] { 1L << 40 } } }));
        var noInts = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, new[] { new SafeTensor("n", "I64", new[] { 1 }, new[] { 1f }) }))!;
        Assert.That(noInts.Message, Does.Contain("'n'").And.Contain("no Integers"));
        var unknown = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, new[] { new SafeTensor("q", "F8_E4M3", new[] { 1 }, new[] { 1f }) }))!;
        Assert.That(unknown.Message, Does.Contain("unsupported dtype F8_E4M3"));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void A_BOOL_byte_other_than_0_or_1_is_corrupt_and_named()
    {
        string path = Hand("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[] { 1, 0, 7 });
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Read(path))!;
        Assert.That((e.TensorName, e.Message.Contains("BOOL element 2 is the byte 7")), Is.EqualTo(("m", true)));
    }

    [Test]
    public void Integer_offsets_must_fit_the_dtype_size()
    {
        string path = Hand("{\"c\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,12]}}", new byte[12]);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Read(path))!;
        Assert.That((e.TensorName, e.Message.Contains("span 12 bytes but shape [2] of I64 needs 16")), Is.EqualTo(("c", true)));
    }

    [Test]
    public void Import_refuses_an_integer_tensor_for_a_float_parameter_and_the_reverse()
    {
        // A float parameter given I64 data: a dtype mismatch naming both sides.
        string intoFloat = Hand("{\"backend.linear_1.bias\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Import(intoFloat, AdamNet.CreateTrainer(2), new SafeTensorsImportOptions { AllowMissing = true }))!;
        Assert.That(e.Message, Does.Contain("dtype mismatch: I64 in the file").And.Contain("float32 parameter"));
        // A counter given F32 data.
        string intoCounter = Hand("{\"bn.num_batches_tracked\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]);
        var c = Assert.Throws<SafeTensorsException>(() => SafeTensors.Import(intoCounter, TorchBnCnn.CreateTrainer(2), new SafeTensorsImportOptions { AllowMissing = true }))!;
        Assert.That((c.TensorName, c.Message.Contains("dtype mismatch: F32 in the file, but the trainer's 'bn.num_batches_tracked' is an integer buffer")), Is.EqualTo(("bn.num_batches_tracked", true)));
        // I32 and U8 counters are widened.
        string i32 = Hand("{\"bn.num_batches_tracked\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[] { 9, 0, 0, 0 });
        var t = TorchBnCnn.CreateTrainer(2);
        SafeTensors.Import(i32, t, new SafeTensorsImportOptions { AllowMissing = true });
        Assert.That(t.IntegerBuffers[0].Value[0], Is.EqualTo(9L));
    }

    [Test]
    public void A_failed_integer_import_changes_nothing()
    {
        var t = TorchBnCnn.CreateTrainer(2);
        t.IntegerBuffers[0].Value[0] = 5;
        // The counter comes first and is fine; a later tensor has the wrong shape, so neither is loaded.
        string path = Hand("{\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},\"bn.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", new byte[16]);
        Assert.Throws<SafeTensorsException>(() => SafeTensors.Import(path, t, new SafeTensorsImportOptions { AllowMissing = true }));
        Assert.That(t.IntegerBuffers[0].Value[0], Is.EqualTo(5L));
    }

    private string Hand(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

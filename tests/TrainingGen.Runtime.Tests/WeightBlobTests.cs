using System;
using System.Buffers.Binary;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Runtime.Tests;

[TestFixture]
public class WeightBlobTests
{
    private static float[] Seq(int n, float start) => Enumerable.Range(0, n).Select(i => start + 0.25f * i).ToArray();

    private static byte[] Floats(float[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
        return b;
    }

    [Test]
    public void WorkedExample_FromFormatReference_ByteForByte()
    {
        float[] a = Seq(12, 1f), b = Seq(20, -3f);
        var w = new WeightBlobWriter();
        ulong offA = w.Add(MilTensor.Float32(new[] { 3, 4 }, a));
        ulong offB = w.Add(MilTensor.Float32(new[] { 20 }, b));
        byte[] file = w.ToArray();

        Assert.That(offA, Is.EqualTo(64UL));
        Assert.That(offB, Is.EqualTo(192UL));
        Assert.That(file.Length, Is.EqualTo(336));

        var expected = new byte[336];
        // header: count = 2, version = 2, rest zero
        expected[0] = 2; expected[4] = 2;
        // metadata A at 64: DEADBEEF, dtype 2 (fp32), size 48, offset 128
        new byte[] { 0xEF, 0xBE, 0xAD, 0xDE, 2, 0, 0, 0, 48, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0 }.CopyTo(expected, 64);
        Floats(a).CopyTo(expected, 128);
        // 176..191 zero padding; metadata B at 192: size 80, offset 256
        new byte[] { 0xEF, 0xBE, 0xAD, 0xDE, 2, 0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 }.CopyTo(expected, 192);
        Floats(b).CopyTo(expected, 256);

        Assert.That(file, Is.EqualTo(expected));
    }

    [Test]
    public void Reader_WalksTheWorkedExample()
    {
        var w = new WeightBlobWriter();
        w.Add(MilTensor.Float32(new[] { 12 }, Seq(12, 1f)));
        w.Add(MilTensor.Float32(new[] { 4, 5 }, Seq(20, -3f)));
        var r = new WeightBlobReader(w.ToArray());
        Assert.That(r.Records, Is.EqualTo(new[]
        {
            new WeightBlobRecord(64, BlobDataType.Float32, 48, 128),
            new WeightBlobRecord(192, BlobDataType.Float32, 80, 256),
        }));
        var t = r.ReadTensor(192, MilDType.Float32, new[] { 4, 5 }, "test");
        Assert.That(t.Shape, Is.EqualTo(new[] { 4, 5 }));
        Assert.That(t.Floats, Is.EqualTo(Seq(20, -3f)));
    }

    [Test]
    public void IdenticalBlobs_AreStoredOnce()
    {
        var w = new WeightBlobWriter();
        ulong a1 = w.Add(MilTensor.Float32(new[] { 12 }, Seq(12, 1f)));
        ulong b = w.Add(MilTensor.Float32(new[] { 20 }, Seq(20, 1f)));
        ulong a2 = w.Add(MilTensor.Float32(new[] { 3, 4 }, Seq(12, 1f))); // same bytes, other shape
        // Same bytes but another element type is a different blob.
        var asInts = Seq(12, 1f).Select(BitConverter.SingleToInt32Bits).ToArray();
        ulong c = w.Add(MilTensor.Int32(new[] { 12 }, asInts));
        Assert.That((a1, b, a2, c), Is.EqualTo((64UL, 192UL, 64UL, 384UL)));
        Assert.That(w.Count, Is.EqualTo(3));
        var file = w.ToArray();
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(file), Is.EqualTo(3u));
        Assert.That(file.Length, Is.EqualTo(384 + 64 + 48));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(388)), Is.EqualTo(14u), "int32 blob code");
    }

    [Test]
    public void EmptyWriter_IsA64ByteHeaderWithCountZero()
    {
        var file = new WeightBlobWriter().ToArray();
        var expected = new byte[64];
        expected[4] = 2;
        Assert.That(file, Is.EqualTo(expected));
        Assert.That(new WeightBlobReader(file).Records, Is.Empty);
    }

    [Test]
    public void Fp16_Int8_UInt8_RoundTripWithTheirBlobCodes()
    {
        var w = new WeightBlobWriter();
        var h = MilTensor.Float16(new[] { 10 }, new[] { 0.1f, -2f, 65504f, 1e-5f, 0f, 1f, 3.14159f, -0.5f, 7f, 100.25f });
        var i8 = MilTensor.OfInts(MilDType.Int8, new[] { 2, 5 }, new[] { -128, -1, 0, 1, 127, 5, 6, 7, 8, 9 });
        var u8 = MilTensor.OfInts(MilDType.UInt8, new[] { 10 }, new[] { 0, 1, 2, 3, 128, 200, 250, 254, 255, 9 });
        ulong oh = w.Add(h), oi = w.Add(i8), ou = w.Add(u8);
        var file = w.ToArray();
        var r = new WeightBlobReader(file);
        Assert.That(r.Records.Select(x => (x.MetadataOffset, x.DataType, x.SizeInBytes)), Is.EqualTo(new[]
        {
            (64UL, BlobDataType.Float16, 20UL), (192UL, BlobDataType.Int8, 10UL), (320UL, BlobDataType.UInt8, 10UL),
        }));
        Assert.That((oh, oi, ou), Is.EqualTo((64UL, 192UL, 320UL)));
        // fp16 bits of 1.0 = 0x3C00 at element 5
        Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(128 + 10)), Is.EqualTo((ushort)0x3C00));
        Assert.That(r.ReadTensor(64, MilDType.Float16, new[] { 10 }, "t").Floats, Is.EqualTo(h.Floats));
        Assert.That(r.ReadTensor(192, MilDType.Int8, new[] { 2, 5 }, "t").Ints, Is.EqualTo(i8.Ints));
        Assert.That(r.ReadTensor(320, MilDType.UInt8, new[] { 10 }, "t").Ints, Is.EqualTo(u8.Ints));
    }

    private static byte[] TwoBlobs()
    {
        var w = new WeightBlobWriter();
        w.Add(MilTensor.Float32(new[] { 12 }, Seq(12, 1f)));
        w.Add(MilTensor.Float32(new[] { 20 }, Seq(20, 1f)));
        return w.ToArray();
    }

    [Test]
    public void Reader_RejectsWrongVersion()
    {
        var f = TwoBlobs();
        f[4] = 1;
        var e = Assert.Throws<MlPackageException>(() => new WeightBlobReader(f))!;
        Assert.That(e.Message, Is.EqualTo("weight.bin: storage header: version is 1, expected 2"));
    }

    [Test]
    public void Reader_RejectsWrongSentinel()
    {
        var f = TwoBlobs();
        f[192] = 0xEE;
        var e = Assert.Throws<MlPackageException>(() => new WeightBlobReader(f))!;
        Assert.That(e.Message, Is.EqualTo("weight.bin: blob metadata at offset 192 has sentinel 0xDEADBEEE, expected 0xDEADBEEF"));
    }

    [Test]
    public void Reader_RejectsTruncatedData()
    {
        var f = TwoBlobs().AsSpan(0, 300).ToArray();
        var e = Assert.Throws<MlPackageException>(() => new WeightBlobReader(f))!;
        Assert.That(e.Message, Is.EqualTo(
            "weight.bin: blob metadata at offset 192: sizeInBytes 80 at data offset 256 runs past the end of the file (300 bytes; truncated file)"));
    }

    [Test]
    public void Reader_RejectsTruncatedHeader()
    {
        var e = Assert.Throws<MlPackageException>(() => new WeightBlobReader(new byte[10]))!;
        Assert.That(e.Message, Does.StartWith("weight.bin: storage header: the file is 10 bytes long"));
    }

    [Test]
    public void Reader_RejectsCountBeyondFile()
    {
        var f = TwoBlobs();
        f[0] = 3;
        var e = Assert.Throws<MlPackageException>(() => new WeightBlobReader(f))!;
        Assert.That(e.Message, Does.StartWith("weight.bin: storage header: count is 3 but blob metadata record #2 at offset 384"));
    }

    [Test]
    public void Reader_RejectsDataOffsetNotFollowingMetadata()
    {
        var f = TwoBlobs();
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(64 + 16), 192);
        var e = Assert.Throws<MlPackageException>(() => new WeightBlobReader(f))!;
        Assert.That(e.Message, Does.StartWith("weight.bin: blob metadata at offset 64: data offset is 192, expected 128"));
    }

    [Test]
    public void ReadTensor_ChecksOffsetDtypeAndSize()
    {
        var r = new WeightBlobReader(TwoBlobs());
        Assert.That(Assert.Throws<MlPackageException>(() => r.ReadTensor(128, MilDType.Float32, new[] { 12 }, "f"))!.Message,
            Is.EqualTo("f: offset 128 points at data (of the blob whose metadata record is at 64) in weight.bin; it must be the offset of the 64-byte metadata record, not of the data"));
        Assert.That(Assert.Throws<MlPackageException>(() => r.ReadTensor(0, MilDType.Float32, new[] { 12 }, "f"))!.Message,
            Does.Contain("points into the storage header"));
        Assert.That(Assert.Throws<MlPackageException>(() => r.ReadTensor(4096, MilDType.Float32, new[] { 12 }, "f"))!.Message,
            Is.EqualTo("f: offset 4096 is outside weight.bin (336 bytes)"));
        Assert.That(Assert.Throws<MlPackageException>(() => r.ReadTensor(64, MilDType.Float16, new[] { 24 }, "f"))!.Message,
            Is.EqualTo("f: blob metadata at offset 64 in weight.bin has mil_dtype 2 (Float32) but the const's type is fp16 (mil_dtype 1)"));
        Assert.That(Assert.Throws<MlPackageException>(() => r.ReadTensor(64, MilDType.Float32, new[] { 13 }, "f"))!.Message,
            Is.EqualTo("f: blob metadata at offset 64 in weight.bin has sizeInBytes 48, expected 13 elements × 4 bytes = 52 for fp32[13]"));
    }
}

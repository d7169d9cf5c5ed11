using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML;

/// <summary>MIL blob storage element type codes (<c>BlobDataType</c>, coreml-format.md §4.3).</summary>
public enum BlobDataType : uint
{
    Float16 = 1,
    Float32 = 2,
    UInt8 = 3,
    Int8 = 4,
    BFloat16 = 5,
    Int16 = 6,
    UInt16 = 7,
    Int4 = 8,
    UInt1 = 9,
    UInt2 = 10,
    UInt4 = 11,
    UInt3 = 12,
    UInt6 = 13,
    Int32 = 14,
    UInt32 = 15,
    Float8E4M3FN = 16,
    Float8E5M2 = 17,
}

/// <summary>One blob of a weight file: where its 64-byte metadata record and its data are.</summary>
public readonly record struct WeightBlobRecord(ulong MetadataOffset, BlobDataType DataType, ulong SizeInBytes, ulong DataOffset);

/// <summary>Constants and element codecs of the weight.bin storage format, version 2 (coreml-format.md §4).</summary>
public static class WeightBlobFormat
{
    public const int HeaderSize = 64;
    public const int MetadataSize = 64;
    public const int Alignment = 64;
    public const uint Version = 2;
    public const uint Sentinel = 0xDEADBEEF;

    /// <summary>The file name the program uses for our single weight file.</summary>
    public const string DefaultFileName = "weight.bin";

    /// <summary>The <c>BlobFileValue.fileName</c> written for blobs (§1).</summary>
    public const string ProgramFileName = "@model_path/weights/weight.bin";

    public static long Align(long offset) => (offset + (Alignment - 1)) & ~(long)(Alignment - 1);

    /// <summary>The blob code paired with a MIL dtype, or null when the dtype cannot live in a blob here.</summary>
    public static BlobDataType? BlobTypeOf(MilDType dtype) => dtype switch
    {
        MilDType.Float16 => BlobDataType.Float16,
        MilDType.Float32 => BlobDataType.Float32,
        MilDType.UInt8 => BlobDataType.UInt8,
        MilDType.Int8 => BlobDataType.Int8,
        MilDType.Int16 => BlobDataType.Int16,
        MilDType.Int32 => BlobDataType.Int32,
        _ => null,
    };

    /// <summary>Bytes per element of a blob-storable dtype.</summary>
    public static int ElementSize(MilDType dtype) => dtype switch
    {
        MilDType.Float16 or MilDType.Int16 => 2,
        MilDType.Float32 or MilDType.Int32 => 4,
        MilDType.Int8 or MilDType.UInt8 => 1,
        _ => throw new ArgumentException($"{dtype} has no blob encoding."),
    };

    /// <summary>Raw little-endian element bytes of <paramref name="t"/> (fp16 as IEEE half).</summary>
    public static byte[] Encode(MilTensor t)
    {
        int n = t.Count;
        var bytes = new byte[checked(n * ElementSize(t.DType))];
        var span = bytes.AsSpan();
        switch (t.DType)
        {
            case MilDType.Float32:
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(span.Slice(4 * i), t.Floats![i]);
                break;
            case MilDType.Float16:
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(2 * i), BitConverter.HalfToUInt16Bits((Half)t.Floats![i]));
                break;
            case MilDType.Int32:
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteInt32LittleEndian(span.Slice(4 * i), t.Ints![i]);
                break;
            case MilDType.Int16:
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteInt16LittleEndian(span.Slice(2 * i), Narrow<short>(t.Ints![i], short.MinValue, short.MaxValue, t));
                break;
            case MilDType.Int8:
                for (int i = 0; i < n; i++) bytes[i] = unchecked((byte)Narrow<sbyte>(t.Ints![i], sbyte.MinValue, sbyte.MaxValue, t));
                break;
            case MilDType.UInt8:
                for (int i = 0; i < n; i++) bytes[i] = Narrow<byte>(t.Ints![i], byte.MinValue, byte.MaxValue, t);
                break;
        }
        return bytes;
    }

    private static T Narrow<T>(int v, int min, int max, MilTensor t) where T : struct =>
        v >= min && v <= max
            ? (T)Convert.ChangeType(v, typeof(T), System.Globalization.CultureInfo.InvariantCulture)
            : throw new ArgumentException($"Value {v} does not fit the element type of {t}.");

    /// <summary>Builds a tensor from raw little-endian element bytes.</summary>
    public static MilTensor Decode(MilDType dtype, int[] shape, ReadOnlySpan<byte> data)
    {
        int n = shape.Aggregate(1, (a, d) => checked(a * d));
        if (data.Length != checked(n * ElementSize(dtype)))
            throw new ArgumentException($"{data.Length} bytes do not hold {n} {dtype} elements.");
        switch (dtype)
        {
            case MilDType.Float32:
            {
                var f = new float[n];
                for (int i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(4 * i));
                return MilTensor.Float32(shape, f);
            }
            case MilDType.Float16:
            {
                var f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * i)));
                return MilTensor.Float16(shape, f);
            }
            default:
            {
                var v = new int[n];
                for (int i = 0; i < n; i++)
                {
                    v[i] = dtype switch
                    {
                        MilDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * i)),
                        MilDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(data.Slice(2 * i)),
                        MilDType.Int8 => unchecked((sbyte)data[i]),
                        _ => data[i],
                    };
                }
                return MilTensor.OfInts(dtype, shape, v);
            }
        }
    }
}

/// <summary>
/// Writes a weight.bin (storage format v2): a 64-byte header, then per blob a 64-byte-aligned
/// metadata record immediately followed by its data, densely packed with zero padding
/// (coreml-format.md §4.4). Identical blobs (same type and bytes) are stored once.
/// </summary>
public sealed class WeightBlobWriter
{
    private readonly MemoryStream _stream = new();
    private readonly Dictionary<BlobKey, ulong> _offsets = new();

    public WeightBlobWriter()
    {
        _stream.Write(new byte[WeightBlobFormat.HeaderSize]);
    }

    /// <summary>Number of distinct blobs written.</summary>
    public int Count { get; private set; }

    /// <summary>Current file length in bytes.</summary>
    public long Length => _stream.Length;

    /// <summary>Stores a tensor (fp16/fp32/int8/uint8/int16/int32) and returns its metadata offset.</summary>
    public ulong Add(MilTensor tensor)
    {
        var code = WeightBlobFormat.BlobTypeOf(tensor.DType)
            ?? throw new ArgumentException($"A {tensor.DType} tensor cannot be stored in weight.bin.");
        return Add(code, WeightBlobFormat.Encode(tensor));
    }

    /// <summary>Stores raw element bytes with their type code; returns the offset of the blob's metadata record.</summary>
    public ulong Add(BlobDataType dataType, byte[] data)
    {
        var key = new BlobKey(dataType, data);
        if (_offsets.TryGetValue(key, out ulong existing)) return existing;

        long meta = WeightBlobFormat.Align(_stream.Length);
        _stream.Position = _stream.Length;
        while (_stream.Length < meta) _stream.WriteByte(0);

        Span<byte> record = stackalloc byte[WeightBlobFormat.MetadataSize];
        record.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(record, WeightBlobFormat.Sentinel);
        BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(4), (uint)dataType);
        BinaryPrimitives.WriteUInt64LittleEndian(record.Slice(8), (ulong)data.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(record.Slice(16), (ulong)(meta + WeightBlobFormat.MetadataSize));
        _stream.Write(record);
        _stream.Write(data);

        Count++;
        _offsets.Add(key, (ulong)meta);
        return (ulong)meta;
    }

    /// <summary>The complete file.</summary>
    public byte[] ToArray()
    {
        var bytes = _stream.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)Count);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), WeightBlobFormat.Version);
        return bytes;
    }

    private sealed class BlobKey : IEquatable<BlobKey>
    {
        private readonly BlobDataType _type;
        private readonly byte[] _data;
        private readonly int _hash;

        public BlobKey(BlobDataType type, byte[] data)
        {
            _type = type;
            _data = data;
            var h = new HashCode();
            h.Add(type);
            h.Add(data.Length);
            h.AddBytes(data);
            _hash = h.ToHashCode();
        }

        public bool Equals(BlobKey? other) =>
            other is not null && other._type == _type && other._data.AsSpan().SequenceEqual(_data);
        public override bool Equals(object? obj) => Equals(obj as BlobKey);
        public override int GetHashCode() => _hash;
    }
}

/// <summary>
/// Reads and validates a weight.bin (storage format v2). The constructor checks the header and
/// walks every metadata record the header announces, the way the reference reader enumerates
/// blobs (first record at 64, each next one at align64(data offset + size)).
/// </summary>
public sealed class WeightBlobReader
{
    private readonly byte[] _bytes;
    private readonly Dictionary<ulong, WeightBlobRecord> _byOffset = new();

    /// <param name="bytes">The whole file.</param>
    /// <param name="fileLabel">Name used in error messages.</param>
    public WeightBlobReader(byte[] bytes, string fileLabel = WeightBlobFormat.DefaultFileName)
    {
        _bytes = bytes;
        FileLabel = fileLabel;
        long len = bytes.Length;
        if (len < WeightBlobFormat.HeaderSize)
            throw new MlPackageException($"{fileLabel}: storage header: the file is {len} bytes long, shorter than the 64-byte header (truncated file)");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
        if (version != WeightBlobFormat.Version)
            throw new MlPackageException($"{fileLabel}: storage header: version is {version}, expected {WeightBlobFormat.Version}");

        var records = new List<WeightBlobRecord>();
        long meta = WeightBlobFormat.HeaderSize;
        for (uint i = 0; i < count; i++)
        {
            if (meta + WeightBlobFormat.MetadataSize > len)
                throw new MlPackageException(
                    $"{fileLabel}: storage header: count is {count} but blob metadata record #{i} at offset {meta} would end at {meta + WeightBlobFormat.MetadataSize}, past the end of the file ({len} bytes; truncated file)");
            var m = bytes.AsSpan((int)meta, WeightBlobFormat.MetadataSize);
            uint sentinel = BinaryPrimitives.ReadUInt32LittleEndian(m);
            if (sentinel != WeightBlobFormat.Sentinel)
                throw new MlPackageException($"{fileLabel}: blob metadata at offset {meta} has sentinel 0x{sentinel:X8}, expected 0xDEADBEEF");
            uint code = BinaryPrimitives.ReadUInt32LittleEndian(m.Slice(4));
            if (code < 1 || code > 17)
                throw new MlPackageException($"{fileLabel}: blob metadata at offset {meta}: mil_dtype code {code} is not a known BlobDataType (1..17)");
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(m.Slice(8));
            ulong dataOffset = BinaryPrimitives.ReadUInt64LittleEndian(m.Slice(16));
            ulong paddingBits = BinaryPrimitives.ReadUInt64LittleEndian(m.Slice(24));
            if (dataOffset != (ulong)(meta + WeightBlobFormat.MetadataSize))
                throw new MlPackageException(
                    $"{fileLabel}: blob metadata at offset {meta}: data offset is {dataOffset}, expected {meta + WeightBlobFormat.MetadataSize} (the data must directly follow its 64-byte metadata record)");
            if (paddingBits >= 8)
                throw new MlPackageException($"{fileLabel}: blob metadata at offset {meta}: padding_size_in_bits is {paddingBits}, must be < 8");
            if (size > (ulong)len || dataOffset + size > (ulong)len)
                throw new MlPackageException(
                    $"{fileLabel}: blob metadata at offset {meta}: sizeInBytes {size} at data offset {dataOffset} runs past the end of the file ({len} bytes; truncated file)");
            var rec = new WeightBlobRecord((ulong)meta, (BlobDataType)code, size, dataOffset);
            records.Add(rec);
            _byOffset.Add(rec.MetadataOffset, rec);
            meta = WeightBlobFormat.Align((long)(dataOffset + size));
        }
        Records = records;
    }

    public string FileLabel { get; }

    /// <summary>File length in bytes.</summary>
    public long Length => _bytes.Length;

    /// <summary>All blobs, in file order.</summary>
    public IReadOnlyList<WeightBlobRecord> Records { get; }

    /// <summary>The data bytes of a blob.</summary>
    public ReadOnlySpan<byte> Data(WeightBlobRecord record) => _bytes.AsSpan((int)record.DataOffset, (int)record.SizeInBytes);

    /// <summary>
    /// Finds the blob whose metadata record is at <paramref name="offset"/>; otherwise explains
    /// what the offset points at. <paramref name="where"/> prefixes error messages (file: field).
    /// </summary>
    public WeightBlobRecord RecordAt(ulong offset, string where)
    {
        if (_byOffset.TryGetValue(offset, out var rec)) return rec;
        if (offset >= (ulong)_bytes.Length)
            throw new MlPackageException($"{where}: offset {offset} is outside {FileLabel} ({_bytes.Length} bytes)");
        if (offset < WeightBlobFormat.HeaderSize)
            throw new MlPackageException($"{where}: offset {offset} points into the storage header of {FileLabel}; it must be the offset of a blob metadata record");
        foreach (var r in Records)
        {
            if (offset > r.MetadataOffset && offset < r.DataOffset)
                throw new MlPackageException($"{where}: offset {offset} points inside the blob metadata record at {r.MetadataOffset} in {FileLabel}; it must be the offset of a metadata record");
            if (offset >= r.DataOffset && offset < r.DataOffset + Math.Max(r.SizeInBytes, 1))
                throw new MlPackageException(
                    $"{where}: offset {offset} points at data (of the blob whose metadata record is at {r.MetadataOffset}) in {FileLabel}; it must be the offset of the 64-byte metadata record, not of the data");
        }
        throw new MlPackageException($"{where}: offset {offset} is not the offset of any blob metadata record in {FileLabel} (records are at {string.Join(", ", Records.Select(r => r.MetadataOffset))})");
    }

    /// <summary>Reads the blob at metadata offset <paramref name="offset"/> as a tensor, checking its type and size.</summary>
    public MilTensor ReadTensor(ulong offset, MilDType dtype, int[] shape, string where)
    {
        var rec = RecordAt(offset, where);
        var expected = WeightBlobFormat.BlobTypeOf(dtype)
            ?? throw new MlPackageException($"{where}: a {dtype.TextName()} const cannot be stored in a blob file");
        if (rec.DataType != expected)
            throw new MlPackageException(
                $"{where}: blob metadata at offset {offset} in {FileLabel} has mil_dtype {(uint)rec.DataType} ({rec.DataType}) but the const's type is {dtype.TextName()} (mil_dtype {(uint)expected})");
        long count = shape.Aggregate(1L, (a, d) => a * d);
        long want = count * WeightBlobFormat.ElementSize(dtype);
        if (rec.SizeInBytes != (ulong)want)
            throw new MlPackageException(
                $"{where}: blob metadata at offset {offset} in {FileLabel} has sizeInBytes {rec.SizeInBytes}, expected {count} elements × {WeightBlobFormat.ElementSize(dtype)} bytes = {want} for {dtype.TextName()}[{string.Join(",", shape)}]");
        return WeightBlobFormat.Decode(dtype, shape, Data(rec));
    }
}

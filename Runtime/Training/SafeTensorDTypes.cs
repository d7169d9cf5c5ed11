using System;
using System.Buffers.Binary;

namespace TrainingGen;

/// <summary>
/// The safetensors dtypes TrainingGen reads and writes, and their little-endian encodings:
/// floating point F32, F16, BF16, F64 (held as fp32) and integer I64, I32, U8, BOOL (held as
/// int64; BOOL is one byte, 0 or 1). One table, so reading and writing cannot drift apart.
/// </summary>
internal static class SafeTensorDTypes
{
    public const string Supported = "F32, F16, BF16, F64, I64, I32, U8 and BOOL";

    /// <summary>Bytes per element, or 0 for a dtype this build does not handle.</summary>
    public static int Size(string dtype) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" => 2,
        "U8" or "BOOL" => 1,
        _ => 0,
    };

    public static bool IsInteger(string dtype) => dtype is "I64" or "I32" or "U8" or "BOOL";

    /// <summary>The index of the first value <paramref name="dtype"/> cannot hold, or −1.</summary>
    public static int FirstOutOfRange(string dtype, long[] values)
    {
        (long min, long max) = dtype switch
        {
            "I32" => ((long)int.MinValue, (long)int.MaxValue),
            "U8" => (0L, 255L),
            "BOOL" => (0L, 1L),
            _ => (long.MinValue, long.MaxValue),
        };
        for (int i = 0; i < values.Length; i++)
            if (values[i] < min || values[i] > max) return i;
        return -1;
    }

    /// <summary>The tensor's data section (its dtype and values already checked).</summary>
    public static byte[] Encode(SafeTensor t)
    {
        int size = Size(t.DType);
        int count = IsInteger(t.DType) ? t.Integers!.Length : t.Values.Length;
        var bytes = new byte[(long)size * count];
        var span = bytes.AsSpan();
        for (int i = 0; i < count; i++)
        {
            switch (t.DType)
            {
                case "F32": BinaryPrimitives.WriteSingleLittleEndian(span.Slice(4 * i), t.Values[i]); break;
                case "F64": BinaryPrimitives.WriteDoubleLittleEndian(span.Slice(8 * i), t.Values[i]); break;
                case "F16": BinaryPrimitives.WriteHalfLittleEndian(span.Slice(2 * i), (Half)t.Values[i]); break;
                case "BF16": BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(2 * i), ToBFloat16(t.Values[i])); break;
                case "I64": BinaryPrimitives.WriteInt64LittleEndian(span.Slice(8 * i), t.Integers![i]); break;
                case "I32": BinaryPrimitives.WriteInt32LittleEndian(span.Slice(4 * i), (int)t.Integers![i]); break;
                default: span[i] = (byte)t.Integers![i]; break; // U8, BOOL
            }
        }
        return bytes;
    }

    /// <summary>
    /// Decodes <paramref name="count"/> elements: fp32 values always, exact integers for an integer
    /// dtype. A BOOL byte other than 0 or 1 is reported through <paramref name="badBool"/> (its index).
    /// </summary>
    public static (float[] Values, long[]? Integers) Decode(string dtype, ReadOnlySpan<byte> src, long count, out int badBool)
    {
        badBool = -1;
        var values = new float[count];
        long[]? ints = IsInteger(dtype) ? new long[count] : null;
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case "F32": values[i] = BinaryPrimitives.ReadSingleLittleEndian(src.Slice(4 * i)); break;
                case "F16": values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src.Slice(2 * i)); break;
                case "BF16": values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src.Slice(2 * i)) << 16); break;
                case "F64": values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src.Slice(8 * i)); break;
                case "I64": ints![i] = BinaryPrimitives.ReadInt64LittleEndian(src.Slice(8 * i)); break;
                case "I32": ints![i] = BinaryPrimitives.ReadInt32LittleEndian(src.Slice(4 * i)); break;
                default:
                    ints![i] = src[i]; // U8, BOOL
                    if (dtype == "BOOL" && src[i] > 1 && badBool < 0) badBool = i;
                    break;
            }
            if (ints is not null) values[i] = ints[i];
        }
        return (values, ints);
    }

    // Round to nearest, ties to even, on the upper 16 bits; NaN stays a (quiet) NaN.
    private static ushort ToBFloat16(float f)
    {
        uint bits = (uint)BitConverter.SingleToInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}

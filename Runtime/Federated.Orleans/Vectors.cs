using System;
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Orleans;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Serializers;
using Orleans.Serialization.WireProtocol;

namespace TrainingGen.Federated.Cluster;

// Parameter vectors cross the network as one length-prefixed run of little-endian bytes (what the
// array already holds in memory), not element by element as Orleans' generic array codec writes
// them: the send side copies nothing, and the wire size is exactly 4 or 8 bytes per value.
// Both types are [Immutable], so calls within a silo share the array instead of copying it.

/// <summary>A float32 vector on the wire (the central parameters). Wraps the array without copying.</summary>
[Immutable]
public sealed class FloatVector(float[] values)
{
    /// <summary>The values.</summary>
    public float[] Values { get; } = values ?? throw new ArgumentNullException(nameof(values));
}

/// <summary>A float64 vector on the wire (a block's sums). Wraps the array without copying.</summary>
[Immutable]
public sealed class DoubleVector(double[] values)
{
    /// <summary>The values.</summary>
    public double[] Values { get; } = values ?? throw new ArgumentNullException(nameof(values));
}

/// <summary>Orleans codec of <see cref="FloatVector"/>: u32 byte count, then the raw values.</summary>
[RegisterSerializer]
public sealed class FloatVectorCodec : IFieldCodec<FloatVector>
{
    /// <inheritdoc/>
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [AllowNull] Type expectedType, [AllowNull] FloatVector value) where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value)) return;
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(FloatVector), WireType.LengthPrefixed);
        VectorBytes.Write(ref writer, MemoryMarshal.AsBytes(value!.Values.AsSpan()));
    }

    /// <inheritdoc/>
    [return: MaybeNull]
    public FloatVector ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference) return ReferenceCodec.ReadReference<FloatVector, TInput>(ref reader, field);
        field.EnsureWireType(WireType.LengthPrefixed);
        var result = new FloatVector(new float[VectorBytes.Count(ref reader, sizeof(float))]);
        reader.ReadBytes(MemoryMarshal.AsBytes(result.Values.AsSpan()));
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }
}

/// <summary>Orleans codec of <see cref="DoubleVector"/>: u32 byte count, then the raw values.</summary>
[RegisterSerializer]
public sealed class DoubleVectorCodec : IFieldCodec<DoubleVector>
{
    /// <inheritdoc/>
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [AllowNull] Type expectedType, [AllowNull] DoubleVector value) where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value)) return;
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(DoubleVector), WireType.LengthPrefixed);
        VectorBytes.Write(ref writer, MemoryMarshal.AsBytes(value!.Values.AsSpan()));
    }

    /// <inheritdoc/>
    [return: MaybeNull]
    public DoubleVector ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference) return ReferenceCodec.ReadReference<DoubleVector, TInput>(ref reader, field);
        field.EnsureWireType(WireType.LengthPrefixed);
        var result = new DoubleVector(new double[VectorBytes.Count(ref reader, sizeof(double))]);
        reader.ReadBytes(MemoryMarshal.AsBytes(result.Values.AsSpan()));
        ReferenceCodec.RecordObject(reader.Session, result);
        return result;
    }
}

internal static class VectorBytes
{
    public static void Write<TBufferWriter>(ref Writer<TBufferWriter> writer, ReadOnlySpan<byte> bytes) where TBufferWriter : IBufferWriter<byte>
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Parameter vectors are sent as little-endian bytes; this machine is big-endian.");
        writer.WriteVarUInt32((uint)bytes.Length);
        writer.Write(bytes);
    }

    public static int Count<TInput>(ref Reader<TInput> reader, int elementSize)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Parameter vectors are sent as little-endian bytes; this machine is big-endian.");
        uint bytes = reader.ReadVarUInt32();
        if (bytes % elementSize != 0 || bytes > int.MaxValue)
            throw new InvalidOperationException($"A vector of {bytes} bytes is not a whole number of {elementSize}-byte values.");
        return (int)(bytes / elementSize);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Google.Protobuf;
using TrainingGen.Import.Onnx.Proto;

namespace TrainingGen.Import.Onnx;

/// <summary>
/// Reads an ONNX file (our own onnx.proto subset) into an <see cref="OnnxModel"/>. Every problem is an
/// <see cref="OnnxImportException"/> that says what is wrong and where: a file that is not protobuf or is
/// cut short, a protobuf message that is not an ONNX model, a tensor whose data does not fit its shape,
/// weights stored outside the file.
/// </summary>
public static class OnnxReader
{
    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    public static OnnxModel Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new OnnxImportException($"cannot read '{path}': {e.Message}", e);
        }
        return Read(bytes, path);
    }

    /// <summary>Reads and checks an ONNX model from bytes; <paramref name="path"/> only names it in messages.</summary>
    public static OnnxModel Read(byte[] bytes, string path)
    {
        if (bytes.Length == 0) throw new OnnxImportException($"'{path}' is empty, not an ONNX model.");
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"'{path}' is not an ONNX model or is truncated ({bytes.Length} bytes): the protobuf data is invalid ({e.Message.TrimEnd('.')}).", e);
        }
        // Protobuf accepts many byte strings (every field unknown); an ONNX model has an IR version, a graph and an opset.
        if (proto.IrVersion <= 0 || proto.Graph is null || proto.OpsetImport.Count == 0)
            throw new OnnxImportException($"'{path}' is not an ONNX model: " +
                (proto.IrVersion <= 0 ? "it has no IR version" : proto.Graph is null ? "it has no graph" : "it declares no operator set") + ".");
        var opset = proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw new OnnxImportException($"'{path}' imports no version of the default ONNX operator set (only {string.Join(", ", proto.OpsetImport.Select(o => o.Domain))}).");

        var g = proto.Graph;
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            if (t.Name.Length == 0) throw new OnnxImportException($"'{path}': an initializer has no name.");
            if (!initializers.TryAdd(t.Name, ReadTensor(t, path, $"initializer '{t.Name}'")))
                throw new OnnxImportException($"'{path}': initializer '{t.Name}' appears twice.");
        }
        var nodes = new List<OnnxNode>(g.Node.Count);
        foreach (var n in g.Node)
        {
            if (n.OpType.Length == 0) throw new OnnxImportException($"'{path}': node '{n.Name}' has no op type.");
            var attrs = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
            foreach (var a in n.Attribute)
                attrs[a.Name] = ReadAttribute(a, path, $"attribute '{a.Name}' of node '{n.Name}' ({n.OpType}, opset {opset.Version})");
            nodes.Add(new OnnxNode(n.Name, n.OpType, n.Domain, n.Input.ToList(), n.Output.ToList(), attrs));
        }
        return new OnnxModel(path, proto.IrVersion, opset.Version, (proto.ProducerName + " " + proto.ProducerVersion).Trim(),
            g.Input.Select(v => ReadValueInfo(v, path)).ToList(), g.Output.Select(v => ReadValueInfo(v, path)).ToList(), initializers, nodes);
    }

    private static OnnxValueInfo ReadValueInfo(ValueInfoProto v, string path)
    {
        if (v.Type is null || v.Type.ValueCase != TypeProto.ValueOneofCase.TensorType)
            throw new OnnxImportException($"'{path}': graph input/output '{v.Name}' is not a tensor (sequences, maps and optionals are not supported).");
        var tt = v.Type.TensorType;
        var shape = tt.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
            ? new OnnxDim(d.DimValue, null)
            : new OnnxDim(null, d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : null)).ToList();
        return new OnnxValueInfo(v.Name, (OnnxDataType)tt.ElemType, shape);
    }

    private static OnnxAttribute ReadAttribute(AttributeProto a, string path, string where)
    {
        var kind = a.Type switch
        {
            AttributeProto.Types.AttributeType.Float => OnnxAttributeKind.Float,
            AttributeProto.Types.AttributeType.Int => OnnxAttributeKind.Int,
            AttributeProto.Types.AttributeType.String => OnnxAttributeKind.String,
            AttributeProto.Types.AttributeType.Tensor => OnnxAttributeKind.Tensor,
            AttributeProto.Types.AttributeType.Floats => OnnxAttributeKind.Floats,
            AttributeProto.Types.AttributeType.Ints => OnnxAttributeKind.Ints,
            AttributeProto.Types.AttributeType.Strings => OnnxAttributeKind.Strings,
            _ => OnnxAttributeKind.Other,
        };
        return new OnnxAttribute(a.Name, kind, a.F, a.I, a.S.Length > 0 ? a.S.ToStringUtf8() : null,
            kind == OnnxAttributeKind.Tensor && a.T is not null ? ReadTensor(a.T, path, where) : null,
            a.Floats.Select(f => (double)f).ToList(), a.Ints.ToList());
    }

    /// <summary>A tensor's values from raw_data (little-endian) or the typed repeated field, checked against its shape.</summary>
    internal static OnnxTensor ReadTensor(TensorProto t, string path, string where)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new OnnxImportException($"'{path}': {where} keeps its data in an external file ({string.Join(", ", t.ExternalData.Select(e => e.Key + "=" + e.Value))}); re-export the model with the weights inside (torch.onnx.export does this below 2 GB).");
        var dims = t.Dims.ToArray();
        if (dims.Any(d => d < 0)) throw new OnnxImportException($"'{path}': {where} has a negative dimension in [{string.Join(", ", dims)}].");
        long count = dims.Aggregate(1L, (x, d) => x * d);
        var type = (OnnxDataType)t.DataType;
        double[] values;
        var raw = t.RawData.Span;
        if (!t.RawData.IsEmpty)
        {
            int size = type switch
            {
                OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
                OnnxDataType.Double or OnnxDataType.Int64 or OnnxDataType.UInt64 => 8,
                OnnxDataType.Float16 or OnnxDataType.BFloat16 or OnnxDataType.Int16 or OnnxDataType.UInt16 => 2,
                OnnxDataType.Int8 or OnnxDataType.UInt8 or OnnxDataType.Bool => 1,
                _ => throw new OnnxImportException($"'{path}': {where} has element type {type}, which the importer does not read."),
            };
            if (raw.Length != count * size)
                throw new OnnxImportException($"'{path}': {where} has {raw.Length} bytes of data but its shape [{string.Join(", ", dims)}] of {type} needs {count * size}; the file is damaged.");
            values = new double[count];
            for (int i = 0; i < count; i++)
            {
                var s = raw.Slice(i * size, size);
                values[i] = type switch
                {
                    OnnxDataType.Float => BitConverter.ToSingle(s),
                    OnnxDataType.Double => BitConverter.ToDouble(s),
                    OnnxDataType.Int32 => BitConverter.ToInt32(s),
                    OnnxDataType.UInt32 => BitConverter.ToUInt32(s),
                    OnnxDataType.Int64 => BitConverter.ToInt64(s),
                    OnnxDataType.UInt64 => BitConverter.ToUInt64(s),
                    OnnxDataType.Float16 => (double)BitConverter.ToHalf(s),
                    OnnxDataType.BFloat16 => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(s) << 16),
                    OnnxDataType.Int16 => BitConverter.ToInt16(s),
                    OnnxDataType.UInt16 => BitConverter.ToUInt16(s),
                    OnnxDataType.Int8 => (sbyte)s[0],
                    _ => s[0],
                };
            }
        }
        else
        {
            values = type switch
            {
                OnnxDataType.Float => t.FloatData.Select(v => (double)v).ToArray(),
                OnnxDataType.Double => t.DoubleData.ToArray(),
                OnnxDataType.Int64 => t.Int64Data.Select(v => (double)v).ToArray(),
                OnnxDataType.UInt64 or OnnxDataType.UInt32 => t.Uint64Data.Select(v => (double)v).ToArray(),
                OnnxDataType.Int32 or OnnxDataType.Int16 or OnnxDataType.Int8 or OnnxDataType.UInt16 or OnnxDataType.UInt8 or OnnxDataType.Bool
                    => t.Int32Data.Select(v => (double)v).ToArray(),
                OnnxDataType.Float16 => t.Int32Data.Select(v => (double)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
                OnnxDataType.BFloat16 => t.Int32Data.Select(v => (double)BitConverter.Int32BitsToSingle(v << 16)).ToArray(),
                _ => throw new OnnxImportException($"'{path}': {where} has element type {type}, which the importer does not read."),
            };
            if (values.Length != count)
                throw new OnnxImportException($"'{path}': {where} has {values.Length} values but its shape [{string.Join(", ", dims)}] needs {count}; the file is damaged.");
        }
        return new OnnxTensor(t.Name, type, dims, values);
    }
}

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace TrainingGen.Data;

/// <summary>Loads a CSV file of numbers into an <see cref="InMemoryDataset"/>.</summary>
public static class CsvDataset
{
    /// <summary>
    /// Reads <paramref name="path"/>: one sample per line, numbers in invariant culture separated by
    /// <paramref name="separator"/>. The column <paramref name="labelColumn"/> (0-based; negative counts
    /// from the end, −1 = last) is the label — a class index (label shape <c>[]</c>), or, with
    /// <paramref name="oneHotClasses"/>, one-hot of that many classes; every other column is a
    /// feature. With <paramref name="hasHeader"/> the first line is skipped. Empty lines are ignored.
    /// Errors name the file, line and column.
    /// </summary>
    public static InMemoryDataset Load(string path, int labelColumn = -1, bool hasHeader = false, char separator = ',', int? oneHotClasses = null)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        var features = new List<float>();
        var labels = new List<float>();
        int columns = -1, lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            if (hasHeader && lineNo == 1) continue;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var cells = line.Split(separator);
            if (columns < 0)
            {
                columns = cells.Length;
                if (columns < 2) throw new FormatException($"{path}:{lineNo}: a sample needs at least one feature column and a label column.");
            }
            else if (cells.Length != columns)
                throw new FormatException($"{path}:{lineNo}: {cells.Length} columns, but the first sample has {columns}.");
            int lc = labelColumn < 0 ? columns + labelColumn : labelColumn;
            if (lc < 0 || lc >= columns) throw new ArgumentOutOfRangeException(nameof(labelColumn), labelColumn, $"The file has {columns} columns.");
            for (int c = 0; c < columns; c++)
            {
                if (!float.TryParse(cells[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new FormatException($"{path}:{lineNo}: column {c + 1} ('{cells[c]}') is not a number.");
                if (c != lc) { features.Add(v); continue; }
                if (oneHotClasses is int k)
                {
                    int cls = (int)v;
                    if (cls != v || cls < 0 || cls >= k) throw new FormatException($"{path}:{lineNo}: label {cells[c]} is not a class index below {k}.");
                    for (int j = 0; j < k; j++) labels.Add(j == cls ? 1f : 0f);
                }
                else labels.Add(v);
            }
        }
        if (columns < 0) throw new FormatException($"{path}: no samples.");
        return new InMemoryDataset(features.ToArray(), new[] { columns - 1 }, labels.ToArray(),
            oneHotClasses is int n ? new[] { n } : Array.Empty<int>());
    }
}

/// <summary>
/// The IDX format of MNIST and its family (Fashion-MNIST, KMNIST, EMNIST): a big-endian header
/// <c>00 00 type rank</c>, <c>rank</c> big-endian int32 dimensions, then the values big-endian.
/// Files may be gzip-compressed (detected by the 1F 8B magic).
/// </summary>
public static class IdxFile
{
    /// <summary>Reads an IDX file; returns its shape and its values as floats.</summary>
    public static (int[] Shape, float[] Values) Read(string path)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            bytes = ms.ToArray();
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses IDX bytes (uncompressed). <paramref name="source"/> names the data in errors.</summary>
    public static (int[] Shape, float[] Values) Parse(ReadOnlySpan<byte> bytes, string source = "IDX data")
    {
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new FormatException($"{source}: not an IDX file (the first two bytes must be zero).");
        byte type = bytes[2];
        int rank = bytes[3];
        int size = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8,
            _ => throw new FormatException($"{source}: unknown IDX element type 0x{type:X2}.") };
        if (bytes.Length < 4 + 4 * rank) throw new FormatException($"{source}: truncated header ({rank} dimensions declared).");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(4 + 4 * i));
            if (shape[i] < 0) throw new FormatException($"{source}: dimension {i} is negative ({shape[i]}).");
            count *= shape[i];
        }
        int offset = 4 + 4 * rank;
        long expected = offset + count * size;
        if (bytes.Length < expected)
            throw new FormatException($"{source}: truncated: shape [{string.Join(", ", shape)}] needs {expected} bytes, the file has {bytes.Length}.");
        var values = new float[count];
        var data = bytes.Slice(offset);
        for (int i = 0; i < values.Length; i++)
            values[i] = type switch
            {
                0x08 => data[i],
                0x09 => (sbyte)data[i],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(data.Slice(2 * i)),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(data.Slice(4 * i)),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(data.Slice(4 * i)),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(data.Slice(8 * i)),
            };
        return (shape, values);
    }

    /// <summary>
    /// An image/label pair (e.g. <c>train-images-idx3-ubyte.gz</c>, <c>train-labels-idx1-ubyte.gz</c>) as a
    /// data set: features [rows, cols] (or flat [rows·cols] with <paramref name="flatten"/>) multiplied by
    /// <paramref name="scale"/> (1/255 maps bytes to [0, 1]); labels are class indices (shape <c>[]</c>).
    /// </summary>
    public static InMemoryDataset LoadDataset(string imagesPath, string labelsPath, float scale = 1f / 255, bool flatten = false)
    {
        var (ishape, images) = Read(imagesPath);
        var (lshape, labels) = Read(labelsPath);
        if (ishape.Length < 2) throw new FormatException($"{imagesPath}: images need at least 2 dimensions, got {ishape.Length}.");
        if (lshape.Length != 1) throw new FormatException($"{labelsPath}: labels need 1 dimension, got {lshape.Length}.");
        if (ishape[0] != lshape[0]) throw new FormatException($"{imagesPath} has {ishape[0]} images but {labelsPath} has {lshape[0]} labels.");
        if (scale != 1f) for (int i = 0; i < images.Length; i++) images[i] *= scale;
        var sample = ishape.Skip(1).ToArray();
        if (flatten) sample = new[] { ShapeUtil.Count(sample) };
        return new InMemoryDataset(images, sample, labels, Array.Empty<int>());
    }

    /// <summary>Writes an uncompressed IDX file of unsigned bytes (type 0x08), e.g. for tests and small exports.</summary>
    public static void WriteBytes(string path, int[] shape, ReadOnlySpan<byte> values)
    {
        var header = new byte[4 + 4 * shape.Length];
        header[2] = 0x08; header[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), shape[i]);
        if (values.Length != ShapeUtil.Count(shape)) throw new ArgumentException($"Shape [{string.Join(", ", shape)}] needs {ShapeUtil.Count(shape)} values, got {values.Length}.");
        using var f = File.Create(path);
        f.Write(header);
        f.Write(values);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace TrainingGen.Import.Tests;

/// <summary>A tensor of a fixture's safetensors file, widened to double (F32, F64 and I64 are read).</summary>
/// <remarks><see cref="Int64s"/>: the exact values of an I64 tensor (null for floating types).</remarks>
public sealed record RefTensor(string Name, string DType, int[] Shape, double[] Values, long[]? Int64s = null)
{
    public float[] Floats => Values.Select(v => (float)v).ToArray();
}

/// <summary>
/// Reads the fixtures' safetensors files independently of the runtime's reader (which reads floating
/// types only; the fixtures hold int64 labels, tokens and num_batches_tracked).
/// </summary>
public static class RefSafeTensors
{
    public static Dictionary<string, RefTensor> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        var result = new Dictionary<string, RefTensor>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            string dtype = p.Value.GetProperty("dtype").GetString()!;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            int start = (int)(8 + n + off[0]), count = shape.Aggregate(1, (a, b) => a * b);
            var values = new double[count];
            var int64s = dtype == "I64" ? new long[count] : null;
            for (int i = 0; i < count; i++)
                values[i] = dtype switch
                {
                    "F32" => BitConverter.ToSingle(bytes, start + 4 * i),
                    "F64" => BitConverter.ToDouble(bytes, start + 8 * i),
                    "I64" => int64s![i] = BitConverter.ToInt64(bytes, start + 8 * i),
                    _ => throw new NotSupportedException($"{path}: {p.Name} has dtype {dtype}"),
                };
            result[p.Name] = new RefTensor(p.Name, dtype, shape, values, int64s);
        }
        return result;
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>
/// The interpreter's working value: a dense row-major array whose numeric elements are held as
/// <see cref="double"/> whatever the MIL dtype (bools as 0/1, integers exactly). String tensors
/// (op parameters such as <c>pad_type</c>) keep their text in <see cref="Strings"/>.
/// The numbers are always already representable in <see cref="DType"/> (see <see cref="Store"/>).
/// </summary>
internal sealed class NdArray
{
    public NdArray(MilDType dtype, int[] shape, double[] data)
    {
        if (dtype == MilDType.String) throw new ArgumentException("Use the string constructor for string tensors.");
        int n = Shapes.Count(shape);
        if (data.Length != n)
            throw new ArgumentException($"A tensor of shape {Shapes.Text(shape)} needs {n} elements, got {data.Length}.");
        DType = dtype; Shape = shape; Data = data;
    }

    public NdArray(int[] shape, string[] strings)
    {
        int n = Shapes.Count(shape);
        if (strings.Length != n)
            throw new ArgumentException($"A tensor of shape {Shapes.Text(shape)} needs {n} elements, got {strings.Length}.");
        DType = MilDType.String; Shape = shape; Data = Array.Empty<double>(); Strings = strings;
    }

    public MilDType DType { get; }
    public int[] Shape { get; }
    public double[] Data { get; }
    public string[]? Strings { get; }
    public int Rank => Shape.Length;
    public int Count => Strings?.Length ?? Data.Length;
    public bool IsFloat => DType is MilDType.Float16 or MilDType.Float32 or MilDType.Float64;

    public string TypeText => $"{DType.TextName()}{Shapes.Text(Shape)}";

    public static NdArray FromTensor(MilTensor t)
    {
        int[] shape = (int[])t.Shape.Clone();
        if (t.DType == MilDType.String) return new NdArray(shape, (string[])t.Strings!.Clone());
        double[] data;
        if (t.Floats is not null) data = t.Floats.Select(v => (double)v).ToArray();
        else if (t.Ints is not null) data = t.Ints.Select(v => (double)v).ToArray();
        else if (t.Longs is not null) data = t.Longs.Select(v => (double)v).ToArray();
        else if (t.Bools is not null) data = t.Bools.Select(v => v ? 1.0 : 0.0).ToArray();
        else throw new ArgumentException($"MIL tensor {t} has no data.");
        // Normalise (e.g. an fp16 tensor built from unrounded floats elsewhere).
        for (int i = 0; i < data.Length; i++) data[i] = Round(t.DType, data[i]);
        return new NdArray(t.DType, shape, data);
    }

    public MilTensor ToTensor()
    {
        int[] shape = (int[])Shape.Clone();
        switch (DType)
        {
            case MilDType.String: return MilTensor.String(shape, (string[])Strings!.Clone());
            case MilDType.Bool: return MilTensor.Bool(shape, Data.Select(v => v != 0).ToArray());
            case MilDType.Float16: return MilTensor.Float16(shape, Data.Select(v => (float)v).ToArray());
            case MilDType.Float32: return MilTensor.Float32(shape, Data.Select(v => (float)v).ToArray());
            case MilDType.Float64: return MilTensor.Float64(shape, Data.Select(v => (float)v).ToArray());
            case MilDType.Int64: return MilTensor.Int64(shape, Data.Select(v => (long)v).ToArray());
            case MilDType.Int8:
            case MilDType.Int16:
            case MilDType.Int32:
            case MilDType.UInt8:
                return MilTensor.OfInts(DType, shape, Data.Select(v => (int)v).ToArray());
            default: throw new NotSupportedException($"Cannot convert a {DType.TextName()} tensor.");
        }
    }

    /// <summary>
    /// Stores computed values in <paramref name="dtype"/>: fp16 rounds to half, fp32 to single,
    /// integer types truncate toward zero (NumPy <c>astype</c>) and must be finite and in range,
    /// bool is <c>v != 0</c>.
    /// </summary>
    public static NdArray Store(MilDType dtype, int[] shape, double[] data)
    {
        var o = new double[data.Length];
        for (int i = 0; i < o.Length; i++) o[i] = Round(dtype, data[i]);
        return new NdArray(dtype, shape, o);
    }

    /// <summary>Converts an existing array to <paramref name="dtype"/> (see <see cref="Store"/>).</summary>
    public NdArray As(MilDType dtype)
    {
        if (dtype == DType) return this;
        if (dtype == MilDType.String || DType == MilDType.String)
            throw new InvalidOperationException($"Cannot convert {DType.TextName()} to {dtype.TextName()}.");
        return Store(dtype, Shape, Data);
    }

    public NdArray Reshaped(int[] shape) =>
        Strings is not null ? new NdArray(shape, Strings) : new NdArray(DType, shape, Data);

    public static double Round(MilDType dtype, double v)
    {
        switch (dtype)
        {
            case MilDType.Float16: return (double)(Half)v;
            case MilDType.Float32: return (float)v;
            case MilDType.Float64: return v;
            case MilDType.Bool: return v != 0 ? 1.0 : 0.0;
            case MilDType.Int8: return ToInteger(v, sbyte.MinValue, sbyte.MaxValue, dtype);
            case MilDType.Int16: return ToInteger(v, short.MinValue, short.MaxValue, dtype);
            case MilDType.Int32: return ToInteger(v, int.MinValue, int.MaxValue, dtype);
            case MilDType.UInt8: return ToInteger(v, byte.MinValue, byte.MaxValue, dtype);
            case MilDType.Int64: return ToInteger(v, -9.2233720368547758e18, 9.2233720368547748e18, dtype);
            default: throw new NotSupportedException($"Values of type {dtype.TextName()} cannot be stored.");
        }
    }

    private static double ToInteger(double v, double min, double max, MilDType dtype)
    {
        if (double.IsNaN(v) || double.IsInfinity(v))
            throw new OverflowException($"The non-finite value {v} cannot be stored as {dtype.TextName()}.");
        double t = Math.Truncate(v);
        if (t < min || t > max)
            throw new OverflowException($"The value {v} is out of range for {dtype.TextName()}.");
        return t;
    }
}

/// <summary>Shape arithmetic shared by the op families.</summary>
internal static class Shapes
{
    public static int Count(int[] shape)
    {
        int n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension in shape {Text(shape)}.");
            n = checked(n * d);
        }
        return n;
    }

    public static string Text(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";
    public static string Text(IEnumerable<long> shape) => "[" + string.Join(", ", shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    /// <summary>Row-major strides (in elements).</summary>
    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>The multi-index of a flat row-major position.</summary>
    public static int[] Unravel(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            int d = shape[i];
            if (d == 0) return idx;
            idx[i] = flat % d;
            flat /= d;
        }
        return idx;
    }

    public static int Ravel(int[] idx, int[] shape)
    {
        int flat = 0;
        for (int i = 0; i < shape.Length; i++) flat = flat * shape[i] + idx[i];
        return flat;
    }

    /// <summary>NumPy broadcasting of several shapes; null if they do not broadcast.</summary>
    public static int[]? Broadcast(params int[][] shapes)
    {
        int r = shapes.Max(s => s.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int d = 1;
            foreach (var s in shapes)
            {
                int k = i - (r - s.Length);
                int ds = k < 0 ? 1 : s[k];
                if (ds == d || ds == 1) continue;
                if (d == 1) { d = ds; continue; }
                return null;
            }
            o[i] = d;
        }
        return o;
    }

    /// <summary>
    /// For each flat position of <paramref name="outShape"/>, the flat position of the element of
    /// a tensor of shape <paramref name="src"/> that NumPy broadcasting reads there.
    /// </summary>
    public static int[] BroadcastMap(int[] src, int[] outShape)
    {
        int r = outShape.Length, off = r - src.Length;
        var srcStrides = Strides(src);
        int n = Count(outShape);
        var map = new int[n];
        for (int flat = 0; flat < n; flat++)
        {
            var idx = Unravel(flat, outShape);
            int s = 0;
            for (int i = 0; i < src.Length; i++)
                if (src[i] != 1) s += idx[i + off] * srcStrides[i];
            map[flat] = s;
        }
        return map;
    }

    /// <summary>Normalises a possibly negative axis for a tensor of rank <paramref name="rank"/>; -1 if out of range.</summary>
    public static int Axis(int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        return a >= 0 && a < rank ? a : -1;
    }
}

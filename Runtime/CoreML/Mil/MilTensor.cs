using System;
using System.Linq;

namespace TrainingGen.CoreML.Mil;

/// <summary>
/// A dense MIL value: element type, shape and row-major data. Used for const payloads, for
/// function inputs/outputs of the Evaluator and inside the interpreter.
/// Float16/Float32/Float64 data live in <see cref="Floats"/> (fp16 values are already rounded to
/// half precision); Int8/Int16/Int32/UInt8 in <see cref="Ints"/>; Int64 in <see cref="Longs"/>;
/// Bool in <see cref="Bools"/>; String in <see cref="Strings"/>.
/// </summary>
public sealed class MilTensor
{
    public MilDType DType { get; }
    public int[] Shape { get; }
    public float[]? Floats { get; }
    public int[]? Ints { get; }
    public long[]? Longs { get; }
    public bool[]? Bools { get; }
    public string[]? Strings { get; }

    private MilTensor(MilDType dtype, int[] shape, float[]? f, int[]? i, long[]? l, bool[]? b, string[]? s)
    {
        DType = dtype; Shape = shape; Floats = f; Ints = i; Longs = l; Bools = b; Strings = s;
        int n = Count;
        int actual = f?.Length ?? i?.Length ?? l?.Length ?? b?.Length ?? s?.Length ?? -1;
        if (actual != n)
            throw new ArgumentException($"MIL tensor of shape [{string.Join(",", shape)}] needs {n} elements, got {actual}.");
    }

    public int Rank => Shape.Length;
    public int Count => Shape.Aggregate(1, (a, d) => checked(a * d));

    public static MilTensor Float32(int[] shape, float[] data) => new(MilDType.Float32, (int[])shape.Clone(), data, null, null, null, null);
    public static MilTensor Float16(int[] shape, float[] data) => new(MilDType.Float16, (int[])shape.Clone(), data.Select(v => (float)(Half)v).ToArray(), null, null, null, null);
    public static MilTensor Float64(int[] shape, float[] data) => new(MilDType.Float64, (int[])shape.Clone(), data, null, null, null, null);
    public static MilTensor OfFloats(MilDType dtype, int[] shape, float[] data) => dtype switch
    {
        MilDType.Float16 => Float16(shape, data),
        MilDType.Float32 => Float32(shape, data),
        MilDType.Float64 => Float64(shape, data),
        _ => throw new ArgumentException($"{dtype} is not a floating-point type."),
    };
    public static MilTensor Int32(int[] shape, int[] data) => new(MilDType.Int32, (int[])shape.Clone(), null, data, null, null, null);
    public static MilTensor OfInts(MilDType dtype, int[] shape, int[] data) => new(dtype, (int[])shape.Clone(), null, data, null, null, null);
    public static MilTensor Int64(int[] shape, long[] data) => new(MilDType.Int64, (int[])shape.Clone(), null, null, data, null, null);
    public static MilTensor Bool(int[] shape, bool[] data) => new(MilDType.Bool, (int[])shape.Clone(), null, null, null, data, null);
    public static MilTensor String(int[] shape, string[] data) => new(MilDType.String, (int[])shape.Clone(), null, null, null, null, data);

    /// <summary>Rank-0 scalars, the form MIL uses for op parameters such as <c>axis</c>.</summary>
    public static MilTensor Scalar(float v) => Float32(Array.Empty<int>(), new[] { v });
    public static MilTensor Scalar(int v) => Int32(Array.Empty<int>(), new[] { v });
    public static MilTensor Scalar(bool v) => Bool(Array.Empty<int>(), new[] { v });
    public static MilTensor Scalar(string v) => String(Array.Empty<int>(), new[] { v });
    public static MilTensor Vector(params int[] v) => Int32(new[] { v.Length }, v);

    public MilTensorType Type => new(DType, Shape.Select(d => (long)d).ToArray());

    public override string ToString() => $"{DType.TextName()}[{string.Join(",", Shape)}]";
}

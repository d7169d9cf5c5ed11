using System;
using System.Linq;
using TrainingGen.Kernels;

namespace TrainingGen;

/// <summary>
/// A dense fp32 tensor, row-major. Its operators run eagerly, so a model's <c>Forward</c> also runs
/// as plain C#: that is the reference path the generated trainer is checked against.
/// </summary>
public sealed class Tensor : ITensorInput
{
    public Tensor(int[] shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = ElementCount(shape);
        if (n != data.Length)
            throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} needs {n} elements, got {data.Length}.");
        Shape = (int[])shape.Clone();
        Data = data;
    }

    /// <summary>A zero-filled tensor of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or the shape has more elements than an array can hold.</exception>
    public Tensor(params int[] shape) : this(shape, new float[ElementCount(shape)]) { }

    // Checks a shape before anything is allocated: each dimension ≥ 0, and a product an array can hold.
    internal static int ElementCount(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(shape), shape[i], $"Dimension {i} of shape {ShapeUtil.Format(shape)} is negative; tensor dimensions must be ≥ 0.");
            n *= shape[i];
            if (n > Array.MaxLength)
                throw new ArgumentOutOfRangeException(nameof(shape), $"Shape {ShapeUtil.Format(shape)} has more than {Array.MaxLength} elements, the most a tensor can hold.");
        }
        return (int)n;
    }

    /// <summary>The dimensions, outermost first.</summary>
    public int[] Shape { get; }
    /// <summary>The elements in row-major order (shared, not copied).</summary>
    public float[] Data { get; }
    public int Rank => Shape.Length;
    public int Count => Data.Length;
    /// <summary>Always <see cref="TensorDType.Float32"/>.</summary>
    public TensorDType DType => TensorDType.Float32;

    public float this[params int[] index]
    {
        get => Data[ShapeUtil.Offset(Shape, index)];
        set => Data[ShapeUtil.Offset(Shape, index)] = value;
    }

    public static Tensor Scalar(float v) => new(Array.Empty<int>(), new[] { v });
    public static Tensor FromArray(float[,] values)
    {
        int r = values.GetLength(0), c = values.GetLength(1);
        var t = new Tensor(r, c);
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t.Data[i * c + j] = values[i, j];
        return t;
    }

    /// <summary>
    /// A tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/> (row-major), e.g.
    /// from a slice of a larger buffer. (<c>new Tensor(shape, array)</c> uses the array itself.)
    /// </summary>
    /// <exception cref="ArgumentException">The shape needs a different number of values.</exception>
    public static Tensor FromSpan(ReadOnlySpan<float> values, params int[] shape)
    {
        var t = new Tensor(shape);
        if (values.Length != t.Count)
            throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} needs {t.Count} values, got {values.Length}.", nameof(values));
        values.CopyTo(t.Data);
        return t;
    }

    /// <summary>The single value of a tensor with one element.</summary>
    public float ToScalar() => Count == 1 ? Data[0] : throw new InvalidOperationException($"ToScalar() needs one element; this tensor is {ShapeUtil.Format(Shape)}.");

    public Tensor Clone() => new(Shape, (float[])Data.Clone());

    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);
    public static Tensor operator -(Tensor a) => Ops.Neg(a);
    public static Tensor operator *(float s, Tensor a) => Ops.Mul(Scalar(s), a);
    public static Tensor operator *(Tensor a, float s) => Ops.Mul(a, Scalar(s));
    public static Tensor operator +(Tensor a, float s) => Ops.Add(a, Scalar(s));
    public static Tensor operator +(float s, Tensor a) => Ops.Add(Scalar(s), a);
    public static Tensor operator -(Tensor a, float s) => Ops.Sub(a, Scalar(s));
    public static Tensor operator -(float s, Tensor a) => Ops.Sub(Scalar(s), a);
    public static Tensor operator /(Tensor a, float s) => Ops.Div(a, Scalar(s));
    public static Tensor operator /(float s, Tensor a) => Ops.Div(Scalar(s), a);

    public override string ToString() =>
        $"Tensor{ShapeUtil.Format(Shape)} [{string.Join(", ", Data.Take(8).Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}{(Count > 8 ? ", ..." : "")}]";
}

/// <summary>Shape arithmetic shared by eager ops, kernels and the trainer.</summary>
public static class ShapeUtil
{
    public static int Count(ReadOnlySpan<int> shape)
    {
        int n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static int Offset(int[] shape, int[] index)
    {
        if (index.Length != shape.Length) throw new ArgumentException($"Index of rank {index.Length} for a tensor of shape {Format(shape)}.");
        int o = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i]) throw new IndexOutOfRangeException($"Index {index[i]} out of range for dimension {i} of {Format(shape)}.");
            o = o * shape[i] + index[i];
        }
        return o;
    }

    /// <summary>NumPy broadcasting of two shapes; throws naming both shapes when they don't broadcast.</summary>
    public static int[] Broadcast(int[] a, int[] b, string op) =>
        Broadcasting.Shapes(a, b) ?? throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} do not broadcast.");
}

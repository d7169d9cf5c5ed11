using System;
using System.Globalization;
using System.Linq;

namespace TrainingGen;

/// <summary>
/// A dense int32 tensor, row-major: class labels for <see cref="Ops.CrossEntropy(Tensor, IntTensor, float, Reduction)"/>
/// and <see cref="Ops.NllLoss(Tensor, IntTensor, Reduction)"/>, token ids for <see cref="Embedding.Forward(IntTensor)"/>.
/// Declared as a <c>Forward</c> input (<c>[Shape(Dim.Batch)] IntTensor labels</c>), it becomes an
/// <c>int32</c> input of the Core ML package. It has no arithmetic: integer values are data, never
/// differentiated. Values exact over the whole int32 range (a float label is exact only below 2²⁴).
/// int64 data (PyTorch's default for labels and ids) comes in through <see cref="FromInt64"/>, which
/// checks every value fits.
/// </summary>
public sealed class IntTensor : ITensorInput
{
    /// <summary>A tensor over <paramref name="data"/> (shared, not copied).</summary>
    /// <exception cref="ArgumentException">The element count of <paramref name="shape"/> is not <paramref name="data"/>'s length.</exception>
    public IntTensor(int[] shape, int[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = Tensor.ElementCount(shape);
        if (n != data.Length)
            throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} needs {n} elements, got {data.Length}.");
        Shape = (int[])shape.Clone();
        Data = data;
    }

    /// <summary>A zero-filled tensor of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or the shape has more elements than an array can hold.</exception>
    public IntTensor(params int[] shape) : this(shape, new int[Tensor.ElementCount(shape)]) { }

    /// <summary>A 1-D tensor holding a copy of <paramref name="values"/> (e.g. the labels of a batch).</summary>
    public static IntTensor Vector(ReadOnlySpan<int> values) => new(new[] { values.Length }, values.ToArray());

    /// <summary>A tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/>.</summary>
    public static IntTensor FromSpan(int[] shape, ReadOnlySpan<int> values) => new(shape, values.ToArray());

    /// <summary>
    /// A tensor of <paramref name="shape"/> from int64 values (torch's <c>long</c> labels and ids),
    /// each checked to fit int32.
    /// </summary>
    /// <param name="shape">The dimensions.</param>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="name">What the caller calls the tensor (e.g. <c>"labels"</c>); errors name it.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A value is outside [−2³¹, 2³¹ − 1]; the message names the tensor, the element's index and its value.
    /// </exception>
    public static IntTensor FromInt64(int[] shape, ReadOnlySpan<long> values, string name = "tensor")
    {
        var t = new IntTensor(shape, new int[CheckedCount(shape, values.Length)]);
        for (int i = 0; i < values.Length; i++)
        {
            long v = values[i];
            if (v < int.MinValue || v > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(values), v,
                    $"IntTensor '{name}': element {i} (index {IndexText(t.Shape, i)}) is {v.ToString(CultureInfo.InvariantCulture)}, " +
                    $"outside int32's range [{int.MinValue}, {int.MaxValue}]; integer inputs are int32 (Core ML's integer type).");
            t.Data[i] = (int)v;
        }
        return t;
    }

    /// <summary>
    /// A tensor holding the values of a float tensor that holds integers (the float labels of
    /// earlier versions, a float data set's label column), each checked to be a whole number in int32's range.
    /// </summary>
    /// <param name="values">The float tensor.</param>
    /// <param name="name">What the caller calls the tensor; errors name it.</param>
    /// <exception cref="ArgumentException">A value is not a whole number, or outside int32's range.</exception>
    public static IntTensor FromFloats(Tensor values, string name = "tensor")
    {
        ArgumentNullException.ThrowIfNull(values);
        var t = new IntTensor(values.Shape);
        CopyWholeNumbers(values, t.Data, name);
        return t;
    }

    /// <summary>Copies whole-number floats into <paramref name="destination"/>, naming the first value that is not one.</summary>
    internal static void CopyWholeNumbers(Tensor values, Span<int> destination, string name)
    {
        var src = values.Data;
        for (int i = 0; i < src.Length; i++)
        {
            float v = src[i];
            // 2147483648f is the first float above int.MaxValue; every float below it converts exactly.
            if (!(v >= -2147483648f && v < 2147483648f) || v != MathF.Truncate(v))
                throw new ArgumentException(
                    $"Tensor '{name}': element {i} (index {IndexText(values.Shape, i)}) is {v.ToString("R", CultureInfo.InvariantCulture)}, " +
                    "not a whole number in int32's range; integer inputs take whole numbers.", name);
            destination[i] = (int)v;
        }
    }

    /// <summary>The dimensions, outermost first.</summary>
    public int[] Shape { get; }
    /// <summary>The elements in row-major order (shared, not copied).</summary>
    public int[] Data { get; }
    public int Rank => Shape.Length;
    public int Count => Data.Length;
    /// <summary>Always <see cref="TensorDType.Int32"/>.</summary>
    public TensorDType DType => TensorDType.Int32;

    public int this[params int[] index]
    {
        get => Data[ShapeUtil.Offset(Shape, index)];
        set => Data[ShapeUtil.Offset(Shape, index)] = value;
    }

    public IntTensor Clone() => new(Shape, (int[])Data.Clone());

    /// <summary>The values as a float tensor (exact below 2²⁴ in magnitude).</summary>
    public Tensor ToFloat() => new(Shape, Data.Select(v => (float)v).ToArray());

    public override string ToString() =>
        $"IntTensor{ShapeUtil.Format(Shape)} [{string.Join(", ", Data.Take(8).Select(v => v.ToString(CultureInfo.InvariantCulture)))}{(Count > 8 ? ", ..." : "")}]";

    private static int CheckedCount(int[] shape, int length)
    {
        int n = Tensor.ElementCount(shape);
        if (n != length) throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} needs {n} elements, got {length}.");
        return n;
    }

    /// <summary>The multi-index of flat position <paramref name="flat"/>, as text: [1, 0].</summary>
    private static string IndexText(int[] shape, int flat)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 0) break;
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return ShapeUtil.Format(index);
    }
}

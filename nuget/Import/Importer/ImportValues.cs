using System;
using System.Globalization;
using System.Linq;

namespace TrainingGen.Import;

/// <summary>A value of the ONNX graph as the importer tracks it.</summary>
internal abstract record ImportValue;

/// <summary>
/// A tensor computed at run time by the generated <c>Forward</c>: the C# local (or parameter) holding
/// it and its static shape, where <see cref="Shapes.Batch"/> in the first dimension is the batch.
/// <see cref="IsInteger"/>: an int32/int64 graph input, declared as an <c>IntTensor</c> parameter; the
/// generator takes those only as indices (Embedding here), so nothing else may consume it.
/// </summary>
internal sealed record RuntimeValue(string Local, int[] Shape, bool IsInteger = false) : ImportValue
{
    public int Rank => Shape.Length;
    public bool HasBatch => Shape.Length > 0 && Shape[0] == Shapes.Batch;
}

/// <summary>
/// A tensor known at import time: an initializer, a <c>Constant</c>, or folded shape arithmetic. In an
/// integer vector that describes a shape, <see cref="Shapes.BatchSymbol"/> stands for the batch size.
/// <see cref="Initializer"/> names the initializer it is (or, with <see cref="Transposed"/>, the
/// transpose of), so a layer made from it keeps the state_dict name.
/// </summary>
internal sealed record ConstantValue(long[] Dims, double[] Values, string? Initializer = null, bool Transposed = false) : ImportValue
{
    public bool IsScalarLike => Values.Length == 1;
    public bool HasBatchSymbol => Values.Any(v => v == Shapes.BatchSymbol);
    public int Rank => Dims.Length;
}

/// <summary>Shape helpers; shapes print like <c>[batch, 6, 24, 24]</c>.</summary>
internal static class Shapes
{
    /// <summary>The batch dimension in a runtime shape (TrainingGen's <c>Dim.Batch</c>).</summary>
    public const int Batch = -1;

    /// <summary>The batch size as an element of a folded shape vector (no real shape element is this).</summary>
    public const double BatchSymbol = -9.0e18;

    public static string Format(int[] shape) => "[" + string.Join(", ", shape.Select(d => d == Batch ? "batch" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary><c>Dim.Batch, 256</c>: a shape as C# arguments.</summary>
    public static string Arguments(int[] shape) => string.Join(", ", shape.Select(d => d == Batch ? "Dim.Batch" : d.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Normalises a possibly negative axis against <paramref name="rank"/>; null when out of range.</summary>
    public static int? Axis(long axis, int rank) => axis < -rank || axis >= rank ? null : (int)(axis < 0 ? axis + rank : axis);

    /// <summary>Numpy-style broadcast of two runtime shapes; null when they do not broadcast.</summary>
    public static int[]? Broadcast(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da == db || db == 1) s[i] = da;
            else if (da == 1) s[i] = db;
            else return null;
        }
        return s;
    }

    /// <summary>The element count without the batch (the product of the static dimensions).</summary>
    public static long StaticCount(int[] shape) => shape.Where(d => d != Batch).Aggregate(1L, (x, d) => x * d);
}

using System;
using System.Numerics;

namespace TrainingGen.Kernels;

/// <summary>
/// Reads a class index or token id from a label tensor, whether it is stored as float (the older
/// convention, exact below 2²⁴) or as int32 (<see cref="IntTensor"/>). The kernels are generic over
/// the element type so the two storages share one implementation, specialised by the JIT.
/// </summary>
internal static class ClassIndex
{
    /// <summary>The value as an index in [0, <paramref name="count"/>); anything else throws naming the op, the value and its position.</summary>
    public static int Of<T>(T value, int count, int position, string op) where T : unmanaged, INumberBase<T>
    {
        double v = double.CreateTruncating(value);
        int i = (int)v;
        if (i != v || i < 0 || i >= count)
            throw new ArgumentException(op == "embedding"
                ? $"embedding: index {value} at position {position} is not in [0, {count})."
                : $"{op}: label {value} of sample {position} is not a class index in [0, {count}).");
        return i;
    }
}

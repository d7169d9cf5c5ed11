using System;
using System.Numerics;

namespace TrainingGen.Kernels;

/// <summary>Backward kernels of activations.</summary>
public static class Activations
{
    /// <summary>
    /// <c>dx = g · [y &gt; 0]</c> for <c>y = relu(x)</c> (reading the saved output, not the input). Vectorised
    /// as a mask (y &gt; 0 is false for NaN, as in the scalar comparison): relu outputs are 0 about half the
    /// time at random, so a branch per element mispredicts about half the time.
    /// </summary>
    public static void ReluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx)
    {
        if (g.Length != y.Length || dx.Length != y.Length) throw new ArgumentException("relu backward: lengths differ.");
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (int step = Vector<float>.Count; i + step <= dx.Length; i += step)
            {
                var yv = new Vector<float>(y[i..]);
                Vector.BitwiseAnd(new Vector<float>(g[i..]), Vector.AsVectorSingle(Vector.GreaterThan(yv, Vector<float>.Zero))).CopyTo(dx[i..]);
            }
        for (; i < dx.Length; i++) dx[i] = y[i] > 0f ? g[i] : 0f;
    }
}

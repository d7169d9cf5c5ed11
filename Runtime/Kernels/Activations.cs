using System;

namespace TrainingGen.Kernels;

/// <summary>Backward kernels of activations.</summary>
public static class Activations
{
    /// <summary><c>dx = g · [y &gt; 0]</c> for <c>y = relu(x)</c> (reading the saved output, not the input).</summary>
    public static void ReluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx)
    {
        if (g.Length != y.Length || dx.Length != y.Length) throw new ArgumentException("relu backward: lengths differ.");
        for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > 0f ? g[i] : 0f;
    }
}

using System;

namespace TrainingGen.Kernels;

/// <summary>
/// Inverted dropout: in training each element is kept with probability 1 − p and scaled by
/// 1/(1 − p) (the scale factors, 0 or 1/(1 − p), are kept as the mask for the adjoint); in eval the
/// input passes through and the mask is all ones.
/// </summary>
public static class Dropout
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, float p, Rng rng, bool training)
    {
        if (!training || p == 0f)
        {
            x.CopyTo(y);
            mask.Fill(1f);
            return;
        }
        float keep = 1f / (1f - p);
        for (int i = 0; i < x.Length; i++)
        {
            mask[i] = rng.NextDouble() >= p ? keep : 0f;
            y[i] = x[i] * mask[i];
        }
    }

    /// <summary>dx = g ⊙ mask.</summary>
    public static void Backward(ReadOnlySpan<float> g, ReadOnlySpan<float> mask, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = g[i] * mask[i];
    }
}

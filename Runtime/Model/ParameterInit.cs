using System;

namespace TrainingGen;

/// <summary>
/// Parameter initialisation. PyTorch's Linear/Conv default (kaiming_uniform with a = √5) reduces
/// to U(−1/√fan_in, 1/√fan_in) for the weight, and the bias uses the same bound.
/// </summary>
public static class ParameterInit
{
    private static Rng s_eager = new((ulong)Environment.TickCount64);
    private static readonly object s_lock = new();

    /// <summary>
    /// Seeds the generator eager layers (<c>new Linear(...)</c>, <c>new Conv2d(...)</c>, ...) draw
    /// their initial values from, like <c>torch.manual_seed</c>. Trainers use their own seed.
    /// </summary>
    public static void ManualSeed(ulong seed)
    {
        lock (s_lock) s_eager = new Rng(seed);
    }

    /// <summary>Initialises an eager layer's tensor from the shared generator (thread-safe).</summary>
    internal static void UniformEager(Span<float> values, int fanIn)
    {
        lock (s_lock) Uniform(values, fanIn, s_eager);
    }

    internal static void NormalEager(Span<float> values)
    {
        lock (s_lock) Normal(values, s_eager);
    }

    /// <summary>Standard normal values (torch.nn.Embedding's default).</summary>
    public static void Normal(Span<float> values, Rng rng)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)rng.NextGaussian();
    }

    /// <summary>Fills with a constant (LayerNorm's weight = 1, bias = 0).</summary>
    public static void Constant(Span<float> values, float value) => values.Fill(value);

    public static void Uniform(Span<float> values, int fanIn, Rng rng)
    {
        double bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0.0;
        for (int i = 0; i < values.Length; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
    }
}

using System;

namespace TrainingGen;

/// <summary>
/// A small, fully specified random generator (SplitMix64) so that a seed gives the same
/// parameters on every .NET version and platform.
/// </summary>
public sealed class Rng
{
    private ulong _state;
    public Rng(ulong seed) { _state = seed; }

    /// <summary>The whole state of the generator: setting a value saved earlier replays the same sequence from there (checkpoints).</summary>
    public ulong State { get => _state; set => _state = value; }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

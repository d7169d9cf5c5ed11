namespace TrainingGen.Federated;

/// <summary>
/// Seeds of the simulation's random streams, each a pure function of (seed, purpose, iteration,
/// user, …): a user's data order and dropout masks do not depend on which worker trains it or when,
/// so any thread count — or a cluster — gives the same result.
/// </summary>
public static class StreamSeeds
{
    /// <summary>Cohort sampling of an iteration.</summary>
    public const ulong Cohort = 1;
    /// <summary>A user's local sample order.</summary>
    public const ulong Shuffle = 2;
    /// <summary>A user's trainer random streams (dropout).</summary>
    public const ulong Dropout = 3;
    /// <summary>The DP noise of an iteration (from the noise seed).</summary>
    public const ulong Noise = 4;
    /// <summary>Data partitioning.</summary>
    public const ulong Partition = 5;

    /// <summary>
    /// Folds the values into <paramref name="seed"/> one by one with the SplitMix64 finaliser
    /// (h ← mix(h ⊕ mix(v + γ)), γ the golden-ratio increment), so nearby inputs give unrelated seeds.
    /// </summary>
    public static ulong Derive(ulong seed, ulong purpose, ulong a = 0, ulong b = 0, ulong c = 0)
    {
        ulong h = Mix(seed);
        h = Mix(h ^ Mix(purpose + Golden));
        h = Mix(h ^ Mix(a + Golden));
        h = Mix(h ^ Mix(b + Golden));
        return Mix(h ^ Mix(c + Golden));
    }

    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

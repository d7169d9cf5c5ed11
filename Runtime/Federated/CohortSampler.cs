using System;
using System.Collections.Generic;

namespace TrainingGen.Federated;

/// <summary>Draws the users of one central iteration; depends only on (seed, iteration).</summary>
public static class CohortSampler
{
    /// <summary>
    /// <paramref name="cohortSize"/> distinct users out of <paramref name="population"/>, uniformly
    /// (a partial Fisher–Yates shuffle), returned in increasing order.
    /// </summary>
    public static int[] Fixed(int population, int cohortSize, ulong seed, int iteration)
    {
        if (cohortSize < 0 || cohortSize > population)
            throw new ArgumentOutOfRangeException(nameof(cohortSize), cohortSize, $"The cohort size must be in 0..{population}.");
        var rng = new Rng(StreamSeeds.Derive(seed, StreamSeeds.Cohort, (ulong)iteration));
        var ids = new int[population];
        for (int i = 0; i < population; i++) ids[i] = i;
        for (int i = 0; i < cohortSize; i++)
        {
            // j uniform in [i, population) (the multiply-high maps 64 random bits onto the range)
            int j = i + (int)Math.BigMul(rng.NextUInt64(), (ulong)(population - i), out _);
            (ids[i], ids[j]) = (ids[j], ids[i]);
        }
        var cohort = ids.AsSpan(0, cohortSize).ToArray();
        Array.Sort(cohort);
        return cohort;
    }

    /// <summary>Poisson sampling: each user independently with probability <paramref name="rate"/>, in increasing order.</summary>
    public static int[] Poisson(int population, double rate, ulong seed, int iteration)
    {
        if (!(rate >= 0 && rate <= 1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The sampling rate must be in [0, 1].");
        var rng = new Rng(StreamSeeds.Derive(seed, StreamSeeds.Cohort, (ulong)iteration));
        var cohort = new List<int>();
        for (int i = 0; i < population; i++)
            if (rng.NextDouble() < rate) cohort.Add(i);
        return cohort.ToArray();
    }
}

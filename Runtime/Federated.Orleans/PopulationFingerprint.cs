using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TrainingGen.Data;

namespace TrainingGen.Federated.Cluster;

/// <summary>
/// A 64-bit digest of a population (every user's sample count, shapes and sample bits, in order), so a
/// silo that opened other data than the coordinator — another file, partition seed or preprocessing —
/// refuses to train instead of silently changing the result. Computed once per population on each side.
/// </summary>
public static class PopulationFingerprint
{
    /// <summary>The digest of <paramref name="users"/>.</summary>
    public static ulong Of(IReadOnlyList<IDataset> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        ulong h = Mix((ulong)users.Count);
        float[] f = Array.Empty<float>(), l = Array.Empty<float>();
        foreach (var d in users)
        {
            int fs = 1, ls = 1;
            foreach (int s in d.FeatureShape) { fs *= s; h = Mix(h ^ (ulong)s); }
            foreach (int s in d.LabelShape) { ls *= s; h = Mix(h ^ (ulong)s); }
            if (f.Length != fs) f = new float[fs];
            if (l.Length != ls) l = new float[ls];
            h = Mix(h ^ (ulong)d.Count);
            for (int i = 0; i < d.Count; i++)
            {
                d.CopySample(i, f, l);
                foreach (uint bits in MemoryMarshal.Cast<float, uint>(f)) h = Mix(h ^ bits);
                foreach (uint bits in MemoryMarshal.Cast<float, uint>(l)) h = Mix(h ^ bits);
            }
        }
        return h;
    }

    // SplitMix64's finaliser (as StreamSeeds): every input bit affects every output bit.
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

using System;
using System.Collections.Generic;

namespace TrainingGen.Federated.Privacy;

/// <summary>Grids of Rényi orders α over which an RDP bound is converted to (ε, δ).</summary>
public static class RdpOrders
{
    /// <summary>
    /// The orders of TensorFlow Privacy and Opacus: 1.1, 1.2, …, 10.9 (step 0.1) then 12, 13, …, 63.
    /// </summary>
    public static IReadOnlyList<double> TensorFlow { get; } = Build(includeEleven: false, extra: []);

    /// <summary>
    /// pfl-research's default: its RDP accountant builds dp_accounting's <c>RdpAccountant()</c> without
    /// orders, whose default grid (quoted in pfl's <c>RDPPrivacyAccountant</c> docstring) is
    /// 1.1, …, 10.9 (step 0.1), 11, 12, …, 63, then 128, 256, 512, 1024.
    /// </summary>
    public static IReadOnlyList<double> Pfl { get; } = Build(includeEleven: true, extra: [128, 256, 512, 1024]);

    /// <summary>The integer orders 2, 3, …, <paramref name="max"/> (the moments accountant of Abadi et al.).</summary>
    public static IReadOnlyList<double> Integers(int max)
    {
        if (max < 2) throw new ArgumentOutOfRangeException(nameof(max), max, "the largest order must be at least 2.");
        var orders = new double[max - 1];
        for (int i = 0; i < orders.Length; i++) orders[i] = i + 2;
        return orders;
    }

    /// <summary>A grid by name: "tf" (also "tensorflow", "opacus") or "pfl".</summary>
    public static IReadOnlyList<double> Named(string name) => name.ToLowerInvariant() switch
    {
        "tf" or "tensorflow" or "opacus" => TensorFlow,
        "pfl" => Pfl,
        _ => throw new ArgumentException($"unknown order grid '{name}' (expected tf or pfl).", nameof(name)),
    };

    private static double[] Build(bool includeEleven, int[] extra)
    {
        var orders = new List<double>();
        // 1 + x/10 computed as a quotient so 1.1, 2.3, … are the nearest doubles, as in the reference grids.
        for (int x = 1; x < 100; x++) orders.Add(1.0 + x / 10.0);
        for (int a = includeEleven ? 11 : 12; a < 64; a++) orders.Add(a);
        foreach (int a in extra) orders.Add(a);
        return orders.ToArray();
    }
}

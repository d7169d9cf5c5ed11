using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Benchmarks.Peer;

/// <summary>
/// The core's own fused multiply-add throughput, measured in the run: twelve independent FMA chains
/// (more than latency × ports, so the loop is throughput-bound), on the calling thread. libtorch's SGEMM
/// (MKL's AVX2 path on AMD) is the reference "peak"; this is the hardware's, so a reader can see
/// how far both sides are from the machine (with AVX-512, about twice the AVX2 figure on this core).
/// </summary>
internal static class FmaPeak
{
    private const int Iterations = 200_000;

    /// <summary>GFLOP/s of the best of <paramref name="repeats"/> timed loops (null when the CPU lacks the instructions).</summary>
    public static double? Measure(bool avx512, int repeats = 15)
    {
        if (avx512 ? !Avx512F.IsSupported : !Fma.IsSupported) return null;
        double best = double.MaxValue;
        for (int r = 0; r < repeats + 3; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            float sink = avx512 ? Loop512() : Loop256();
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (sink == 42f) Console.Write("");
            if (r >= 3) best = Math.Min(best, s);
        }
        double flops = 12.0 * Iterations * (avx512 ? 16 : 8) * 2;
        return flops / best / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float Loop256()
    {
        var m = Vector256.Create(0.9999f); var c = Vector256.Create(1e-4f);
        Vector256<float> a0 = Vector256<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c); a2 = Fma.MultiplyAdd(a2, m, c); a3 = Fma.MultiplyAdd(a3, m, c);
            a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c); a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c);
            a8 = Fma.MultiplyAdd(a8, m, c); a9 = Fma.MultiplyAdd(a9, m, c); a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).GetElement(0);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float Loop512()
    {
        var m = Vector512.Create(0.9999f); var c = Vector512.Create(1e-4f);
        Vector512<float> a0 = Vector512<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c); a2 = Avx512F.FusedMultiplyAdd(a2, m, c);
            a3 = Avx512F.FusedMultiplyAdd(a3, m, c); a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c); a8 = Avx512F.FusedMultiplyAdd(a8, m, c);
            a9 = Avx512F.FusedMultiplyAdd(a9, m, c); a10 = Avx512F.FusedMultiplyAdd(a10, m, c); a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).GetElement(0);
    }
}

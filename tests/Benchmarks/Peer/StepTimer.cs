using System;
using System.Diagnostics;

namespace TrainingGen.Benchmarks.Peer;

/// <summary>One measurement: median/min/max µs per step over the repeats, and managed bytes allocated per step.</summary>
public readonly record struct StepTiming(double MedianUs, double MinUs, double MaxUs, int StepsPerRepeat, double BytesPerStep);

/// <summary>
/// The timing method both sides share (the TorchSharp baseline's): warm-up of at least 20 steps and
/// 150 ms, which also calibrates the steps per repeat to about <c>targetMs</c>; then <c>repeats</c>
/// timed repeats; the median µs/step, and the bytes allocated per step over all the timed steps.
/// </summary>
public static class StepTimer
{
    /// <param name="ownThreadsOnly">Count only this thread's and the kernel workers' bytes (exact for
    /// TrainingGen; <see cref="GC.GetTotalAllocatedBytes(bool)"/> also counts the runtime's tiering and
    /// finalizer threads) instead of every thread's.</param>
    private static long Bytes(bool ownThreadsOnly) =>
        ownThreadsOnly ? GC.GetAllocatedBytesForCurrentThread() + Kernels.WorkerPool.WorkerAllocatedBytes : GC.GetTotalAllocatedBytes(true);

    public static StepTiming Measure(Func<float> step, int repeats, double targetMs, bool ownThreadsOnly = false)
    {
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (warm < 20 || sw.Elapsed.TotalMilliseconds < 150) { step(); warm++; }
        double estUs = sw.Elapsed.TotalMilliseconds * 1000 / warm;
        int steps = (int)Math.Clamp(targetMs * 1000 / estUs, 5, 2_000_000);

        var perStep = new double[repeats];
        long bytes = 0;
        for (int r = 0; r < repeats; r++)
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            long b0 = Bytes(ownThreadsOnly);
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++) step();
            long t1 = Stopwatch.GetTimestamp();
            bytes += Bytes(ownThreadsOnly) - b0;
            perStep[r] = (t1 - t0) * 1e6 / Stopwatch.Frequency / steps;
        }
        Array.Sort(perStep);
        return new StepTiming(perStep[repeats / 2], perStep[0], perStep[^1], steps, bytes / (double)(repeats * (long)steps));
    }
}

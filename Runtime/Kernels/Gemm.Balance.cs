using System;
using System.Diagnostics;
using System.Threading;

namespace TrainingGen.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>
    /// Whether a split product gives each thread one share sized to that thread's measured speed (on by
    /// default; tests and A/B runs turn it off for equal blocks handed out in turn).
    /// </summary>
    internal static bool BalancedSplit { get => t_balancedSplit ?? true; set => t_balancedSplit = value; }

    [ThreadStatic] private static bool? t_balancedSplit;

    /// <summary>
    /// Shares of a split product sized to each thread's speed in earlier calls of the same shape.
    /// Equal shares assume equal cores, and cores are often not equal: on this project's 2-vCPU VM the same
    /// 256×512×1024 product ran 5–12 % slower on one vCPU than on the other, minute after minute (its host
    /// shares that core), and hybrid CPUs (performance and efficiency cores) differ far more. With equal
    /// shares every split product waits for the slower thread; smaller blocks handed out in turn would
    /// balance only at a grain finer than the difference (under 5 % of the product), and each block
    /// re-packs the operand the blocks share. So each thread gets one block, sized from the speeds
    /// measured (work ÷ time per thread) in the previous calls of that shape, smoothed.
    /// Which thread computes which element changes nothing in the result: each element of C is still one
    /// thread's sum over k in the same order, so the bits are the same for any shares and thread count.
    /// </summary>
    internal static class Balance
    {
        private const int Slots = 64;
        internal const int MaxThreads = 8;
        /// <summary>Weight of the latest call's speeds in the running estimate.</summary>
        private const float Smoothing = 0.25f;

        private static readonly long[] s_keys = new long[Slots];
        private static readonly float[] s_shares = new float[Slots * MaxThreads];

        /// <summary>The slot of this shape and thread count (reset to equal shares when another shape held it).</summary>
        public static int Slot(int m, int n, int k, bool transA, bool transB, int threads)
        {
            long key = ((long)m * 1_000_003 + n) * 1_000_033 + k;
            key = key * 4 + (transA ? 2 : 0) + (transB ? 1 : 0);
            key = key * 16 + threads;
            int slot = (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> 58);
            if (Volatile.Read(ref s_keys[slot]) != key)
            {
                for (int t = 0; t < MaxThreads; t++) s_shares[slot * MaxThreads + t] = t < threads ? 1f / threads : 0f;
                Volatile.Write(ref s_keys[slot], key);
            }
            return slot;
        }

        /// <summary>
        /// Boundaries (in elements of the split dimension, on the grid of <paramref name="unit"/>) of each
        /// thread's share: thread t gets [bounds[t], bounds[t + 1]), at least one unit each.
        /// </summary>
        public static void Bounds(int slot, int threads, int units, int unit, int extent, int* bounds)
        {
            float total = 0;
            for (int t = 0; t < threads; t++) total += s_shares[slot * MaxThreads + t];
            float cumulative = 0;
            bounds[0] = 0;
            for (int t = 1; t < threads; t++)
            {
                cumulative += s_shares[slot * MaxThreads + t - 1];
                int u = (int)MathF.Round(cumulative / total * units);
                u = Math.Clamp(u, t, units - (threads - t)); // every thread keeps at least one unit
                bounds[t] = Math.Max(bounds[t - 1] + unit, Math.Min(u * unit, extent));
            }
            bounds[threads] = extent;
        }

        /// <summary>Equal shares on the grid of <paramref name="unit"/>, laid out like <see cref="Bounds"/>'s.</summary>
        public static void EqualBounds(int threads, int units, int unit, int extent, int* bounds)
        {
            for (int t = 0; t < threads; t++) bounds[t] = units * t / threads * unit;
            bounds[threads] = extent;
        }

        /// <summary>Sets a shape's shares (tests: uneven splits on demand).</summary>
        internal static void Set(int m, int n, int k, bool transA, bool transB, params float[] shares)
        {
            int slot = Slot(m, n, k, transA, transB, shares.Length);
            for (int t = 0; t < shares.Length; t++) s_shares[slot * MaxThreads + t] = shares[t];
        }

        /// <summary>A slot's current shares (tests).</summary>
        internal static float[] Shares(int slot, int threads)
        {
            var r = new float[threads];
            Array.Copy(s_shares, slot * MaxThreads, r, 0, threads);
            return r;
        }

        /// <summary>Folds the speeds of this call (elements per tick, per thread) into the slot's shares.</summary>
        public static void Update(int slot, int threads, int* bounds, long* ticks)
        {
            double sum = 0;
            double* speed = stackalloc double[MaxThreads];
            for (int t = 0; t < threads; t++)
            {
                if (ticks[t] <= 0) return; // a share too short to time: keep the estimate
                speed[t] = (double)(bounds[t + 1] - bounds[t]) / ticks[t];
                sum += speed[t];
            }
            float lo = 0.5f / threads, hi = 1.5f / threads;
            for (int t = 0; t < threads; t++)
            {
                ref float share = ref s_shares[slot * MaxThreads + t];
                share = Math.Clamp((1 - Smoothing) * share + Smoothing * (float)(speed[t] / sum), lo, hi);
            }
        }
    }

    /// <summary>Thread <paramref name="t"/>'s share of a balanced split product (<see cref="Balance"/>), timed.</summary>
    private static void RunShare(in Job j, int t)
    {
        long t0 = Stopwatch.GetTimestamp();
        int start = j.Bounds[t], length = j.Bounds[t + 1] - start;
        if (j.SplitColumns)
        {
            float* b = j.TransB ? j.B + (long)start * j.Ldb : j.B + start;
            Run(in j, j.M, length, j.A, b, j.C + start, 0, start);
        }
        else
        {
            float* a = j.TransA ? j.A + start : j.A + (long)start * j.Lda;
            Run(in j, length, j.N, a, j.B, j.C + (long)start * j.Ldc, start, 0);
        }
        j.Ticks[t] = Stopwatch.GetTimestamp() - t0;
    }
}

using System;
using NUnit.Framework;
using TrainingGen.Kernels;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// The SGEMM split over threads: within rounding of a float64 naive product, and bit-identical to the
/// 1-thread result for every thread count (the partition keeps each element's sum over k unchanged).
/// </summary>
[TestFixture]
[NonParallelizable]
public class ParallelGemmTests
{
    // every shape below is split over the threads, not only those past the production threshold
    [SetUp] public void SplitEverything() => Gemm.ParallelMinProduct = 1 << 12;
    [TearDown] public void Restore() { Gemm.ForceFallback = false; Gemm.ParallelMinProduct = 1L << 22; }

    private static float[] Random(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    private static float[] Run(int threads, bool ta, bool tb, int m, int n, int k, float alpha, float beta, float[] a, int lda, float[] b, int ldb, float[] c0, int ldc)
    {
        var c = (float[])c0.Clone();
        using var scope = KernelThreads.Use(threads);
        Gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return c;
    }

    // Odd shapes past the parallel threshold: edges in every dimension, k across several KC slices,
    // few rows (the dot kernel for A·Bᵀ), and the trainer's uses (x·Wᵀ, dyᵀ·x, dy·W).
    private static readonly (int M, int N, int K)[] Shapes =
    {
        (67, 301, 259), (301, 67, 259), (7, 1031, 200), (31, 517, 515), (133, 129, 600), (256, 1024, 1024), (1024, 1024, 256), (64, 256, 784),
        (16, 517, 512), (5, 1031, 208),   // the AVX-512 dot kernel (k a multiple of 16), split in blocks of 4 columns
        (256, 10, 1024), (133, 13, 259),  // the dot kernels over strips of 4 rows (few columns), split by rows
    };

    [Test]
    public void Threads_give_the_same_bits_and_match_a_double_reference([Values] bool ta, [Values] bool tb, [Values(0f, 1f, 0.5f)] float beta,
        [Values] bool fallback)
    {
        Gemm.ForceFallback = fallback;
        foreach (var (m, n, k) in Shapes)
        {
            if (fallback && (long)m * n * k > 40_000_000) continue; // the portable kernel is slow; the big shapes run on AVX2
            var rng = new Random(m * 7 + n * 13 + k);
            int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
            var a = Random(rng, (ta ? k : m) * lda);
            var b = Random(rng, (tb ? n : k) * ldb);
            var c0 = Random(rng, m * ldc);
            const float alpha = -1.25f;
            var one = Run(1, ta, tb, m, n, k, alpha, beta, a, lda, b, ldb, c0, ldc);
            foreach (int t in new[] { 2, 3, 5 })
            {
                var many = Run(t, ta, tb, m, n, k, alpha, beta, a, lda, b, ldb, c0, ldc);
                for (int i = 0; i < one.Length; i++)
                    if (BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]))
                        Assert.Fail($"{t} threads differ from 1 at element {i} (ta={ta} tb={tb} m={m} n={n} k={k} β={beta}): {many[i]:R} vs {one[i]:R}");
            }
            // Spot-check rows against the float64 triple loop (every column of a few rows, edges included).
            foreach (int i in new[] { 0, m / 2, m - 1 })
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, abs = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double av = ta ? a[p * lda + i] : a[i * lda + p], bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                        sum += av * bv; abs += Math.Abs(av * bv);
                    }
                    double prior = beta == 0f ? 0 : c0[i * ldc + j];
                    double expected = alpha * sum + beta * prior;
                    double bound = 4 * 5.96e-8 * (k + 3) * (Math.Abs(alpha) * abs + Math.Abs(beta * prior)) + 1e-30;
                    Assert.That(one[i * ldc + j], Is.EqualTo(expected).Within(bound), $"C[{i},{j}] ta={ta} tb={tb} m={m} n={n} k={k}");
                }
            for (int i = 0; i < m; i++)
                for (int j = n; j < ldc; j++)
                    Assert.That(one[i * ldc + j], Is.EqualTo(c0[i * ldc + j]), "padding of C is untouched");
        }
    }
}

/// <summary>
/// Split products give each thread one share sized to its measured speed (Gemm.Balance.cs): any shares
/// give the 1-thread bits, every thread keeps at least one tile of work, and the shares follow the
/// measured speeds within bounds.
/// </summary>
[TestFixture]
[NonParallelizable]
public unsafe class BalancedSplitTests
{
    [SetUp] public void SplitEverything() => Gemm.ParallelMinProduct = 1 << 12;
    [TearDown] public void Restore() { Gemm.ParallelMinProduct = 1L << 22; Gemm.BalancedSplit = true; }

    private static float[] Product(int threads, bool ta, bool tb, int m, int n, int k, float[] a, float[] b, float[] bias)
    {
        var c = new float[m * n];
        using var scope = KernelThreads.Use(threads);
        Gemm.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n, default, bias);
        return c;
    }

    [TestCase(256, 1024, 1024, false, true)]  // x·Wᵀ, split by columns
    [TestCase(1024, 1024, 256, true, false)]  // dyᵀ·x, split by rows
    [TestCase(256, 1024, 1024, false, false)] // dy·W
    [TestCase(67, 301, 259, false, false)]    // edges everywhere
    public void Uneven_shares_give_the_bits_of_one_thread(int m, int n, int k, bool ta, bool tb)
    {
        var rng = new Random(m + n + k);
        float[] R(int count) { var v = new float[count]; for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1); return v; }
        var a = R(m * k); var b = R(k * n); var bias = R(n);
        var one = Product(1, ta, tb, m, n, k, a, b, bias);
        foreach (var shares in new[] { new[] { 0.05f, 0.95f }, new[] { 0.9f, 0.1f }, new[] { 0.6f, 0.1f, 0.3f }, new[] { 0f, 0f, 1f } })
        {
            Gemm.Balance.Set(m, n, k, ta, tb, shares);
            var many = Product(shares.Length, ta, tb, m, n, k, a, b, bias);
            for (int i = 0; i < one.Length; i++)
                if (BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]))
                    Assert.Fail($"shares [{string.Join(", ", shares)}] differ from 1 thread at element {i}: {many[i]:R} vs {one[i]:R}");
        }
    }

    [TestCase(256, 1024, 1024, false, true)]  // split by columns: the B buffer follows a share's width
    [TestCase(200, 96, 512, true, false)]     // split by rows, shares below a packed A block (144 rows): so would the A buffer
    public void Changing_shares_never_grow_a_packing_buffer(int m, int n, int k, bool ta, bool tb)
    {
        var a = new float[m * k]; var b = new float[k * n]; var bias = new float[n]; var c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = i % 7 - 3;
        for (int i = 0; i < b.Length; i++) b[i] = i % 5 - 2;
        using var scope = KernelThreads.Use(2);
        // warm up at equal shares (each thread's buffers are sized here), twice: the first call also
        // compiles and starts the worker
        var equal = new[] { 0.5f, 0.5f };
        for (int i = 0; i < 2; i++)
        {
            Gemm.Balance.Set(m, n, k, ta, tb, equal);
            Gemm.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n, default, bias);
        }
        var extremes = new[] { new[] { 0.05f, 0.95f }, new[] { 0.95f, 0.05f } };
        long before = GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytes;
        foreach (var shares in extremes)
        {
            Gemm.Balance.Set(m, n, k, ta, tb, shares);
            Gemm.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n, default, bias);
        }
        long after = GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytes;
        Assert.That(after - before, Is.Zero, "a share larger than any before must fit the buffers the thread has");
    }

    [Test]
    public void Every_thread_gets_at_least_one_tile_and_the_shares_cover_the_extent()
    {
        int slot = Gemm.Balance.Slot(100, 200, 300, false, false, 3);
        Gemm.Balance.Set(100, 200, 300, false, false, 0f, 0f, 1f);
        int* bounds = stackalloc int[4];
        Gemm.Balance.Bounds(slot, 3, units: 7, unit: 32, extent: 200, bounds);
        Assert.That(new[] { bounds[0], bounds[1], bounds[2], bounds[3] }, Is.EqualTo(new[] { 0, 32, 64, 200 }));
        Gemm.Balance.Set(100, 200, 300, false, false, 1f, 0f, 0f);
        Gemm.Balance.Bounds(slot, 3, units: 7, unit: 32, extent: 200, bounds);
        Assert.That(new[] { bounds[0], bounds[1], bounds[2], bounds[3] }, Is.EqualTo(new[] { 0, 160, 192, 200 }));
    }

    [Test]
    public void Shares_move_toward_the_measured_speeds_and_stay_within_bounds()
    {
        int slot = Gemm.Balance.Slot(300, 400, 500, true, false, 2);
        Gemm.Balance.Set(300, 400, 500, true, false, 0.5f, 0.5f);
        int* bounds = stackalloc int[] { 0, 200, 400 };
        long* ticks = stackalloc long[] { 100, 200 }; // thread 0 twice as fast: the ideal share is 2/3
        Gemm.Balance.Update(slot, 2, bounds, ticks);
        var s = Gemm.Balance.Shares(slot, 2);
        Assert.That(s[0], Is.EqualTo(0.75f * 0.5f + 0.25f * (2f / 3)).Within(1e-6f), "smoothed toward 2/3");
        for (int i = 0; i < 50; i++) Gemm.Balance.Update(slot, 2, bounds, ticks);
        s = Gemm.Balance.Shares(slot, 2);
        Assert.That(s[0], Is.EqualTo(2f / 3).Within(0.01f), "settles at the speed ratio");
        ticks[1] = 100_000; // a thread 1000× slower: its share stops at half an equal share
        for (int i = 0; i < 50; i++) Gemm.Balance.Update(slot, 2, bounds, ticks);
        s = Gemm.Balance.Shares(slot, 2);
        Assert.That(s[1], Is.EqualTo(0.25f).Within(1e-6f));
        Assert.That(s[0], Is.EqualTo(0.75f).Within(1e-6f));
        ticks[1] = 0; // a share too short to time leaves the estimate alone
        Gemm.Balance.Update(slot, 2, bounds, ticks);
        Assert.That(Gemm.Balance.Shares(slot, 2), Is.EqualTo(s));
    }
}

/// <summary>
/// Products split for their memory traffic alone (few multiply-adds, a large A, B or C): mlp-big's last
/// layer, whose 256×1024 input gradient is computed from k = 10. Production thresholds throughout.
/// </summary>
[TestFixture]
[NonParallelizable]
public class TrafficSplitTests
{
    [TearDown] public void Restore() { Gemm.ParallelMinProduct = 1L << 22; Gemm.ParallelMinTraffic = 1L << 17; }

    private static float[] Random(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    private static unsafe (float[] C, int Threads) Product(int threads, bool ta, bool tb, int m, int n, int k, float[] a, float[] b, float[] mask)
    {
        var c = new float[m * n];
        using var scope = KernelThreads.Use(threads);
        fixed (float* pm = mask)
            Gemm.Sgemm(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n, Gemm.Epilogue.ReluMask(pm, n));
        return (c, Gemm.LastThreads);
    }

    [TestCase(256, 1024, 10, false, false)] // dy·W of mlp-big's last layer (C of 1 MB), split by columns, masked by a ReLU
    [TestCase(10, 1024, 256, true, false)]  // its dyᵀ·x (B of 1 MB), split by columns
    [TestCase(256, 10, 1024, false, true)]  // its x·Wᵀ (A of 1 MB): the dot kernel, split by rows
    [TestCase(131, 1001, 7, false, false)]  // edges everywhere
    public void A_product_split_for_its_traffic_gives_the_bits_of_one_thread(int m, int n, int k, bool ta, bool tb)
    {
        Assert.That((long)m * n * k, Is.LessThan(Gemm.ParallelMinProduct), "below the multiply-add threshold");
        var rng = new Random(m * 7 + n + k);
        var a = Random(rng, m * k); var b = Random(rng, k * n); var mask = Random(rng, m * n);
        var (one, oneThreads) = Product(1, ta, tb, m, n, k, a, b, mask);
        Assert.That(oneThreads, Is.EqualTo(1));
        foreach (int threads in new[] { 2, 3 })
        {
            var (many, used) = Product(threads, ta, tb, m, n, k, a, b, mask);
            Assert.That(used, Is.EqualTo(threads), $"{m}×{n}×{k} moves enough data to split over {threads} threads");
            for (int i = 0; i < one.Length; i++)
                if (BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]))
                    Assert.Fail($"{threads} threads differ from 1 at element {i}: {many[i]:R} vs {one[i]:R}");
        }
        Gemm.ParallelMinTraffic = long.MaxValue;
        Assert.That(Product(2, ta, tb, m, n, k, a, b, mask).Threads, Is.EqualTo(1), "without the traffic rule it stays on one thread");
    }

    [TestCase(32, 120, 256, false, true)] // the cnn case's first fully connected layer: splitting it made that step slower
    [TestCase(64, 10, 256, false, true)]  // the mlp case's last layer
    [TestCase(16, 512, 10, false, false)] // the head case's input gradient
    public void Small_products_stay_on_one_thread(int m, int n, int k, bool ta, bool tb)
    {
        var rng = new Random(3);
        var a = Random(rng, m * k); var b = Random(rng, k * n); var mask = Random(rng, m * n);
        Assert.That(Product(2, ta, tb, m, n, k, a, b, mask).Threads, Is.EqualTo(1));
    }
}

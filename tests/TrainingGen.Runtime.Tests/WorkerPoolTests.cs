using System;
using System.Threading;
using NUnit.Framework;
using TrainingGen.Kernels;

namespace TrainingGen.Runtime.Tests;

/// <summary>The kernels' worker pool: every index once, exceptions surface, nesting runs inline, no allocation per call.</summary>
[TestFixture]
[NonParallelizable]
public unsafe class WorkerPoolTests
{
    private struct Counts
    {
        public int* Hits;
        public int ThrowAt;
        public int* Nested;
    }

    private static void Hit(in Counts s, int i)
    {
        Interlocked.Increment(ref s.Hits[i]);
        if (i == s.ThrowAt) throw new InvalidOperationException($"index {i}");
    }

    private static void Nest(in Counts s, int i)
    {
        // A nested loop runs inline on this thread, in order.
        var inner = new Counts { Hits = s.Nested + i * 4, ThrowAt = -1 };
        WorkerPool.For(4, in inner, &Hit);
        Interlocked.Increment(ref s.Hits[i]);
    }

    [Test]
    public void Every_index_runs_exactly_once([Values(1, 2, 3, 8)] int threads, [Values(1, 2, 7, 1000)] int count)
    {
        var hits = new int[count];
        using var scope = KernelThreads.Use(threads);
        for (int round = 0; round < 20; round++)
        {
            Array.Clear(hits);
            fixed (int* h = hits)
            {
                var s = new Counts { Hits = h, ThrowAt = -1 };
                WorkerPool.For(count, in s, &Hit);
            }
            Assert.That(hits, Is.All.EqualTo(1), $"round {round}");
        }
    }

    [Test]
    public void An_exception_in_a_body_is_rethrown_to_the_caller([Values(1, 2)] int threads)
    {
        var hits = new int[64];
        using var scope = KernelThreads.Use(threads);
        fixed (int* h = hits)
        {
            var s = new Counts { Hits = h, ThrowAt = 17 };
            var e = Assert.Throws<InvalidOperationException>(() => For(64, s));
            Assert.That(e!.Message, Is.EqualTo("index 17"));
            // The pool still works afterwards.
            Array.Clear(hits);
            var ok = new Counts { Hits = h, ThrowAt = -1 };
            WorkerPool.For(64, in ok, &Hit);
        }
        Assert.That(hits, Is.All.EqualTo(1));
    }

    private static void For(int count, Counts s) => WorkerPool.For(count, in s, &Hit);

    [Test]
    public void Nested_loops_run_inline()
    {
        var hits = new int[6];
        var nested = new int[6 * 4];
        using var scope = KernelThreads.Use(2);
        fixed (int* h = hits, n = nested)
        {
            var s = new Counts { Hits = h, Nested = n, ThrowAt = -1 };
            WorkerPool.For(6, in s, &Nest);
        }
        Assert.That(hits, Is.All.EqualTo(1));
        Assert.That(nested, Is.All.EqualTo(1));
    }

    [Test]
    public void Calls_do_not_allocate()
    {
        var hits = new int[256];
        using var scope = KernelThreads.Use(2);
        fixed (int* h = hits)
        {
            var s = new Counts { Hits = h, ThrowAt = -1 };
            for (int i = 0; i < 50; i++) WorkerPool.For(256, in s, &Hit); // start the worker, tier up
            // This thread's bytes and the workers' (the test host's own threads allocate while it waits,
            // so GC.GetTotalAllocatedBytes is only reported).
            long least = long.MaxValue, total = long.MaxValue;
            for (int window = 0; window < 5 && least > 0; window++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytes, all = GC.GetTotalAllocatedBytes(true);
                for (int i = 0; i < 200; i++) WorkerPool.For(256, in s, &Hit);
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() + WorkerPool.WorkerAllocatedBytes - before);
                total = Math.Min(total, GC.GetTotalAllocatedBytes(true) - all);
            }
            Assert.That(least, Is.Zero, $"all threads of the process: {total}");
        }
    }

    [Test]
    public void Thread_caps_are_checked_and_restored()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.Use(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreads.Check(KernelThreads.Max + 1));
        int before = KernelThreads.Current;
        using (KernelThreads.Use(3))
        {
            Assert.That(KernelThreads.Current, Is.EqualTo(3));
            using (KernelThreads.Use(0)) Assert.That(KernelThreads.Current, Is.EqualTo(KernelThreads.Default));
            Assert.That(KernelThreads.Current, Is.EqualTo(3));
        }
        Assert.That(KernelThreads.Current, Is.EqualTo(before));
    }

    private struct Owners
    {
        public int* ThreadIds;
        public int* Order;
        public int* Next;
    }

    private static void Record(in Owners s, int i)
    {
        s.ThreadIds[i] = Environment.CurrentManagedThreadId;
        s.Order[Interlocked.Increment(ref *s.Next) - 1] = i;
        Thread.SpinWait(2000); // long enough that one thread could take a second index if it were free to
    }

    [Test]
    public void Each_thread_runs_exactly_its_own_index([Values(2, 3)] int threads)
    {
        var ids = new int[threads]; var order = new int[threads]; int next = 0;
        using var scope = KernelThreads.Use(threads);
        for (int round = 0; round < 20; round++)
        {
            Array.Clear(ids); next = 0;
            int ran;
            fixed (int* t = ids, o = order)
            {
                var s = new Owners { ThreadIds = t, Order = o, Next = &next };
                ran = WorkerPool.ForEachThread(threads, in s, &Record);
            }
            Assert.That(ran, Is.EqualTo(threads));
            Assert.That(ids[0], Is.EqualTo(Environment.CurrentManagedThreadId), "index 0 runs on the caller");
            Assert.That(ids, Is.Unique, "one thread per index");
        }
    }

    private static void RecordNested(in Owners s, int i)
    {
        // from inside a body: every index inline on this thread, in order, and 1 is returned
        var inner = stackalloc int[2]; var order = stackalloc int[2]; int next = 0;
        var nested = new Owners { ThreadIds = inner, Order = order, Next = &next };
        int ran = WorkerPool.ForEachThread(2, in nested, &Record);
        s.ThreadIds[i] = ran == 1 && inner[0] == Environment.CurrentManagedThreadId && inner[1] == inner[0] && order[0] == 0 && order[1] == 1 ? 1 : -1;
    }

    [Test]
    public void Per_thread_calls_run_inline_and_in_order_when_nested_or_alone()
    {
        var ok = new int[2]; var order = new int[2]; int next = 0;
        using (KernelThreads.Use(2))
            fixed (int* t = ok, o = order)
            {
                var s = new Owners { ThreadIds = t, Order = o, Next = &next };
                WorkerPool.ForEachThread(2, in s, &RecordNested);
            }
        Assert.That(ok, Is.All.EqualTo(1));

        var ids = new int[3]; next = 0;
        using (KernelThreads.Use(1))
        {
            fixed (int* t = ids, o = order)
            {
                var s = new Owners { ThreadIds = t, Order = o, Next = &next };
                Assert.Throws<ArgumentOutOfRangeException>(() => ForEachThread(3, s), "more indices than threads");
            }
        }
    }

    private static int ForEachThread(int count, Owners s) => WorkerPool.ForEachThread(count, in s, &Record);
}

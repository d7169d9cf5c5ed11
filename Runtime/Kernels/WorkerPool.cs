using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace TrainingGen.Kernels;

/// <summary>
/// The kernels' persistent worker threads and their one primitive, <see cref="For{TState}"/>: run
/// <c>body(state, i)</c> for every <c>i</c> in [0, count) on up to <see cref="KernelThreads.Current"/>
/// threads (the caller is one of them). No allocation per call: the state is an unmanaged struct
/// copied to the caller's stack, the body a static function pointer, the workers are started once and
/// then spin briefly or sleep between calls.
/// </summary>
/// <remarks>
/// <para><b>Determinism.</b> Which thread runs which index varies from call to call, so a body must
/// make index <c>i</c>'s result depend on <c>i</c> alone: each index writes its own part of the output
/// and never adds into a value another index also adds into. Then 1 and N threads give the same bits.
/// A reduction (a sum over the batch, say) is written as one partial result per index, reduced
/// afterwards by the caller in index order.</para>
/// <para>Calls from inside a body (nested parallelism), calls while another thread holds the pool, and
/// calls with a thread count of 1 run inline, in index order, on the calling thread.</para>
/// </remarks>
public static unsafe class WorkerPool
{
    private static readonly object s_gate = new();
    private static Worker[] s_workers = Array.Empty<Worker>();

    // The current job. Written by the owner of s_gate before it publishes s_job; read by participants.
    private static delegate*<void*, void*, int, void> s_invoke;
    private static void* s_body;
    private static void* s_state;
    private static int s_count;
    private static int s_next;
    private static bool s_perThread;
    private static int s_pending;
    private static Exception? s_error;

    /// <summary>Generation (high 32 bits) and number of workers taking part (low 32 bits) of the latest job.</summary>
    private static long s_job;

    [ThreadStatic] private static bool t_inside;

    /// <summary>How long an idle worker spins for the next job before it sleeps (a training step's kernels follow each other within it).</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    /// <summary>
    /// Runs <c>body(in state, i)</c> for <c>i</c> in [0, <paramref name="count"/>) on up to
    /// <see cref="KernelThreads.Current"/> threads and returns when all are done. An exception thrown by
    /// a body stops the remaining indices and is rethrown here (the first one).
    /// </summary>
    public static void For<TState>(int count, in TState state, delegate*<in TState, int, void> body) where TState : unmanaged =>
        Run(count, in state, body, perThread: false);

    /// <summary>
    /// Like <see cref="For{TState}"/> with <paramref name="count"/> ≤ <see cref="KernelThreads.Current"/>, but index
    /// <c>i</c> runs on participant <c>i</c> (the caller is 0, worker w is w + 1), each on its own thread, so a
    /// caller can give the threads shares of unequal size and time each one. Returns how many threads
    /// took part: <paramref name="count"/>, or 1 when it ran every index inline on the caller (nested call,
    /// pool busy, one thread allowed), where the indices run in order.
    /// </summary>
    internal static int ForEachThread<TState>(int count, in TState state, delegate*<in TState, int, void> body) where TState : unmanaged
    {
        if (count > KernelThreads.Current) throw new ArgumentOutOfRangeException(nameof(count), count, "ForEachThread: more indices than threads allowed.");
        return Run(count, in state, body, perThread: true);
    }

    private static int Run<TState>(int count, in TState state, delegate*<in TState, int, void> body, bool perThread) where TState : unmanaged
    {
        if (count <= 0) return 0;
        if (body == null) throw new ArgumentNullException(nameof(body));
        TState copy = state;
        int threads = Math.Min(KernelThreads.Current, count);
        if (threads <= 1 || t_inside || !Monitor.TryEnter(s_gate))
        {
            for (int i = 0; i < count; i++) body(in copy, i);
            return 1;
        }
        try
        {
            int helpers = threads - 1;
            EnsureWorkers(helpers);
            s_invoke = &Invoke<TState>;
            s_body = body;
            s_state = &copy;
            s_count = count;
            s_next = 0;
            s_perThread = perThread;
            s_pending = helpers;
            s_error = null;
            long generation = (Volatile.Read(ref s_job) >> 32) + 1;
            Interlocked.Exchange(ref s_job, (generation << 32) | (uint)helpers);
            for (int w = 0; w < helpers; w++) s_workers[w].Wake();

            t_inside = true;
            try { RunItems(0); }
            finally { t_inside = false; }

            // The workers read `copy` on this stack: wait for every one of them, even after an exception.
            var spin = new SpinWait();
            while (Volatile.Read(ref s_pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            var error = s_error;
            s_error = null;
            s_state = null;
            if (error is not null) ExceptionDispatchInfo.Throw(error);
            return threads;
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>Worker threads started so far (for tests and diagnostics).</summary>
    public static int WorkerCount => Volatile.Read(ref s_workers).Length;

    /// <summary>
    /// Bytes the worker threads have allocated so far, as of the end of their latest job (each
    /// records <see cref="GC.GetAllocatedBytesForCurrentThread"/>). With the caller's own
    /// per-thread count this gives exactly what a parallel call allocated, unlike
    /// <see cref="GC.GetTotalAllocatedBytes(bool)"/>, which also counts unrelated threads (a test host's).
    /// </summary>
    public static long WorkerAllocatedBytes
    {
        get
        {
            long sum = 0;
            foreach (var w in Volatile.Read(ref s_workers)) sum += Volatile.Read(ref w.AllocatedBytes);
            return sum;
        }
    }

    private static void Invoke<TState>(void* body, void* state, int i) where TState : unmanaged =>
        ((delegate*<in TState, int, void>)body)(in *(TState*)state, i);

    /// <summary>Runs indices of the current job: the next free ones, or with <see cref="s_perThread"/> only <paramref name="participant"/>'s.</summary>
    private static void RunItems(int participant)
    {
        int count = s_count;
        bool once = s_perThread;
        while (true)
        {
            int i = once ? participant : Interlocked.Increment(ref s_next) - 1;
            if (i >= count) return;
            try
            {
                s_invoke(s_body, s_state, i);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref s_error, e, null);
                Volatile.Write(ref s_next, count);
                return;
            }
            if (once) return;
        }
    }

    private static void EnsureWorkers(int n)
    {
        if (s_workers.Length >= n) return;
        var grown = new Worker[n];
        Array.Copy(s_workers, grown, s_workers.Length);
        for (int w = s_workers.Length; w < n; w++) grown[w] = new Worker(w);
        Volatile.Write(ref s_workers, grown);
    }

    private sealed class Worker
    {
        private readonly int _index;
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;
        public long AllocatedBytes;

        public Worker(int index)
        {
            _index = index;
            // Seen as "no job yet": the current generation, so the worker waits for the next one.
            _seen = (int)(Volatile.Read(ref s_job) >> 32);
            var thread = new Thread(Loop) { IsBackground = true, Name = $"TrainingGen kernel worker {index + 1}" };
            thread.Start();
        }

        private int _seen;

        /// <summary>Called by the job's owner after publishing it: wakes the worker if it went to sleep.</summary>
        public void Wake()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }

        private void Loop()
        {
            t_inside = true;
            while (true)
            {
                long job = WaitForJob();
                _seen = (int)(job >> 32);
                if (_index >= (int)(uint)job) continue; // not taking part in this one
                RunItems(_index + 1);
                Volatile.Write(ref AllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                Interlocked.Decrement(ref s_pending);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private long WaitForJob()
        {
            long start = Stopwatch.GetTimestamp();
            while (true)
            {
                long job = Volatile.Read(ref s_job);
                if ((int)(job >> 32) != _seen) return job;
                if (Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    Thread.SpinWait(16);
                    continue;
                }
                // Sleep; whoever turns _sleeping from 1 to 0 decides: the owner (then it releases the
                // semaphore and we must take that release) or we (a job came in meanwhile).
                Interlocked.Exchange(ref _sleeping, 1);
                job = Volatile.Read(ref s_job);
                if ((int)(job >> 32) != _seen && Interlocked.Exchange(ref _sleeping, 0) == 1) return job;
                _wake.Wait();
                start = Stopwatch.GetTimestamp();
            }
        }
    }
}

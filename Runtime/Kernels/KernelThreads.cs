using System;
using System.Globalization;

namespace TrainingGen.Kernels;

/// <summary>
/// How many threads kernels may use: the process default (<c>TRAININGGEN_THREADS</c>, else every
/// core), or a cap the calling thread sets for a while with <see cref="Use"/> (a trainer's
/// <c>Threads</c> does that around each pass). Thread counts never change results: kernels that run
/// in parallel partition their output, never a sum (see <see cref="WorkerPool"/>).
/// </summary>
public static class KernelThreads
{
    /// <summary>The environment variable that sets <see cref="Default"/>: a positive integer.</summary>
    public const string EnvironmentVariable = "TRAININGGEN_THREADS";

    /// <summary>Upper bound on any thread count (the pool never grows past it).</summary>
    public const int Max = 64;

    /// <summary>
    /// Threads kernels use when nothing caps them: <c>TRAININGGEN_THREADS</c> if it is a positive
    /// integer, else <see cref="Environment.ProcessorCount"/> (at most <see cref="Max"/>).
    /// </summary>
    public static int Default { get; } = ReadDefault();

    [ThreadStatic] private static int t_limit;

    /// <summary>The thread count kernels called on this thread use now (≥ 1).</summary>
    public static int Current => t_limit > 0 ? t_limit : Default;

    /// <summary>
    /// Caps kernels called on this thread at <paramref name="threads"/> until the returned scope is
    /// disposed; 0 means <see cref="Default"/>. <c>using var s = KernelThreads.Use(2);</c> Does not allocate.
    /// </summary>
    public static Scope Use(int threads)
    {
        if (threads < 0 || threads > Max)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"A thread count is 0 (the default) or 1…{Max}.");
        int previous = t_limit;
        t_limit = threads;
        return new Scope(previous);
    }

    /// <summary>Checks a value for a trainer's <c>Threads</c> property: 0 (the default) or 1…<see cref="Max"/>.</summary>
    public static int Check(int threads) =>
        threads >= 0 && threads <= Max ? threads
            : throw new ArgumentOutOfRangeException(nameof(threads), threads, $"Threads is 0 (the default: {EnvironmentVariable} or every core) or 1…{Max}.");

    /// <summary>Restores the previous cap when disposed.</summary>
    public readonly ref struct Scope
    {
        private readonly int _previous;
        internal Scope(int previous) => _previous = previous;
        /// <summary>Restores the cap in force before <see cref="Use"/>.</summary>
        public void Dispose() => t_limit = _previous;
    }

    private static int ReadDefault()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(text) && int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1)
            return Math.Min(n, Max);
        return Math.Clamp(Environment.ProcessorCount, 1, Max);
    }
}

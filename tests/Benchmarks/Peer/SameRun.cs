using System;
using System.Threading;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using TrainingGen.Kernels;

namespace TrainingGen.Benchmarks.Peer;

/// <summary>
/// <c>--peer</c>: TrainingGen and TorchSharp on the same cases, in the same process, interleaved
/// (per round and thread count: both sides' SGEMM 1024³, then each case on both sides, the side that
/// goes first alternating by round). Prints the markdown tables of docs/benchmarks.md.
/// Without <c>-p:TorchPeer=true</c> only the TrainingGen side runs.
/// </summary>
public static class SameRun
{
    private const int GemmSize = 1024;

    public static int Run(string[] args)
    {
        var threads = new List<int> { 1, 2 };
        var caseNames = Cases.Reference.Select(r => r.Name).ToList();
        int rounds = 3, repeats = 7;
        double targetMs = 250;
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--peer": break;
                case "--threads": threads = args[++i].Split(',').Select(int.Parse).ToList(); break;
                case "--cases": caseNames = args[++i].Split(',').ToList(); break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--repeats": repeats = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--target-ms": targetMs = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": output = args[++i]; break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }

        bool torch = TorchAvailable();
        if (torch) TorchLoad();
        else Console.WriteLine("# TorchSharp peer not built in (build with -p:TorchPeer=true): TrainingGen side only.");

        var cases = new Cases();
        cases.Warm(threads, minSteps: 60, minMs: 1000);
        var ours = new Dictionary<(string, int), List<StepTiming>>();
        var theirs = new Dictionary<(string, int), List<StepTiming>>();
        var gemmOurs = new Dictionary<(string, int), List<double>>();
        var gemmTheirs = new Dictionary<int, List<double>>();
        var torchCases = torch ? caseNames.ToDictionary(c => c, TorchMake) : new Dictionary<string, object>();

        var started = DateTime.UtcNow;
        double? fma512 = null, fma256 = null;
        var hostReadings = new List<HostProbe.Reading>();
        for (int round = 0; round < rounds; round++)
        {
            bool torchFirst = round % 2 == 1;
            foreach (int t in threads)
            {
                cases.SetThreads(t);
                if (torch) TorchThreads(t);
                Console.WriteLine($"# round {round + 1}/{rounds}, {t} thread(s), load {Load()}");
                if (t == threads[^1] && t > 1)
                {
                    // What the host gives this round's 2-thread cases (printed per round with the 2T ÷ 1T ratios).
                    if (HostProbe.Measure() is { } host)
                    {
                        hostReadings.Add(host);
                        Console.WriteLine(FormattableString.Invariant($"# host: compute 2T/1T {host.ComputeRatio:F2}, memory {host.MemoryOneGBs:F1} GB/s on 1 thread, {host.MemoryTwoGBs:F1} on 2, cache-line hand-off {host.HandoffNs:F0} ns"));
                    }
                }
                if (t == threads[0])
                {
                    // The core's FMA peak, best over the rounds (a loaded round only lowers it).
                    fma512 = Max(fma512, FmaPeak.Measure(avx512: true));
                    fma256 = Max(fma256, FmaPeak.Measure(avx512: false));
                }
                for (int side = 0; side < 2; side++)
                {
                    if ((side == 0) == torchFirst) { if (torch) Add(gemmTheirs, t, TorchGemmUs(GemmSize, repeats)); }
                    else foreach (var (name, m, n, k, ta, tb) in GemmShapes) Add(gemmOurs, (name, t), OurGemmUs(t, m, n, k, ta, tb, repeats));
                }
                foreach (var name in caseNames)
                {
                    for (int side = 0; side < 2; side++)
                    {
                        // Let the other side's idle threads stop spinning first: libtorch's OpenMP
                        // workers busy-wait up to ~200 ms after a parallel region (KMP_BLOCKTIME), which
                        // took a core from TrainingGen's 2-thread steps measured right after them.
                        if (torch) Thread.Sleep(QuiesceMs);
                        if ((side == 0) == torchFirst)
                        {
                            if (!torch) continue;
                            var tc = torchCases[name];
                            var r = StepTimer.Measure(() => TorchStep(tc), repeats, targetMs);
                            Add(theirs, (name, t), r);
                            Console.WriteLine(Line("torch", name, t, r));
                        }
                        else
                        {
                            var r = StepTimer.Measure(cases.ByName(name), repeats, targetMs, ownThreadsOnly: true);
                            Add(ours, (name, t), r);
                            Console.WriteLine(Line("traininggen", name, t, r));
                        }
                    }
                }
            }
        }

        string report = Report(threads, caseNames, rounds, repeats, targetMs, torch, ours, theirs, gemmOurs, gemmTheirs, started, fma512, fma256, hostReadings);
        Console.WriteLine();
        Console.WriteLine(report);
        if (output is not null) File.WriteAllText(output, report);
        return 0;
    }

    /// <summary>Pause before each side's measurement of a case (longer than OpenMP's default spin-wait).</summary>
    private const int QuiesceMs = 300;

    /// <summary>The SGEMM shapes measured for TrainingGen: the 1024³ square and mlp-big's three products per hidden layer.</summary>
    private static readonly (string Name, int M, int N, int K, bool TransA, bool TransB)[] GemmShapes =
    {
        ("1024³ A·B", GemmSize, GemmSize, GemmSize, false, false),
        ("mlp-big fwd x·Wᵀ 256×1024×1024", 256, 1024, 1024, false, true),
        ("mlp-big dW dyᵀ·x 1024×1024×256", 1024, 1024, 256, true, false),
        ("mlp-big dx dy·W 256×1024×1024", 256, 1024, 1024, false, false),
    };

    private static double OurGemmUs(int threads, int m, int n, int k, bool transA, bool transB, int repeats)
    {
        var rng = new Rng(7);
        var a = new float[m * k]; var b = new float[k * n]; var c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextGaussian();
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextGaussian();
        int lda = transA ? m : k, ldb = transB ? k : n;
        using var scope = KernelThreads.Use(threads);
        for (int i = 0; i < 3; i++) Gemm.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
        int iters = Math.Max(1, (int)(2e8 / (2.0 * m * n * k)) * 5);
        var t = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < iters; i++) Gemm.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
            t[r] = (System.Diagnostics.Stopwatch.GetTimestamp() - t0) * 1e6 / System.Diagnostics.Stopwatch.Frequency / iters;
        }
        Array.Sort(t);
        return t[repeats / 2];
    }

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> d, TKey key, TValue value) where TKey : notnull
    {
        if (!d.TryGetValue(key, out var list)) d[key] = list = new List<TValue>();
        list.Add(value);
    }

    private static string Line(string side, string name, int t, StepTiming r) => FormattableString.Invariant(
        $"side={side} case={name} threads={t} us_per_step={r.MedianUs:F2} min_us={r.MinUs:F2} max_us={r.MaxUs:F2} steps_per_repeat={r.StepsPerRepeat} bytes_per_step={r.BytesPerStep:F2}");

    private static double Median(IEnumerable<double> values) => Statistics.Median(values);

    private static string Report(List<int> threads, List<string> caseNames, int rounds, int repeats, double targetMs, bool torch,
        Dictionary<(string, int), List<StepTiming>> ours, Dictionary<(string, int), List<StepTiming>> theirs,
        Dictionary<(string, int), List<double>> gemmOurs, Dictionary<int, List<double>> gemmTheirs, DateTime started, double? fma512, double? fma256,
        List<HostProbe.Reading> hostReadings)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        double gemmFlop = 2.0 * GemmSize * GemmSize * GemmSize;
        double peak = torch && gemmTheirs.TryGetValue(1, out var p1) ? gemmFlop / Median(p1) / 1e3 : double.NaN;
        sb.AppendLine(FormattableString.Invariant($"Run {started:yyyy-MM-dd HH:mm} UTC; {rounds} interleaved rounds × {repeats} repeats of ~{targetMs} ms; figures are medians over rounds of each round's median."));
        sb.AppendLine(FormattableString.Invariant($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {CpuModel()}; TorchSharp {(torch ? TorchVersion() : "not run")}; load at end {Load()}."));
        sb.AppendLine(FormattableString.Invariant($"Peak = libtorch's 1-thread SGEMM {GemmSize}³ in this run: {peak:F1} GFLOP/s."));
        double corePeak = fma512 ?? fma256 ?? double.NaN;
        sb.AppendLine(FormattableString.Invariant($"The core's own FMA peak, measured in this run (one thread, best over rounds): {fma512?.ToString("F1", inv) ?? "—"} GFLOP/s with AVX-512, {fma256?.ToString("F1", inv) ?? "—"} with AVX2; \"% of core\" below is against the widest."));
        sb.AppendLine();
        sb.AppendLine("| SGEMM | threads | TrainingGen µs | TrainingGen GFLOP/s | % of peak | % of core | TorchSharp µs | TorchSharp GFLOP/s | % of peak |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, m, n, k, _, _) in GemmShapes)
            foreach (int t in threads)
            {
                double flop = 2.0 * m * n * k;
                double us = gemmOurs.TryGetValue((name, t), out var l) ? Median(l) : double.NaN;
                string torchCols = "— | — | —";
                if (name.StartsWith("1024", StringComparison.Ordinal) && gemmTheirs.TryGetValue(t, out var lt))
                {
                    double tu = Median(lt);
                    torchCols = string.Format(inv, "{0:N0} | {1:F1} | {2:F0} %", tu, flop / tu / 1e3, 100 * flop / tu / 1e3 / peak);
                }
                sb.AppendLine(string.Format(inv, "| {0} | {1} | {2:N0} | {3:F1} | {4:F0} % | {5:F0} % | {6} |", name, t, us, flop / us / 1e3, 100 * flop / us / 1e3 / peak,
                    100 * flop / us / 1e3 / (corePeak * t), torchCols));
            }
        sb.AppendLine();
        sb.AppendLine("| case | threads | TrainingGen µs/step | GFLOP/s | % of peak | B/step ¹ | TorchSharp µs/step | GFLOP/s | % of peak | managed B/step ² | × (TorchSharp ÷ TrainingGen) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var name in caseNames)
            foreach (int t in threads)
            {
                double mflop = Cases.Reference.First(r => r.Name == name).MFlop;
                var o = ours.TryGetValue((name, t), out var lo) ? lo : new List<StepTiming>();
                var th = theirs.TryGetValue((name, t), out var lt) ? lt : new List<StepTiming>();
                double ou = Median(o.Select(x => x.MedianUs)), tu = Median(th.Select(x => x.MedianUs));
                double ratio = Median(o.Zip(th, (a, b) => b.MedianUs / a.MedianUs));
                sb.AppendLine(string.Format(inv, "| {0} | {1} | {2} | {3} | {4} | {5:0.##} | {6} | {7} | {8} | {9:0} | {10} |",
                    name, t, Us(ou), Gf(mflop, ou), Pct(mflop, ou, peak), o.Count == 0 ? double.NaN : o.Max(x => x.BytesPerStep),
                    Us(tu), Gf(mflop, tu), Pct(mflop, tu, peak), th.Count == 0 ? double.NaN : Median(th.Select(x => x.BytesPerStep)),
                    double.IsNaN(ratio) ? "—" : ratio.ToString(ratio >= 10 ? "F0" : "F2", inv) + "×"));
            }
        sb.AppendLine();
        sb.AppendLine("¹ Bytes allocated by the stepping thread and the kernel workers, the most over the rounds. ² Managed bytes on every thread of the process (TorchSharp's native allocations are not counted).");
        sb.AppendLine("× is the median over rounds of each round's TorchSharp ÷ TrainingGen; its lowest and highest round:");
        foreach (var name in caseNames)
            foreach (int t in threads)
                if (ours.TryGetValue((name, t), out var o) && theirs.TryGetValue((name, t), out var th) && th.Count > 0)
                {
                    var r = o.Zip(th, (a, b) => b.MedianUs / a.MedianUs).ToList();
                    sb.AppendLine(string.Format(inv, "- {0}, {1} thread(s): {2:F2}× – {3:F2}×", name, t, r.Min(), r.Max()));
                }
        if (threads.Contains(1) && threads.Contains(2))
        {
            sb.AppendLine();
            if (hostReadings.Count > 0)
            {
                sb.AppendLine(string.Format(inv, "- Host, per round before its {0}-thread cases (HostProbe): two threads of FMAs at once ran {1} × one thread's throughput (2 = a whole second core);",
                    threads[^1], string.Join(", ", hostReadings.Select(r => r.ComputeRatio.ToString("F2", inv)))));
                sb.AppendLine(string.Format(inv, "  two threads streaming memory read {0} × what one thread read ({1} GB/s on one thread).",
                    string.Join(", ", hostReadings.Select(r => (r.MemoryTwoGBs / r.MemoryOneGBs).ToString("F2", inv))),
                    string.Join(", ", hostReadings.Select(r => r.MemoryOneGBs.ToString("F1", inv)))));
                sb.AppendLine(string.Format(inv, "  a cache line handed from one thread to the other took {0} ns.",
                    string.Join(", ", hostReadings.Select(r => r.HandoffNs.ToString("F0", inv)))));
            }
            foreach (var name in caseNames)
            {
                if (!ours.TryGetValue((name, 1), out var one) || !ours.TryGetValue((name, 2), out var two)) continue;
                // per round: the two timings of a round were taken minutes apart at most, so on a host whose speed
                // drifts the spread of these ratios says more than either side's median alone
                var perRound = one.Zip(two, (a, b) => a.MedianUs / b.MedianUs).ToList();
                sb.AppendLine(string.Format(inv, "- {0}: TrainingGen 2 threads is {1:F2}× its 1-thread speed (per round: {2}).", name, Median(perRound),
                    string.Join(", ", perRound.Select(r => r.ToString("F2", inv)))));
            }
        }
        return sb.ToString();
    }

    private static string Us(double us) => double.IsNaN(us) ? "—" : us >= 100 ? us.ToString("N0", CultureInfo.InvariantCulture) : us.ToString("F2", CultureInfo.InvariantCulture);
    // MFLOP per µs is TFLOP/s: × 1000 for GFLOP/s.
    private static string Gf(double mflop, double us) => double.IsNaN(us) ? "—" : (mflop / us * 1e3).ToString(mflop / us * 1e3 < 1 ? "F4" : "F1", CultureInfo.InvariantCulture);
    private static string Pct(double mflop, double us, double peak) => double.IsNaN(us) || double.IsNaN(peak) ? "—" : (100 * mflop / us * 1e3 / peak).ToString(mflop / us * 1e3 / peak < 0.01 ? "F3" : "F1", CultureInfo.InvariantCulture) + " %";

    private static string Load()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line.Split(':')[1].Trim();
        }
        catch (IOException) { }
        return "unknown CPU";
    }

#if TORCH_PEER
    private static bool TorchAvailable() => true;
    private static void TorchLoad() => TorchSide.Load();
    private static void TorchThreads(int t) => TorchSide.SetThreads(t);
    private static object TorchMake(string name) => TorchSide.Make(name);
    private static float TorchStep(object c) => ((TorchSide)c).Step();
    private static double TorchGemmUs(int n, int repeats) => TorchSide.GemmUs(n, repeats);
    private static string TorchVersion() => TorchSide.Version;
#else
    private static bool TorchAvailable() => false;
    private static void TorchLoad() { }
    private static void TorchThreads(int t) { }
    private static object TorchMake(string name) => throw new NotSupportedException("built without the TorchSharp peer");
    private static float TorchStep(object c) => 0f;
    private static double TorchGemmUs(int n, int repeats) => double.NaN;
    private static string TorchVersion() => "not built in";
#endif
}

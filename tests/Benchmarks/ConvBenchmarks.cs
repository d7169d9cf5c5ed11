using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using TrainingGen.Kernels;
using Im2Row = TrainingGen.Kernels.Conv2d;

namespace TrainingGen.Benchmarks;

/// <summary>The convolution shapes of the cnn case (batch 32) and the kernel variants measured for each pass.</summary>
public sealed class ConvCases
{
    /// <summary>LeNet's two convolutions in the cnn case.</summary>
    public static readonly (string Name, Conv2dShape Shape)[] Shapes =
    {
        ("conv1 1→6 28² k5", new Conv2dShape(32, 1, 28, 28, 6, 5, 1, 0, 1, 1)),
        ("conv2 6→16 12² k5", new Conv2dShape(32, 6, 12, 12, 16, 5, 1, 0, 1, 1)),
    };

    private readonly Conv2dShape _s;
    private readonly float[] _x, _w, _b, _y, _dy, _dx, _dw, _patches, _rowScratch;
    private readonly float[] _scatterWork;
    private readonly Dictionary<ConvTile, float[]> _fwdWork = new(), _dxWork = new();

    public ConvCases(Conv2dShape s)
    {
        _s = s;
        var rng = new Random(7);
        float[] R(int n) { var v = new float[n]; for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1); return v; }
        _x = R(s.Batch * s.InChannels * s.Height * s.Width);
        _w = R(s.OutChannels * s.PatchLength);
        _b = R(s.OutChannels);
        _y = new float[s.Batch * s.OutChannels * s.OutHeight * s.OutWidth];
        _dy = R(_y.Length);
        _dx = new float[_x.Length];
        _dw = new float[_w.Length];
        _patches = new float[s.PatchCount];
        _rowScratch = new float[s.PatchLength];
        foreach (var t in Enum.GetValues<ConvTile>())
        {
            _fwdWork[t] = new float[Conv2dDirect.ForwardWorkLength(s, t)];
            _dxWork[t] = new float[Conv2dDirect.InputGradWorkLength(s, t)];
        }
        _scatterWork = new float[Conv2dDirect.InputGradScatterWorkLength(s)];
        Im2Row.Forward(_x, _w, _b, _y, _patches, s);
    }

    /// <summary>Floating-point operations of one pass (2 per multiply-add; every pass has the same count).</summary>
    public double Flop => 2.0 * _s.Batch * _s.OutChannels * _s.OutHeight * _s.OutWidth * _s.PatchLength;

    /// <summary>(pass, variant, action) for every variant of every pass.</summary>
    public IEnumerable<(string Pass, string Variant, Action Run)> Variants()
    {
        yield return ("forward", "im2row + SGEMM, then relu", () => { Im2Row.Forward(_x, _w, _b, _y, _patches, _s); System.Numerics.Tensors.TensorPrimitives.Max(_y, 0f, _y); });
        foreach (var t in Enum.GetValues<ConvTile>())
            yield return ("forward", $"direct {t}, fused bias+relu", () => Conv2dDirect.Forward(_x, _w, _b, _y, _fwdWork[t], _s, t, ConvEpilogue.BiasRelu));
        yield return ("dW", "SGEMM on saved patches", () => Im2Row.WeightGrad(_dy, _patches, _dw, _s));
        yield return ("dW", "direct", () => Conv2dDirect.WeightGrad(_dy, _x, _fwdWork[ConvTile.P2C6], _dw, _s, ConvTile.P2C6));
        if (_s.InChannels > 1)
        {
            yield return ("dX", "SGEMM + col2im", () => Im2Row.InputGrad(_dy, _w, _dx, _rowScratch, _s));
            foreach (var t in Enum.GetValues<ConvTile>())
                yield return ("dX", $"direct {t} (transposed conv)", () => Conv2dDirect.InputGrad(_dy, _w, _dx, _dxWork[t], _s, t));
            yield return ("dX", "direct scatter 2×6", () => Conv2dDirect.InputGradScatter(_dy, _w, _dx, _scatterWork, _s));
        }
    }
}

/// <summary>
/// Interleaved timing of every convolution variant (docs/benchmarks.md, "Convolution kernels"): each
/// round runs every variant for ~40 ms of CPU time; the figure is the median over rounds of the per-call mean, so
/// the variants see the same machine load (other processes share the two cores).
/// </summary>
public static class ConvTable
{
    public static int Run(int rounds)
    {
        foreach (var (name, shape) in ConvCases.Shapes)
        {
            var c = new ConvCases(shape);
            var variants = c.Variants().ToList();
            var times = variants.Select(_ => new List<double>()).ToList();
            foreach (var v in variants) for (int i = 0; i < 20; i++) v.Run(); // JIT to tier 1
            for (int r = 0; r < rounds; r++)
                for (int i = 0; i < variants.Count; i++) times[i].Add(TimeUs(variants[i].Run, 40));
            Console.WriteLine($"\n{name}: {c.Flop / 1e6:0.00} MFLOP per pass, {rounds} interleaved rounds");
            Console.WriteLine($"| pass | variant | µs (median) | GFLOP/s |");
            Console.WriteLine("|---|---|---:|---:|");
            for (int i = 0; i < variants.Count; i++)
            {
                double us = Median(times[i]);
                Console.WriteLine($"| {variants[i].Pass} | {variants[i].Variant} | {us:0.0} | {c.Flop / us / 1e3:0.0} |");
            }
        }
        return 0;
    }

    /// <summary>Step before (the generator's output at cecd6de) and after, interleaved.</summary>
    public static int RunStepAb(int rounds)
    {
        var rng = new Rng(20261129);
        var before = Baseline.CnnBefore.CreateTrainer(32, seed: 3);
        var after = Models.Cnn.CreateTrainer(32, seed: 3);
        var x = new Tensor(32, 1, 28, 28);
        for (int i = 0; i < x.Count; i++) x.Data[i] = (float)rng.NextGaussian();
        var y = new Tensor(32);
        for (int i = 0; i < 32; i++) y.Data[i] = (int)(rng.NextDouble() * 10);
        Action a = () => before.Step(x, y), b = () => after.Step(x, y);
        for (int i = 0; i < 30; i++) { a(); b(); }
        var ta = new List<double>(); var tb = new List<double>();
        for (int r = 0; r < rounds; r++) { ta.Add(TimeUs(a, 250)); tb.Add(TimeUs(b, 250)); }
        long bytes0 = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) b();
        long bytes = GC.GetAllocatedBytesForCurrentThread() - bytes0;
        double ma = Median(ta), mb = Median(tb);
        Console.WriteLine($"cnn step, batch 32, {rounds} interleaved rounds of ~250 ms thread CPU time (median):");
        Console.WriteLine($"  before (im2row + SGEMM, cecd6de): {ma:0.0} µs  [{string.Join(", ", ta.Select(t => t.ToString("0")))}]");
        Console.WriteLine($"  after  (direct, fused epilogues): {mb:0.0} µs  [{string.Join(", ", tb.Select(t => t.ToString("0")))}]");
        Console.WriteLine($"  speed-up ×{ma / mb:0.00}; after allocates {bytes / 100.0:0.##} B/step");
        return 0;
    }

    /// <summary>The cnn step's other kernels at batch 32, one at a time (where the rest of the step goes).</summary>
    public static int RunParts(int rounds)
    {
        var rng = new Random(3);
        float[] R(int n) { var v = new float[n]; for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1); return v; }
        var a1 = R(32 * 6 * 576); var p1 = new float[32 * 6 * 144]; var g1 = R(32 * 6 * 144); var d1 = new float[a1.Length]; var e1 = new float[a1.Length];
        var a2 = R(32 * 16 * 64); var p2 = new float[32 * 16 * 16]; var g2 = R(32 * 16 * 16); var d2 = new float[a2.Length];
        var db = new float[16];
        var h = R(32 * 256); var w1 = R(120 * 256); var b1 = R(120); var o1 = new float[32 * 120]; var dw1 = new float[w1.Length]; var dh = new float[h.Length];
        var parts = new (string, Action)[]
        {
            ("maxpool fwd 6×24²", () => Pool2d.MaxForward(a1, p1, 32 * 6, 24, 24, 2, 2, 0)),
            ("maxpool bwd 6×24²", () => Pool2d.MaxBackward(g1, a1, d1, 32 * 6, 24, 24, 2, 2, 0)),
            ("relu bwd 6×24²", () => Activations.ReluBackward(d1, a1, e1)),
            ("bias grad 6×24²", () => Im2Row.BiasGrad(e1, db, new Conv2dShape(32, 1, 24, 24, 6, 1, 1, 0, 1, 1))),
            ("maxpool fwd 16×8²", () => Pool2d.MaxForward(a2, p2, 32 * 16, 8, 8, 2, 2, 0)),
            ("maxpool bwd 16×8²", () => Pool2d.MaxBackward(g2, a2, d2, 32 * 16, 8, 8, 2, 2, 0)),
            ("fc1 fwd 256→120", () => Dense.LinearForward(h, w1, b1, o1, 32, 256, 120)),
            ("fc1 dW", () => Dense.LinearWeightGrad(o1, h, dw1, 32, 256, 120)),
            ("fc1 dX", () => Dense.LinearInputGrad(o1, w1, dh, 32, 256, 120)),
        };
        var times = parts.Select(_ => new List<double>()).ToList();
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < parts.Length; i++) times[i].Add(TimeUs(parts[i].Item2, 20));
        for (int i = 0; i < parts.Length; i++) Console.WriteLine($"{parts[i].Item1,-22} {Median(times[i]),8:0.0} µs");
        return 0;
    }

    /// <summary>
    /// Mean µs per call over ~<paramref name="ms"/> of this thread's CPU time (not wall time: the machine is
    /// shared, and time spent waiting for a core is not the kernel's).
    /// </summary>
    internal static double TimeUs(Action run, double ms)
    {
        double start = ThreadCpu.Microseconds(), end;
        int calls = 0;
        do { run(); calls++; end = ThreadCpu.Microseconds(); } while (end - start < ms * 1000);
        return (end - start) / calls;
    }

    private static double Median(List<double> v) => Statistics.Median(v);
}

/// <summary>The calling thread's CPU time (Linux: CLOCK_THREAD_CPUTIME_ID; elsewhere the process's, which is the same for a single-threaded run).</summary>
internal static class ThreadCpu
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private const int ClockThreadCpuTime = 3;

    public static double Microseconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTime, out var t) == 0) return t.Seconds * 1e6 + t.Nanoseconds / 1e3;
        return Process.GetCurrentProcess().TotalProcessorTime.TotalMicroseconds;
    }
}

/// <summary>BenchmarkDotNet view of the same variants (one benchmark per pass and variant, per shape).</summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private List<(string Pass, string Variant, Action Run)> _variants = new();

    [ParamsSource(nameof(Cases))] public string Case { get; set; } = "";

    public static IEnumerable<string> Cases() =>
        ConvCases.Shapes.SelectMany(s => new ConvCases(s.Shape).Variants().Select(v => $"{s.Name} | {v.Pass} | {v.Variant}"));

    [GlobalSetup]
    public void Setup()
    {
        var parts = Case.Split(" | ");
        var shape = ConvCases.Shapes.First(s => s.Name == parts[0]).Shape;
        _variants = new ConvCases(shape).Variants().Where(v => v.Pass == parts[1] && v.Variant == parts[2]).ToList();
    }

    [Benchmark] public void Pass() => _variants[0].Run();
}

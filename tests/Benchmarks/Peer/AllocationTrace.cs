using System;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Linq;

namespace TrainingGen.Benchmarks.Peer;

/// <summary>
/// <c>--alloc-trace CASE</c>: which types a step allocates, from the runtime's GC AllocationTick events
/// (one per ~100 KB allocated). Run it with <c>DOTNET_JitMinOpts=1</c> (or a Debug build) to see what
/// unoptimised code allocates before tiering up, which is what BenchmarkDotNet's MemoryDiagnoser catches.
/// </summary>
public sealed class AllocationTrace : EventListener
{
    private readonly Dictionary<string, long> _types = new();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.Contains("AllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        int i = e.PayloadNames!.IndexOf("TypeName");
        string type = i >= 0 ? e.Payload[i]?.ToString() ?? "?" : "?";
        lock (_types) _types[type] = _types.GetValueOrDefault(type) + 1;
    }

    /// <summary>Bytes per call of each kernel an mlp step calls (this thread), to find an allocating one.</summary>
    public static int Kernels()
    {
        int b = 64;
        var x = new float[b * 784]; var w = new float[256 * 784]; var bias = new float[256]; var h = new float[b * 256];
        var w2 = new float[10 * 256]; var logits = new float[b * 10]; var work = new float[b * 10]; var y = new float[b];
        var dw = new float[256 * 784]; var db = new float[256]; var dh = new float[b * 256];
        var t = Models.Mlp.CreateTrainer(b);
        var xt = new Tensor(new[] { b, 784 }, x); var yt = new Tensor(new[] { b }, y);
        var probes = new (string, Action)[]
        {
            ("LinearForward", () => TrainingGen.Kernels.Dense.LinearForward(x, w, bias, h, b, 784, 256)),
            ("Max", () => System.Numerics.Tensors.TensorPrimitives.Max(h, 0f, h)),
            ("CrossEntropy", () => TrainingGen.Kernels.Softmax.CrossEntropy(logits, y, work, 10, 0f)),
            ("CrossEntropyBackward", () => TrainingGen.Kernels.Softmax.CrossEntropyBackward(1f, work, y, logits, 10, 0f)),
            ("LinearWeightGrad", () => TrainingGen.Kernels.Dense.LinearWeightGrad(h, x, dw, b, 784, 256)),
            ("LinearBiasGrad", () => TrainingGen.Kernels.Dense.LinearBiasGrad(h, db, b, 256)),
            ("LinearInputGrad", () => TrainingGen.Kernels.Dense.LinearInputGrad(logits, w2, dh, b, 256, 10)),
            ("ReluBackward", () => TrainingGen.Kernels.Activations.ReluBackward(dh, h, dh)),
            ("Optimizer.Step", () => t.Optimizer.Step(0.01f, 3)),
            ("Trainer.Step", () => t.Step(xt, yt)),
            ("Trainer.ComputeGradients", () => t.ComputeGradients(xt, yt)),
            ("Trainer.ApplyUpdate", () => t.ApplyUpdate()),
            ("Threads.Use", () => { using var s = TrainingGen.Kernels.KernelThreads.Use(1); }),
        };
        foreach (var (name, call) in probes)
        {
            for (int i = 0; i < 3; i++) call();
            long before = GC.GetAllocatedBytesForCurrentThread(), all = GC.GetTotalAllocatedBytes(true);
            for (int i = 0; i < 100; i++) call();
            Console.WriteLine($"{name,-22} {(GC.GetAllocatedBytesForCurrentThread() - before) / 100.0:0.##} B/call (this thread), {(GC.GetTotalAllocatedBytes(true) - all) / 100.0:0.##} (all)");
        }
        return 0;
    }

    public static int Run(string name, int steps)
    {
        var cases = new Cases();
        var step = cases.ByName(name);
        for (int i = 0; i < 5; i++) step();
        long before = GC.GetTotalAllocatedBytes(true);
        using var trace = new AllocationTrace();
        for (int i = 0; i < steps; i++) step();
        long bytes = GC.GetTotalAllocatedBytes(true) - before;
        System.Threading.Thread.Sleep(1500); // events are dispatched asynchronously
        Console.WriteLine($"{name}: {bytes / (double)steps:0.##} B/step over {steps} steps");
        lock (trace._types)
            foreach (var (type, n) in trace._types.OrderByDescending(kv => kv.Value)) Console.WriteLine($"  {n,6} ticks  {type}");
        return 0;
    }
}

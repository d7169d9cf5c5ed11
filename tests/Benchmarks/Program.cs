// Benchmarks of one training step per case of docs/benchmarks.md.
//   dotnet run -c Release --project tests/Benchmarks -- --filter '*'            full run (BenchmarkDotNet)
//   dotnet run -c Release --project tests/Benchmarks -- --filter '*' --quick    Job.Dry smoke run
//   dotnet run -c Release --project tests/Benchmarks -- --check                 bytes allocated per step (1 and 2 threads), fails if any
//   dotnet run -c Release --project tests/Benchmarks -p:TorchPeer=true -- --peer [--threads 1,2] [--rounds 3] [--out FILE]
//                                                                               TrainingGen and TorchSharp in the same run (docs/benchmarks.md)
//   dotnet run -c Release --project tests/Benchmarks -- --check                 bytes allocated per step, fails if any
//   dotnet run -c Release --project tests/Benchmarks -- --conv [rounds]         convolution variants per shape, interleaved
//   dotnet run -c Release --project tests/Benchmarks -- --cnn-ab [rounds]       cnn step before/after the direct convolutions, interleaved
//   dotnet run -c Release --project tests/Benchmarks -- --mlp-big-parts [rounds] mlp-big's step kernel by kernel, 1 vs 2 threads
using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using TrainingGen.Benchmarks;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Contains("--check")) return AllocationCheck.Run();
if (args.Length == 1 && args[0] == "--alloc-kernels") return TrainingGen.Benchmarks.Peer.AllocationTrace.Kernels();
if (args.Length >= 2 && args[0] == "--alloc-trace") return TrainingGen.Benchmarks.Peer.AllocationTrace.Run(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000);
if (args.Contains("--peer")) return TrainingGen.Benchmarks.Peer.SameRun.Run(args);
int Rounds(int fallback) => args.Length > 1 && int.TryParse(args[1], out int r) ? r : fallback;
if (args.Length > 0 && args[0] == "--conv") return ConvTable.Run(Rounds(9));
if (args.Length > 0 && args[0] == "--cnn-parts") return ConvTable.RunParts(Rounds(5));
if (args.Length > 0 && args[0] == "--mlp-big-parts") return MlpBigParts.Run(Rounds(7));
if (args.Length > 0 && args[0] == "--cnn-ab") return ConvTable.RunStepAb(Rounds(9));

bool quick = args.Contains("--quick");
var rest = args.Where(a => a != "--quick").ToArray();
var job = (quick ? Job.Dry : Job.Default.WithWarmupCount(5).WithIterationCount(15))
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithId(quick ? "Quick" : "Step");
var config = DefaultConfig.Instance
    .AddJob(job)
    .AddColumn(StatisticColumn.Median)
    .AddColumn(new GflopsColumn(), new TorchSharpRatioColumn())
    .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(StepBenchmarks).Assembly).Run(rest, config);
return 0;

/// <summary>Steps each case a few times, then measures the bytes allocated by 100 more (must be 0).</summary>
internal static class AllocationCheck
{
    public static int Run()
    {
        var cases = new Cases();
        cases.Warm();
        int failures = 0;
        foreach (int threads in new[] { 1, 2 })
        foreach (var (name, mflop, torch) in Cases.Reference)
        {
            cases.SetThreads(threads);
            var step = cases.ByName(name);
            for (int i = 0; i < 5; i++) step();
            const int steps = 100;
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            long before = GC.GetTotalAllocatedBytes(true);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++) step();
            long end = Stopwatch.GetTimestamp();
            long bytes = GC.GetTotalAllocatedBytes(true) - before;
            process.Refresh();
            double cpuUs = (process.TotalProcessorTime - cpu0).TotalMilliseconds * 1000 / steps;
            double us = (end - start) * 1e6 / Stopwatch.Frequency / steps;
            // CPU time (all threads of the process) is the steadier figure on a shared machine with 1 thread.
            Console.Write($"{threads}T ");
            Console.WriteLine($"{name,-8} {bytes / (double)steps,8:0.##} B/step  wall {us,10:0.0} µs/step  cpu {cpuUs,10:0.0} µs/step  {mflop / cpuUs * 1000,7:0.00} GFLOP/s (cpu)  ×{cpuUs / torch:0.00} TorchSharp");
            if (bytes != 0) failures++;
        }
        return failures == 0 ? 0 : 1;
    }
}

// Federated learning: the LeNet of Samples/FashionMnist trained on Fashion-MNIST split non-IID over
// 1,000 users, without and with central differential privacy (pfl-research's benchmark shape). Prints
// the test accuracy every 10 iterations and ε spent, writes a CSV, a PNG plot, a checkpoint and the
// next training package per run, and ends with one line per run:
//   federated dp=off accuracy=0.8123 epsilon=inf iterations=N users_per_s=X images_per_s=Y
//   dotnet run -c Release --project Samples/Federated [-- --iterations N] [--dp-iterations N] [--only off|on]
//       [--digits] [--threads N] [--out DIR] [--resume] [--no-plot] [--benchmark N] [--cluster HOST:PORT[,HOST:PORT]]
// On an Orleans cluster (README, "Federated simulation on a cluster"): start silos with
//   dotnet run -c Release --project Samples/Federated -- silo --port P [--seed-node HOST:PORT] [--threads N]
// and run the coordinator with --cluster (the silos' gateways).
using System;
using System.Globalization;
using System.IO;
using FederatedSample;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "silo") return await ClusterMode.RunSilo(args[1..]);
int? iterations = null, dpIterations = null, benchmark = null;
string only = "both";
var template = new FederatedRunOptions();
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--iterations": iterations = NextInt(); break;
        case "--dp-iterations": dpIterations = NextInt(); break;
        case "--only": only = Next(); break;
        case "--digits": template.UseDigits = true; break;
        case "--data": template.DataDirectory = Next(); break;
        case "--threads": template.Threads = NextInt(); break;
        case "--out": template.OutputDirectory = Next(); break;
        case "--resume": template.Resume = true; break;
        case "--no-plot": template.Plot = false; break;
        case "--evaluate-every": template.EvaluateEvery = NextInt(); break;
        case "--benchmark": benchmark = NextInt(); break;
        case "--users": template.Users = NextInt(); break;
        case "--cluster": template.Cluster = Next(); break;
        case "--call-timeout": template.CallTimeoutSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: [--iterations N] [--dp-iterations N] [--only off|on] [--digits] [--data DIR] " +
                "[--threads N] [--out DIR] [--resume] [--no-plot] [--evaluate-every K] [--benchmark N] [--users N] [--cluster HOST:PORT[,…]] [--call-timeout S]; " +
                "or: silo --port P [--gateway-port G] [--seed-node HOST:PORT] [--host ADDRESS] [--threads N]");
            return 2;
    }
}
if (only is not ("both" or "off" or "on")) { Console.Error.WriteLine("--only takes off or on."); return 2; }

if (benchmark is int n)
{
    // Timed mode (docs/benchmarks.md): local training throughput of the sample's setting, no evaluation.
    Console.WriteLine(ThroughputBenchmark.Run(template, n).Line());
    return 0;
}

FederatedRunOptions For(bool dp) => new()
{
    Privacy = dp, Iterations = dp ? dpIterations ?? iterations : iterations,
    UseDigits = template.UseDigits, DataDirectory = template.DataDirectory, Threads = template.Threads,
    OutputDirectory = template.OutputDirectory, Resume = template.Resume, Plot = template.Plot, EvaluateEvery = template.EvaluateEvery,
    Users = template.Users, Cluster = template.Cluster, CallTimeoutSeconds = template.CallTimeoutSeconds,
};
FederatedRunResult? off = null, on = null;
if (only != "on") off = FederatedRun.Run(For(false));
if (only != "off") on = FederatedRun.Run(For(true));
// The machine-readable summary, one line per run, last.
if (off is not null) Console.WriteLine(off.SummaryLine());
if (on is not null) Console.WriteLine(on.SummaryLine());
return 0;

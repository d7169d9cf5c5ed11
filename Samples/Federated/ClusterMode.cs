using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using TrainingGen.Federated;
using TrainingGen.Federated.Cluster;

namespace FederatedSample;

/// <summary>
/// The sample on an Orleans cluster. Silos (<c>silo --port P [--seed-node HOST:PORT]</c>) host one
/// federated worker each and open the data themselves from the population's description (data set,
/// users, Dirichlet α, seeds); the coordinator (<c>--cluster HOST:PORT[,HOST:PORT…]</c>, the silos'
/// gateways) samples cohorts, reduces, adds the DP noise and steps the central model as in-process.
/// Membership: Orleans' development clustering, the first silo (no <c>--seed-node</c>) being the
/// seed every other silo names.
/// </summary>
public static class ClusterMode
{
    private const string ClusterId = "traininggen", ServiceId = "federated";

    /// <summary>The default gateway port of a silo on <paramref name="siloPort"/> (11111 → 30000, as Orleans' defaults).</summary>
    public static int DefaultGatewayPort(int siloPort) => siloPort - 11111 + 30000;

    /// <summary>What a silo needs to rebuild the run's users exactly as the coordinator partitions them.</summary>
    public static PopulationSpec Spec(FederatedRunOptions o, int users) => new()
    {
        Name = "federated-sample",
        Settings = new Dictionary<string, string>
        {
            ["digits"] = o.UseDigits ? "1" : "0",
            ["data"] = o.DataDirectory,
            ["users"] = users.ToString(CultureInfo.InvariantCulture),
            ["alpha"] = o.Alpha.ToString("R", CultureInfo.InvariantCulture),
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
            ["init-seed"] = o.InitSeed.ToString(CultureInfo.InvariantCulture),
        },
    };

    /// <summary>A silo's loader: the same data, partition and trainer factory as <see cref="FederatedRun"/>.</summary>
    public static FederatedPopulation Load(PopulationSpec spec)
    {
        if (spec.Name != "federated-sample") throw new ArgumentException($"This silo serves the federated sample's population, not '{spec.Name}'.");
        var c = CultureInfo.InvariantCulture;
        var st = spec.Settings;
        var o = new FederatedRunOptions
        {
            UseDigits = st["digits"] == "1", DataDirectory = st["data"], Alpha = double.Parse(st["alpha"], c),
            Seed = ulong.Parse(st["seed"], c), InitSeed = int.Parse(st["init-seed"], c),
        };
        var s = FederatedRun.Load(o, TextWriter.Null);
        if (s.Name == "digits" && !o.UseDigits)
            throw new InvalidOperationException($"This silo has no Fashion-MNIST in {o.DataDirectory} and the coordinator has: every silo must open the same data.");
        var users = Partition.Dirichlet(s.Train, int.Parse(st["users"], c), o.Alpha, o.Seed);
        Console.WriteLine($"Loaded {s.Name}: {users.Length} users.");
        return new FederatedPopulation(s.Factory, users);
    }

    /// <summary><c>silo --port P [--gateway-port G] [--seed-node HOST:PORT] [--host ADDRESS] [--threads N]</c>: runs a silo until Ctrl+C.</summary>
    public static async Task<int> RunSilo(string[] args)
    {
        int port = 11111, threads = Environment.ProcessorCount;
        int? gateway = null;
        IPEndPoint? seed = null;
        var host = IPAddress.Loopback;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--port": port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--gateway-port": gateway = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seed-node": seed = Endpoint(Next()); break;
                case "--host": host = IPAddress.Parse(Next()); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: silo --port P [--gateway-port G] [--seed-node HOST:PORT] [--host ADDRESS] [--threads N]");
                    return 2;
            }
        }
        int gatewayPort = gateway ?? DefaultGatewayPort(port);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Its first check after start-up measures from the machine's boot and warns of a stall that is not one.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ServiceId; });
            // Development clustering: the seed silo keeps the membership table; on one machine every silo is on the loopback address.
            silo.UseDevelopmentClustering(seed ?? new IPEndPoint(host, port));
            silo.ConfigureEndpoints(host, port, gatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(host));
            silo.AddFederatedWorkers(Load, o => o.Threads = threads);
        });
        using var app = builder.Build();
        await app.StartAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Silo up: {host}:{port} (gateway {gatewayPort}), {threads} training threads, seed node {(seed is null ? "itself" : seed.ToString())}. Ctrl+C stops it."));
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>A started Orleans client connected to the gateways in <paramref name="cluster"/> (<c>HOST:PORT[,HOST:PORT…]</c>).</summary>
    public static IHost Connect(string cluster, TimeSpan callTimeout)
    {
        var gateways = cluster.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Endpoint).ToArray();
        if (gateways.Length == 0) throw new ArgumentException("--cluster needs HOST:PORT (a silo's gateway).");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => { o.ClusterId = ClusterId; o.ServiceId = ServiceId; });
            client.UseStaticClustering(gateways);
            // A worker call that outlives this is taken as a dead silo: its blocks are re-run elsewhere.
            client.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = callTimeout);
        });
        var app = builder.Build();
        app.StartAsync().GetAwaiter().GetResult();
        return app;
    }

    /// <summary>Workers on the cluster <paramref name="client"/> is connected to, for the run <paramref name="o"/> describes.</summary>
    public static OrleansWorkers Workers(IHost client, FederatedRunOptions o, int users) =>
        new(client.Services.GetRequiredService<IClusterClient>(), Spec(o, users));

    private static IPEndPoint Endpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            throw new ArgumentException($"'{text}' is not HOST:PORT.");
        string name = text[..colon];
        var address = name == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(name, out var a) ? a
            : Dns.GetHostAddresses(name).First(x => x.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        return new IPEndPoint(address, port);
    }
}

using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Orleans.Configuration;
using Orleans.TestingHost;
using TrainingGen.Federated.Cluster;

namespace TrainingGen.Federated.ClusterTests;

/// <summary>
/// The federated simulation on an Orleans cluster (2 silos in this process) gives the in-process
/// simulation's central parameters bit for bit — also when a silo dies in the middle of an iteration.
/// </summary>
public class ClusterDeterminismTests
{
    private const int Users = 30;
    private const ulong DataSeed = 17;

    private static FederatedOptions Options => new()
    {
        CohortSize = 14, Seed = 5, Threads = 2, Weighting = FederatedWeighting.ByUser,
        Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 2, LearningRate = 0.05, Shuffle = true },
        Privacy = new CentralPrivacyOptions { ClippingBound = 0.3, NoiseMultiplier = 0.5, NoiseCohortSize = 50, AdaptiveClipping = new AdaptiveClippingOptions() },
    };

    private static FederatedSimulation Simulation(IFederatedWorkers? workers = null) =>
        new(ClusterPopulation.Factory, ClusterPopulation.Users(Users, DataSeed), Options, workers: workers);

    private static float[] Parameters(FederatedSimulation sim) => sim.Model.Parameters.SelectMany(p => p.Value).ToArray();

    private static float[] InProcess(int iterations)
    {
        var sim = Simulation();
        sim.Run(iterations);
        return Parameters(sim);
    }

    /// <summary>Two silos with one training thread each; <paramref name="beforeTrain"/> runs on the second silo (named in <paramref name="hooked"/>) before it trains.</summary>
    private static async Task<InProcessTestCluster> StartCluster(Func<int, Task>? beforeTrain = null, StrongBox<string>? hooked = null)
    {
        var builder = new InProcessTestClusterBuilder(2);
        int configured = 0;
        builder.ConfigureSilo((silo, sb) => sb.AddFederatedWorkers(ClusterPopulation.Load, o =>
        {
            o.Threads = 1;
            if (Interlocked.Increment(ref configured) == 2 && hooked is not null) { o.BeforeTrain = beforeTrain; hooked.Value = silo.SiloName; }
        }));
        // A call to a dead silo fails at the latest after this (it usually fails at once: the connection drops).
        builder.ConfigureClient(cb => cb.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private InProcessTestCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartSharedCluster() => _cluster = await StartCluster();

    [OneTimeTearDown]
    public async Task StopSharedCluster() => await _cluster.DisposeAsync();

    [Test, CancelAfter(60_000)]
    public async Task Two_silos_give_the_in_process_central_parameters_bit_for_bit()
    {
        var expected = InProcess(3);
        var cluster = _cluster;
        var workers = new OrleansWorkers(cluster.Client, ClusterPopulation.Spec(Users, DataSeed));
        var sim = Simulation(workers);
        string checkpoint = Path.Combine(Path.GetTempPath(), $"tg-cluster-{Guid.NewGuid():N}.ckpt");
        for (int t = 0; t < 3; t++)
        {
            if (t == 1) sim.SaveCheckpoint(checkpoint);
            var r = await Task.Run(sim.RunIteration);
            Assert.That(r.Users, Has.Count.EqualTo(14));
            var stats = workers.Last!;
            Assert.That(stats.Silos, Is.EqualTo(2), "both silos trained blocks");
            Assert.That(stats.RetriedBlocks, Is.Zero);
            // The payload: every parameter (float32) to each silo once; one float64 sum per block back.
            int parameters = sim.Model.Parameters.Sum(p => p.Value.Length);
            int trainable = sim.Model.Parameters.Where(p => p.Trainable).Sum(p => p.Value.Length);
            int blocks = (14 + FederatedSimulation.UsersPerBlock - 1) / FederatedSimulation.UsersPerBlock;
            Assert.That(stats.PayloadBytes, Is.EqualTo(2L * 4 * parameters + (long)blocks * 8 * trainable));
        }
        Assert.That(Parameters(sim), Is.EqualTo(expected), "bit-identical central parameters (exact float equality)");

        // A coordinator restart: a new simulation (new process, say) resumes from the checkpoint on the same cluster.
        try
        {
            var resumed = Simulation(new OrleansWorkers(cluster.Client, ClusterPopulation.Spec(Users, DataSeed)));
            resumed.LoadCheckpoint(checkpoint);
            Assert.That(resumed.Iteration, Is.EqualTo(1));
            await Task.Run(() => resumed.Run(2));
            Assert.That(Parameters(resumed), Is.EqualTo(expected), "the resumed coordinator ends where the uninterrupted one does");
        }
        finally { File.Delete(checkpoint); }
    }

    [Test, CancelAfter(60_000)]
    public void Silos_that_open_other_data_refuse_to_train()
    {
        // Same sizes per user (they depend on the index only), other values: only the fingerprint tells.
        var sim = Simulation(new OrleansWorkers(_cluster.Client, ClusterPopulation.Spec(Users, DataSeed + 1)));
        var e = Assert.Throws<InvalidOperationException>(() => sim.RunIteration());
        Assert.That(e!.Message, Does.Contain("is not the coordinator's"));
        Assert.That(sim.Iteration, Is.Zero);
    }

    [Test, CancelAfter(60_000)]
    public async Task A_silo_stopped_during_iteration_2_changes_nothing()
    {
        var expected = InProcess(3);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The second silo's worker announces iteration 2 (index 1) and never finishes it: the test kills the silo meanwhile.
        Task Hook(int iteration)
        {
            if (iteration != 1) return Task.CompletedTask;
            started.TrySetResult();
            return Task.Delay(Timeout.Infinite);
        }
        var hooked = new StrongBox<string>();
        await using var cluster = await StartCluster(Hook, hooked);
        Assert.That(hooked.Value, Is.Not.Null, "the second silo has the hook");
        var workers = new OrleansWorkers(cluster.Client, ClusterPopulation.Spec(Users, DataSeed));
        var sim = Simulation(workers);

        await Task.Run(sim.RunIteration);
        Assert.That(workers.Last!.Silos, Is.EqualTo(2));
        var second = Task.Run(sim.RunIteration);
        await started.Task;
        await cluster.KillSiloAsync(cluster.Silos.Single(s => s.Name == hooked.Value));
        await second;
        var stats = workers.Last!;
        TestContext.Out.WriteLine($"iteration 2: {string.Join("; ", stats.Failures)}");
        Assert.That(stats.RetriedBlocks, Is.GreaterThan(0), "the dead silo's blocks were re-run");
        Assert.That(stats.Failures, Has.Count.EqualTo(1));
        await Task.Run(sim.RunIteration);
        Assert.That(workers.Last!.Silos, Is.EqualTo(1), "the third iteration runs on the silo that is left");
        Assert.That(Parameters(sim), Is.EqualTo(expected), "bit-identical central parameters (exact float equality)");
    }
}

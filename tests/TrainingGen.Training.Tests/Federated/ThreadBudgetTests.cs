using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Federated;
using TrainingGen.Training.Tests.Models;
using static TrainingGen.Training.Tests.Federated.FederatedTestUtil;

namespace TrainingGen.Training.Tests.Federated;

/// <summary>
/// FederatedOptions.Threads is the whole simulation's budget: with users in parallel each worker's
/// trainers run their kernels on one thread (a kernel pool nested in per-user parallelism
/// oversubscribes the cores: measured slower on 2 cores, docs/benchmarks.md); with one worker the
/// kernels get the budget.
/// </summary>
public class ThreadBudgetTests
{
    [TestCase(2, 12, 1)]   // 12 users = 3 blocks on 2 workers: 1 kernel thread each
    [TestCase(1, 12, 1)]   // one thread in all
    [TestCase(2, 3, 2)]    // 3 users = 1 block: one worker, which gets both threads
    [TestCase(4, 8, 2)]    // 2 blocks on 2 of the 4 threads: 2 kernel threads each
    public void Worker_trainers_get_the_budget_divided_by_the_workers(int threads, int cohort, int expected)
    {
        var built = new List<ITrainer>();
        Func<int, ITrainer> create = b =>
        {
            var t = SgdNet.CreateTrainer(b, seed: 2);
            t.Threads = 7;   // what a factory might set: the simulation replaces it for its workers
            lock (built) built.Add(t);
            return t;
        };
        var sim = new FederatedSimulation(create, RegressionUsers(4, Enumerable.Repeat(8, 12).ToArray()), new FederatedOptions
        {
            CohortSize = cohort, Threads = threads, Local = new LocalTrainingOptions { BatchSize = 4, Epochs = 1, LearningRate = 0.05 },
        });
        sim.RunIteration();
        var workers = built.Where(t => !ReferenceEquals(t, sim.Model)).ToArray();
        Assert.That(workers, Is.Not.Empty);
        Assert.That(workers.Select(t => t.Threads), Is.All.EqualTo(expected));
        Assert.That(sim.Model.Threads, Is.EqualTo(7), "the central model's own setting is left alone");
    }
}

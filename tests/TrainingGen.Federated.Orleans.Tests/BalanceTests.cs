using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Federated.Cluster;

namespace TrainingGen.Federated.ClusterTests;

/// <summary>Blocks go to silos balanced by their data size (largest first onto the least loaded silo).</summary>
public class BalanceTests
{
    [TestCase(2)]
    [TestCase(3)]
    public void Every_block_goes_to_one_silo_and_loads_differ_by_at_most_the_largest_block(int siloCount)
    {
        var users = ClusterPopulation.Users(40, 1);
        var blocks = FederatedRound.Split(Enumerable.Range(0, 37).ToArray());
        var round = new FederatedRound(0, blocks, null, new FederatedOptions(), ClusterPopulation.Factory(1), users);
        var silos = Enumerable.Range(0, siloCount).Select(i => $"silo{i}").ToList();
        var given = OrleansWorkers.Balance(Enumerable.Range(0, blocks.Length).ToList(), silos, round);

        Assert.That(given.SelectMany(g => g.Blocks).OrderBy(b => b), Is.EqualTo(Enumerable.Range(0, blocks.Length)), "each block exactly once");
        long Size(int b) => blocks[b].Sum(u => (long)users[u].Count);
        var loads = given.Select(g => g.Blocks.Sum(Size)).ToList();
        Assert.That(loads, Has.Count.EqualTo(siloCount));
        Assert.That(loads.Max() - loads.Min(), Is.LessThanOrEqualTo(Enumerable.Range(0, blocks.Length).Max(Size)));
        Assert.That(loads.Sum(), Is.EqualTo(Enumerable.Range(0, 37).Sum(u => (long)users[u].Count)));
    }

    [Test]
    public void Unequal_blocks_are_balanced_by_samples_not_by_count()
    {
        // Users 0–3 have 100 samples each, the others 1: one silo gets the big block, the other all small ones.
        var sizes = new List<IDataset>();
        for (int u = 0; u < 20; u++) sizes.Add(new InMemoryDataset(new float[2 * (u < 4 ? 100 : 1)], new[] { 2 }, new float[3 * (u < 4 ? 100 : 1)], new[] { 3 }));
        var blocks = FederatedRound.Split(Enumerable.Range(0, 20).ToArray());
        var round = new FederatedRound(0, blocks, null, new FederatedOptions(), ClusterPopulation.Factory(1), sizes);
        var given = OrleansWorkers.Balance(Enumerable.Range(0, blocks.Length).ToList(), new[] { "a", "b" }, round);
        Assert.That(given.Select(g => g.Blocks), Is.EquivalentTo(new[] { new[] { 0 }, new[] { 1, 2, 3, 4 } }));
    }
}

using System;
using System.Collections.Generic;
using System.Globalization;
using TrainingGen.Data;
using TrainingGen.Federated.Cluster;

namespace TrainingGen.Federated.ClusterTests;

/// <summary>
/// A population every silo rebuilds from its description alone (user count and data seed), as a
/// real deployment would from a data set path and a partition seed.
/// </summary>
internal static class ClusterPopulation
{
    public const int InitSeed = 3;

    public static Func<int, ITrainer> Factory => b => ClusterNet.CreateTrainer(b, seed: InitSeed);

    public static PopulationSpec Spec(int users, ulong seed) => new()
    {
        Name = "regression",
        Settings = new Dictionary<string, string> { ["users"] = users.ToString(CultureInfo.InvariantCulture), ["seed"] = seed.ToString(CultureInfo.InvariantCulture) },
    };

    public static FederatedPopulation Load(PopulationSpec spec)
    {
        if (spec.Name != "regression") throw new ArgumentException($"Unknown population '{spec.Name}'.");
        return new FederatedPopulation(Factory, Users(int.Parse(spec.Settings["users"], CultureInfo.InvariantCulture), ulong.Parse(spec.Settings["seed"], CultureInfo.InvariantCulture)));
    }

    /// <summary>User u has 3 + (7u mod 11) samples of y = a linear map of x plus noise ([2] → [3]).</summary>
    public static IDataset[] Users(int count, ulong seed)
    {
        var users = new IDataset[count];
        for (int u = 0; u < count; u++)
        {
            int n = 3 + 7 * u % 11;
            var rng = new Rng(StreamSeeds.Derive(seed, StreamSeeds.Partition, (ulong)u));
            var x = new float[2 * n]; var y = new float[3 * n];
            for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
            for (int i = 0; i < n; i++)
            {
                y[3 * i] = 0.5f * x[2 * i] + (float)(0.3 * rng.NextGaussian());
                y[3 * i + 1] = -0.25f * x[2 * i + 1] + (float)(0.3 * rng.NextGaussian());
                y[3 * i + 2] = 1f + (float)(0.3 * rng.NextGaussian());
            }
            users[u] = new InMemoryDataset(x, new[] { 2 }, y, new[] { 3 });
        }
        return users;
    }
}

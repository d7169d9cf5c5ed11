using System;
using System.Collections.Generic;
using TrainingGen.Data;

namespace TrainingGen.Federated;

/// <summary>
/// One iteration's work for the workers: train each block of users from the central parameters
/// (<see cref="Model"/>'s current values) with the simulation's local settings.
/// </summary>
/// <param name="Iteration">0-based central iteration (the users' random streams derive from it).</param>
/// <param name="Blocks">The users of each block (at most <see cref="FederatedSimulation.UsersPerBlock"/>), in cohort order.</param>
/// <param name="ClippingBound">The bound C of this iteration, or null without DP.</param>
/// <param name="Options">The simulation's options (local training, weighting, seed).</param>
/// <param name="Model">A trainer holding the central parameters (only its parameter values are read).</param>
/// <param name="Users">Every user's data, indexed by user.</param>
public sealed record FederatedRound(int Iteration, IReadOnlyList<int[]> Blocks, double? ClippingBound, FederatedOptions Options, ITrainer Model, IReadOnlyList<IDataset> Users)
{
    /// <summary>Splits a cohort into blocks of <see cref="FederatedSimulation.UsersPerBlock"/> consecutive users.</summary>
    public static int[][] Split(IReadOnlyList<int> cohort)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        int per = FederatedSimulation.UsersPerBlock;
        var blocks = new int[(cohort.Count + per - 1) / per][];
        for (int b = 0; b < blocks.Length; b++)
        {
            var users = new int[Math.Min(per, cohort.Count - b * per)];
            for (int i = 0; i < users.Length; i++) users[i] = cohort[b * per + i];
            blocks[b] = users;
        }
        return blocks;
    }
}

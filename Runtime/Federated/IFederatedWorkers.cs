using System.Collections.Generic;

namespace TrainingGen.Federated;

/// <summary>
/// Who trains an iteration's users: <see cref="InProcessWorkers"/> (threads of this process, the
/// default) or a cluster (TrainingGen.Federated.Orleans). The coordinator (<see cref="FederatedSimulation"/>)
/// keeps cohort sampling, the fixed-order reduction of the blocks, DP noise, the central optimizer and
/// checkpoints, so the central parameters do not depend on the implementation.
/// </summary>
public interface IFederatedWorkers
{
    /// <summary>
    /// Trains every block of <paramref name="round"/> and fills <paramref name="results"/>[b] with block
    /// b's result exactly as <see cref="FederatedBlockTrainer.TrainBlock"/> computes it (after
    /// <see cref="FederatedBlockResult.Reset"/>). Returns when all blocks are done; throws if one cannot be.
    /// </summary>
    void Train(FederatedRound round, IReadOnlyList<FederatedBlockResult> results);
}

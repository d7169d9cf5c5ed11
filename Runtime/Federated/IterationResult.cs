using System.Collections.Generic;

namespace TrainingGen.Federated;

/// <summary>One user's contribution to an iteration.</summary>
/// <param name="User">Index of the user in the population.</param>
/// <param name="Samples">The user's data points.</param>
/// <param name="LocalSteps">Local optimizer steps taken.</param>
/// <param name="Loss">Mean training loss over the local steps.</param>
/// <param name="Norm">L2 norm of the delta (all trainable parameters) before clipping.</param>
/// <param name="ClippedNorm">L2 norm of what entered the sum: the delta after clipping (equals <paramref name="Norm"/> without DP).</param>
/// <param name="Weight">The user's weight in the average.</param>
/// <param name="Images">Samples its local steps trained on (<paramref name="Samples"/> × epochs, or the samples of <paramref name="LocalSteps"/> batches).</param>
public readonly record struct UserUpdate(int User, int Samples, int LocalSteps, double Loss, double Norm, double ClippedNorm, double Weight, long Images = 0);

/// <summary>What one central iteration did.</summary>
/// <param name="Iteration">0-based index of the iteration.</param>
/// <param name="Users">The cohort's updates, in increasing user order.</param>
/// <param name="MeanLoss">Mean of the users' local losses (NaN for an empty cohort).</param>
/// <param name="ClippingBound">The bound C used this iteration (null without DP).</param>
/// <param name="NoiseStdDev">Standard deviation of the noise added to each coordinate of the sum (0 without noise).</param>
/// <param name="Epsilon">ε spent after this iteration, from the <see cref="IPrivacyLedger"/> (null without one).</param>
public sealed record IterationResult(int Iteration, IReadOnlyList<UserUpdate> Users, double MeanLoss, double? ClippingBound, double NoiseStdDev, double? Epsilon)
{
    /// <summary>Samples the cohort's local steps trained on, all users together (a sample seen in two local epochs counts twice).</summary>
    public long LocalImages { get; init; }
    /// <summary>Wall time of the iteration in seconds: cohort sampling, local training on all workers, aggregation and the central update.</summary>
    public double Seconds { get; init; }
    /// <summary>Users trained per second of wall time (<see cref="Users"/>.Count ÷ <see cref="Seconds"/>).</summary>
    public double UsersPerSecond => Seconds > 0 ? Users.Count / Seconds : 0;
    /// <summary>Local training samples per second of wall time, all workers together (<see cref="LocalImages"/> ÷ <see cref="Seconds"/>).</summary>
    public double ImagesPerSecond => Seconds > 0 ? LocalImages / Seconds : 0;
}

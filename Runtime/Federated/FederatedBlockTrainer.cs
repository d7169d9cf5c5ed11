using System;

namespace TrainingGen.Federated;

/// <summary>
/// One worker's trainers (one per distinct batch size, reused for every user): trains a block of
/// users from the central parameters and sums their clipped, weighted deltas into a
/// <see cref="FederatedBlockResult"/>. Used by each thread of <see cref="InProcessWorkers"/> and by
/// each thread of a cluster worker, so a block's result is the same computation wherever it runs.
/// Not thread-safe: one per thread.
/// </summary>
public sealed class FederatedBlockTrainer
{
    private readonly FederatedWorker _worker;

    /// <summary>
    /// A worker whose local trainers come from <paramref name="createTrainer"/> and start every user
    /// from the parameter values <paramref name="central"/> holds when the user is trained.
    /// </summary>
    public FederatedBlockTrainer(Func<int, ITrainer> createTrainer, ITrainer central)
    {
        ArgumentNullException.ThrowIfNull(createTrainer);
        Central = central ?? throw new ArgumentNullException(nameof(central));
        _worker = new FederatedWorker(createTrainer, central, new ModelLayout(central));
    }

    /// <summary>The trainer whose parameters are the starting point of every user.</summary>
    public ITrainer Central { get; }

    /// <summary>
    /// Kernel threads for this worker's trainers (<see cref="ITrainer.Threads"/>, set before each user);
    /// <see cref="InProcessWorkers"/> gives each worker its share of the thread budget.
    /// </summary>
    public int KernelThreads { get => _worker.KernelThreads; set => _worker.KernelThreads = value; }

    /// <summary>
    /// Resets <paramref name="result"/> and trains <paramref name="users"/> (one block, in order) with
    /// <paramref name="round"/>'s settings, summing user by user.
    /// </summary>
    public void TrainBlock(int[] users, FederatedRound round, FederatedBlockResult result)
    {
        ArgumentNullException.ThrowIfNull(users); ArgumentNullException.ThrowIfNull(round); ArgumentNullException.ThrowIfNull(result);
        if (users.Length > result.Updates.Length)
            throw new ArgumentException($"A block holds at most {result.Updates.Length} users; got {users.Length}.", nameof(users));
        result.Reset();
        for (int i = 0; i < users.Length; i++)
            result.Updates[i] = TrainAndAccumulate(users[i], round, result);
        result.Count = users.Length;
    }

    private UserUpdate TrainAndAccumulate(int user, FederatedRound round, FederatedBlockResult block)
    {
        var o = round.Options;
        if ((uint)user >= (uint)round.Users.Count)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"There are {round.Users.Count} users.");
        var data = round.Users[user];
        int iteration = round.Iteration;
        var (loss, steps, images) = _worker.TrainUser(user, data, iteration, o.Seed, o.Local);
        var delta = _worker.Delta;
        double norm = GaussianMechanism.Norm(delta);
        if (!double.IsFinite(norm))
            throw new InvalidOperationException($"User {user}'s update in iteration {iteration} is not finite (norm {norm}).");
        double scale = 1;
        if (round.ClippingBound is double c)
        {
            if (norm <= c) block.Unclipped++;
            else scale = c / norm;
        }
        double w = o.Weighting == FederatedWeighting.ByDataPoints ? data.Count : 1;
        if (block.Sum.Length != delta.Length)
            throw new ArgumentException($"The block result holds {block.Sum.Length} delta values; the model has {delta.Length}.");
        double clippedSq = GaussianMechanism.AccumulateScaled(delta, scale, w, block.Sum);
        var buffers = _worker.BufferValues;
        for (int j = 0; j < buffers.Length; j++) block.Buffers[j] += w * buffers[j];
        block.Weight += w;
        return new UserUpdate(user, data.Count, steps, loss, norm, Math.Sqrt(clippedSq), w, images);
    }
}

using System;

namespace TrainingGen.Federated;

/// <summary>
/// What training one block of users gives: the weighted sum of their (clipped) deltas and of their
/// buffers, in float64 and summed user by user in the block's order, their total weight, how many
/// were not clipped, and each user's <see cref="UserUpdate"/>. A block's result depends only on the
/// central parameters, the block's users and the round's settings, never on which worker (thread,
/// grain, machine) trained it: the coordinator adds blocks in block order, so the sum of a cohort is
/// the same bits whatever trained it.
/// </summary>
public sealed class FederatedBlockResult
{
    /// <summary>An empty result for a model with <paramref name="deltaLength"/> trainable and <paramref name="bufferLength"/> buffer values.</summary>
    public FederatedBlockResult(int deltaLength, int bufferLength)
    {
        Sum = new double[deltaLength];
        Buffers = new double[bufferLength];
    }

    /// <summary>Σ weight·scale·delta over the block's users (trainable parameters concatenated in state_dict order).</summary>
    public double[] Sum { get; }
    /// <summary>Σ weight·buffers after local training (buffers concatenated in state_dict order).</summary>
    public double[] Buffers { get; }
    /// <summary>Σ of the users' weights.</summary>
    public double Weight { get; set; }
    /// <summary>Users whose delta norm was within the clipping bound (0 without DP).</summary>
    public int Unclipped { get; set; }
    /// <summary>The users' updates, in block order; the first <see cref="Count"/> are valid.</summary>
    public UserUpdate[] Updates { get; } = new UserUpdate[FederatedSimulation.UsersPerBlock];
    /// <summary>Users in the block.</summary>
    public int Count { get; set; }

    /// <summary>Back to the empty result.</summary>
    public void Reset()
    {
        Array.Clear(Sum); Array.Clear(Buffers);
        Weight = 0; Unclipped = 0; Count = 0;
    }
}

using System.Collections.Generic;
using Orleans;

namespace TrainingGen.Federated.Cluster;

/// <summary>
/// Which population a silo's workers train: a description every silo can resolve on its own (the
/// host registers the loader with <see cref="FederatedSiloExtensions.AddFederatedWorkers"/>), e.g.
/// a data set's path and the partition's seed. Nothing but this description crosses the network
/// about the data.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PopulationSpec
{
    /// <summary>The population's name, e.g. the data set.</summary>
    [Id(0)] public required string Name { get; init; }
    /// <summary>Settings the loader reads (path, users, partition seed, …).</summary>
    [Id(1)] public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>A stable text of the description (the silo's cache key).</summary>
    public string Key()
    {
        var keys = new List<string>(Settings.Keys);
        keys.Sort(System.StringComparer.Ordinal);
        var parts = new List<string> { Name };
        foreach (var k in keys) parts.Add(k + "=" + Settings[k]);
        return string.Join(";", parts);
    }
}

/// <summary>One worker's share of an iteration: the central parameters once, the blocks to train.</summary>
[GenerateSerializer]
public sealed class WorkerRequest
{
    [Id(0)] public required PopulationSpec Population { get; init; }
    [Id(1)] public int Iteration { get; init; }
    [Id(2)] public ulong Seed { get; init; }
    [Id(3)] public required LocalSettings Local { get; init; }
    [Id(4)] public bool WeightByDataPoints { get; init; }
    /// <summary>The clipping bound, NaN without DP.</summary>
    [Id(5)] public double ClippingBound { get; init; } = double.NaN;
    /// <summary>Every central parameter (trainable, buffers, frozen) concatenated in state_dict order.</summary>
    [Id(6)] public required FloatVector Parameters { get; init; }
    /// <summary>Indices of the blocks (for the reply).</summary>
    [Id(7)] public required int[] Blocks { get; init; }
    /// <summary>The users of each block, in block order.</summary>
    [Id(8)] public required int[][] Users { get; init; }
    /// <summary><see cref="PopulationFingerprint"/> of the coordinator's users: the silo's must match.</summary>
    [Id(9)] public ulong Fingerprint { get; init; }
}

/// <summary><see cref="LocalTrainingOptions"/> on the wire.</summary>
[GenerateSerializer, Immutable]
public sealed record LocalSettings
{
    [Id(0)] public int BatchSize { get; init; }
    [Id(1)] public int Epochs { get; init; }
    [Id(2)] public int? Steps { get; init; }
    [Id(3)] public double LearningRate { get; init; }
    [Id(4)] public double? ClipGradNorm { get; init; }
    [Id(5)] public double ProximalMu { get; init; }
    [Id(6)] public bool Shuffle { get; init; }

    public static LocalSettings From(LocalTrainingOptions o) => new()
    {
        BatchSize = o.BatchSize, Epochs = o.Epochs, Steps = o.Steps, LearningRate = o.LearningRate,
        ClipGradNorm = o.ClipGradNorm, ProximalMu = o.ProximalMu, Shuffle = o.Shuffle,
    };

    public LocalTrainingOptions ToOptions() => new()
    {
        BatchSize = BatchSize, Epochs = Epochs, Steps = Steps, LearningRate = LearningRate,
        ClipGradNorm = ClipGradNorm, ProximalMu = ProximalMu, Shuffle = Shuffle,
    };
}

/// <summary>A worker's reply: one result per block it was given, in the request's order.</summary>
[GenerateSerializer]
public sealed class WorkerResponse
{
    [Id(0)] public required WireBlock[] Blocks { get; init; }
    /// <summary>The silo that trained them (for the log).</summary>
    [Id(1)] public string Silo { get; init; } = "";
    /// <summary>Seconds the silo spent training the blocks (the rest of the call is messaging and waiting).</summary>
    [Id(2)] public double TrainSeconds { get; init; }
}

/// <summary>A <see cref="FederatedBlockResult"/> on the wire.</summary>
[GenerateSerializer]
public sealed class WireBlock
{
    [Id(0)] public int Index { get; init; }
    [Id(1)] public required DoubleVector Sum { get; init; }
    [Id(2)] public required DoubleVector Buffers { get; init; }
    [Id(3)] public double Weight { get; init; }
    [Id(4)] public int Unclipped { get; init; }
    [Id(5)] public required WireUser[] Users { get; init; }
}

/// <summary>A <see cref="UserUpdate"/> on the wire.</summary>
[GenerateSerializer, Immutable]
public readonly record struct WireUser(
    [property: Id(0)] int User, [property: Id(1)] int Samples, [property: Id(2)] int LocalSteps, [property: Id(3)] double Loss,
    [property: Id(4)] double Norm, [property: Id(5)] double ClippedNorm, [property: Id(6)] double Weight, [property: Id(7)] long Images)
{
    public static WireUser From(UserUpdate u) => new(u.User, u.Samples, u.LocalSteps, u.Loss, u.Norm, u.ClippedNorm, u.Weight, u.Images);
    public UserUpdate ToUpdate() => new(User, Samples, LocalSteps, Loss, Norm, ClippedNorm, Weight, Images);
}

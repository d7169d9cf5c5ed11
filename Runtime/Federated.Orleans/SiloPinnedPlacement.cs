using System;
using System.Threading.Tasks;
using Orleans;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace TrainingGen.Federated.Cluster;

/// <summary>
/// Places a grain on the silo its string key names (<see cref="SiloAddress.ToParsableString"/>), so the
/// coordinator can address one worker per silo. A key whose silo is gone fails the call instead of
/// moving the worker: the coordinator then re-assigns that worker's blocks to the silos that remain.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class SiloPinnedPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static SiloPinnedPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="SiloPinnedPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloPinnedPlacementAttribute : PlacementAttribute
{
    /// <summary>The attribute.</summary>
    public SiloPinnedPlacementAttribute() : base(SiloPinnedPlacement.Instance) { }
}

internal sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        string key = target.GrainIdentity.Key.ToString() ?? "";
        foreach (var silo in context.GetCompatibleSilos(target))
            if (silo.ToParsableString() == key) return Task.FromResult(silo);
        throw new OrleansException($"No active silo {key} for a federated worker: it has left the cluster.");
    }
}

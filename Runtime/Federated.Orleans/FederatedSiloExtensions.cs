using System;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;

namespace TrainingGen.Federated.Cluster;

/// <summary>Silo configuration for federated workers.</summary>
public static class FederatedSiloExtensions
{
    /// <summary>
    /// Hosts a federated worker on this silo. <paramref name="load"/> opens a population from its
    /// description (every silo must be able to: a data set path on shared storage, a partition seed…);
    /// it runs once per population, on the first call that needs it.
    /// </summary>
    public static ISiloBuilder AddFederatedWorkers(this ISiloBuilder builder, Func<PopulationSpec, FederatedPopulation> load, Action<FederatedSiloOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder); ArgumentNullException.ThrowIfNull(load);
        var options = new FederatedSiloOptions();
        configure?.Invoke(options);
        builder.Services.AddSingleton(new FederatedSiloHost(load, options));
        builder.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        return builder;
    }
}

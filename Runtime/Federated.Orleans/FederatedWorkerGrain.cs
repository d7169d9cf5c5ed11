using System.Threading.Tasks;
using Orleans;
using Orleans.Runtime;

namespace TrainingGen.Federated.Cluster;

/// <summary>One federated worker per silo (key: the silo's address, see <see cref="SiloPinnedPlacement"/>).</summary>
[Alias("TrainingGen.Federated.IFederatedWorkerGrain")]
public interface IFederatedWorkerGrain : IGrainWithStringKey
{
    /// <summary>Trains the request's blocks from its central parameters; one result per block.</summary>
    [Alias("Train")]
    Task<WorkerResponse> Train(WorkerRequest request);
}

/// <summary>
/// The silo's worker: hands the request to the silo's <see cref="FederatedSiloHost"/>, whose threads
/// (one trainer set each) train the blocks off the grain scheduler.
/// </summary>
[SiloPinnedPlacement]
internal sealed class FederatedWorkerGrain(FederatedSiloHost host, ILocalSiloDetails silo) : Grain, IFederatedWorkerGrain
{
    public async Task<WorkerResponse> Train(WorkerRequest request)
    {
        if (host.BeforeTrain is { } hook) await hook(request.Iteration);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var blocks = await Task.Run(() => host.Train(request));
        double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new WorkerResponse { Blocks = blocks, Silo = silo.SiloAddress.ToParsableString(), TrainSeconds = seconds };
    }
}

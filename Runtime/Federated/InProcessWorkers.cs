using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace TrainingGen.Federated;

/// <summary>
/// The default <see cref="IFederatedWorkers"/>: <see cref="Threads"/> threads of this process, each with
/// its own <see cref="FederatedBlockTrainer"/>, take the next untrained block until none is left.
/// </summary>
public sealed class InProcessWorkers : IFederatedWorkers
{
    private readonly Func<int, ITrainer> _factory;
    private readonly FederatedBlockTrainer?[] _trainers;

    /// <summary>Workers building their trainers with <paramref name="createTrainer"/>, on <paramref name="threads"/> threads.</summary>
    public InProcessWorkers(Func<int, ITrainer> createTrainer, int threads)
    {
        _factory = createTrainer ?? throw new ArgumentNullException(nameof(createTrainer));
        if (threads <= 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "The thread count must be positive.");
        _trainers = new FederatedBlockTrainer?[threads];
    }

    /// <summary>Threads that train blocks in parallel.</summary>
    public int Threads => _trainers.Length;

    /// <inheritdoc/>
    public void Train(FederatedRound round, IReadOnlyList<FederatedBlockResult> results)
    {
        ArgumentNullException.ThrowIfNull(round); ArgumentNullException.ThrowIfNull(results);
        int blockCount = round.Blocks.Count;
        if (results.Count < blockCount) throw new ArgumentException($"{blockCount} blocks need as many results; got {results.Count}.", nameof(results));
        // The thread budget is shared: with several workers each trainer's kernels get 1 thread (a kernel
        // pool nested in per-user parallelism only oversubscribes the cores); a lone worker gets them all.
        int threads = Math.Min(_trainers.Length, blockCount);
        int kernelThreads = Math.Clamp(_trainers.Length / Math.Max(1, threads), 1, Kernels.KernelThreads.Max);
        int next = -1;
        void Drain(int w)
        {
            var trainer = _trainers[w];
            if (trainer is null || !ReferenceEquals(trainer.Central, round.Model))
                trainer = _trainers[w] = new FederatedBlockTrainer(_factory, round.Model);
            trainer.KernelThreads = kernelThreads;
            int blk;
            while ((blk = Interlocked.Increment(ref next)) < blockCount)
                trainer.TrainBlock(round.Blocks[blk], round, results[blk]);
        }

        if (threads <= 1) { if (blockCount > 0) Drain(0); }
        else
        {
            try { Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, Drain); }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0) { ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); }
        }
    }
}

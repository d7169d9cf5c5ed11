using System;

namespace TrainingGen.Kernels;

/// <summary>
/// The direct convolution's passes split over the kernel threads: images for the forward pass and the
/// input gradient, pairs of output channels for the weight gradient. Each work item writes only its own
/// outputs and sums in a fixed order (see the <c>…Range</c> entry points), so every split gives the bits
/// of one thread.
/// </summary>
public static unsafe partial class Conv2dDirect
{
    /// <summary>Passes with fewer multiply-adds run on one thread: a split costs a few µs of wake-up and cache traffic.</summary>
    internal const long ParallelMinWork = 1L << 20;

    /// <summary>Blocks per thread: a few, so a thread slowed by other load is balanced by the others.</summary>
    private const int BlocksPerThread = 2;

    /// <summary>How many blocks to split <paramref name="items"/> work items into (1: run inline), items per block in <paramref name="chunk"/>.</summary>
    private static int Blocks(int items, long work, int unit, out int chunk)
    {
        int threads = KernelThreads.Current;
        int units = (items + unit - 1) / unit;
        if (threads <= 1 || units <= 1 || work < ParallelMinWork) { chunk = items; return 1; }
        int blocks = Math.Min(units, threads * BlocksPerThread);
        chunk = (units + blocks - 1) / blocks * unit;
        return (items + chunk - 1) / chunk;
    }

    /// <summary>A pass's buffers and geometry, shared by its blocks (pointers: the caller keeps them fixed).</summary>
    private struct RangeJob
    {
        public float* A, B, C, D;
        public int LengthA, LengthB, LengthC, LengthD;
        public Conv2dShape Shape;
        public ConvTile Tile;
        public ConvEpilogue Epilogue;
        public int Chunk, Items;
        // the caller's kernel width (a thread-static test switch), so workers take the same path
        public bool NoAvx512;
    }

    private static void ForwardParallel(ReadOnlySpan<float> source, ReadOnlySpan<float> packed, ReadOnlySpan<float> bias, Span<float> y,
        in Conv2dShape s, ConvTile tile, ConvEpilogue epilogue)
    {
        long work = (long)s.Batch * s.OutChannels * s.OutHeight * s.OutWidth * s.PatchLength;
        int blocks = Blocks(s.Batch, work, 1, out int chunk);
        if (blocks <= 1) { ForwardRange(source, packed, bias, y, s, tile, epilogue, 0, s.Batch); return; }
        fixed (float* a = source, b = packed, c = bias, d = y)
        {
            var job = new RangeJob
            {
                A = a, B = b, C = c, D = d, LengthA = source.Length, LengthB = packed.Length, LengthC = bias.Length, LengthD = y.Length,
                Shape = s, Tile = tile, Epilogue = epilogue, Chunk = chunk, Items = s.Batch, NoAvx512 = VectorWidth.DisableAvx512,
            };
            WorkerPool.For(blocks, in job, &ForwardBlock);
        }
    }

    private static void ForwardBlock(in RangeJob j, int index)
    {
        int start = index * j.Chunk, end = Math.Min(j.Items, start + j.Chunk);
        bool saved = VectorWidth.DisableAvx512;
        VectorWidth.DisableAvx512 = j.NoAvx512;
        try
        {
            ForwardRange(new ReadOnlySpan<float>(j.A, j.LengthA), new ReadOnlySpan<float>(j.B, j.LengthB), new ReadOnlySpan<float>(j.C, j.LengthC),
                new Span<float>(j.D, j.LengthD), j.Shape, j.Tile, j.Epilogue, start, end);
        }
        finally { VectorWidth.DisableAvx512 = saved; }
    }

    private static void InputGradScatterParallel(ReadOnlySpan<float> dy, ReadOnlySpan<float> packed, Span<float> dx, Span<float> padScratch, in Conv2dShape s)
    {
        long work = (long)s.Batch * s.OutChannels * s.OutHeight * s.OutWidth * s.PatchLength;
        int blocks = Blocks(s.Batch, work, 1, out int chunk);
        if (blocks <= 1) { InputGradScatterRange(dy, packed, dx, padScratch, s, 0, s.Batch); return; }
        fixed (float* a = dy, b = packed, c = dx, d = padScratch)
        {
            var job = new RangeJob
            {
                A = a, B = b, C = c, D = d, LengthA = dy.Length, LengthB = packed.Length, LengthC = dx.Length, LengthD = padScratch.Length,
                Shape = s, Chunk = chunk, Items = s.Batch, NoAvx512 = VectorWidth.DisableAvx512,
            };
            WorkerPool.For(blocks, in job, &InputGradScatterBlock);
        }
    }

    private static void InputGradScatterBlock(in RangeJob j, int index)
    {
        int start = index * j.Chunk, end = Math.Min(j.Items, start + j.Chunk);
        bool saved = VectorWidth.DisableAvx512;
        VectorWidth.DisableAvx512 = j.NoAvx512;
        try
        {
            InputGradScatterRange(new ReadOnlySpan<float>(j.A, j.LengthA), new ReadOnlySpan<float>(j.B, j.LengthB), new Span<float>(j.C, j.LengthC),
                new Span<float>(j.D, j.LengthD), j.Shape, start, end);
        }
        finally { VectorWidth.DisableAvx512 = saved; }
    }

    private static void WeightGradParallel(ReadOnlySpan<float> dy, ReadOnlySpan<float> source, Span<float> dw, in Conv2dShape s)
    {
        long work = (long)s.Batch * s.OutChannels * s.OutHeight * s.OutWidth * s.PatchLength;
        // pairs of output channels, the range's own step
        int blocks = Blocks(s.OutChannels, work, 2, out int chunk);
        if (blocks <= 1) { WeightGradRange(dy, source, dw, s, 0, s.OutChannels); return; }
        fixed (float* a = dy, b = source, c = dw)
        {
            var job = new RangeJob
            {
                A = a, B = b, C = c, LengthA = dy.Length, LengthB = source.Length, LengthC = dw.Length,
                Shape = s, Chunk = chunk, Items = s.OutChannels, NoAvx512 = VectorWidth.DisableAvx512,
            };
            WorkerPool.For(blocks, in job, &WeightGradBlock);
        }
    }

    private static void WeightGradBlock(in RangeJob j, int index)
    {
        int start = index * j.Chunk, end = Math.Min(j.Items, start + j.Chunk);
        bool saved = VectorWidth.DisableAvx512;
        VectorWidth.DisableAvx512 = j.NoAvx512;
        try
        {
            WeightGradRange(new ReadOnlySpan<float>(j.A, j.LengthA), new ReadOnlySpan<float>(j.B, j.LengthB), new Span<float>(j.C, j.LengthC), j.Shape, start, end);
        }
        finally { VectorWidth.DisableAvx512 = saved; }
    }
}

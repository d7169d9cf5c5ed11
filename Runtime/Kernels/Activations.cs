using System;
using System.Numerics;

namespace TrainingGen.Kernels;

/// <summary>Backward kernels of activations.</summary>
public static unsafe class Activations
{
    /// <summary>Elements per parallel block of elementwise kernels (tens of µs of work).</summary>
    internal const int ParallelBlock = 64 * 1024;

    /// <summary>
    /// Tensors with fewer elements run on one thread: an elementwise pass is bound by memory, and splitting
    /// a small one costs more in cache-line transfers between cores than it saves (see <see cref="Gemm.ParallelMinProduct"/>).
    /// </summary>
    internal static int ParallelMinLength { get => t_parallelMinLength ?? (1 << 20); set => t_parallelMinLength = value; }

    [ThreadStatic] private static int? t_parallelMinLength;

    /// <summary>
    /// <c>dx = g · [y &gt; 0]</c> for <c>y = relu(x)</c> (reading the saved output, not the input).
    /// Large tensors are split into blocks over the kernel threads (elementwise: the same bits).
    /// </summary>
    public static void ReluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx)
    {
        if (g.Length != y.Length || dx.Length != y.Length) throw new ArgumentException("relu backward: lengths differ.");
        fixed (float* pg = g, py = y, pdx = dx)
        {
            var job = new Elementwise { A = pg, B = py, Out = pdx, Length = dx.Length };
            int blocks = dx.Length < ParallelMinLength ? 1 : (dx.Length + ParallelBlock - 1) / ParallelBlock;
            if (blocks <= 1) ReluBackwardRange(pg, py, pdx, 0, dx.Length);
            else WorkerPool.For(blocks, in job, &ReluBackwardBlock);
        }
    }

    private static void ReluBackwardBlock(in Elementwise j, int block)
    {
        int start = block * ParallelBlock;
        ReluBackwardRange(j.A, j.B, j.Out, start, Math.Min(j.Length, start + ParallelBlock));
    }

    internal static void ReluBackwardRange(float* g, float* y, float* dx, int start, int end)
    {
        // Vectorised as a mask (y > 0 is false for NaN, as in the scalar comparison): relu outputs are 0
        // about half the time at random, so a branch per element mispredicts about half the time.
        int i = start;
        if (Vector.IsHardwareAccelerated)
            for (int step = Vector<float>.Count; i + step <= end; i += step)
            {
                var yv = Vector.Load(y + i);
                Vector.BitwiseAnd(Vector.Load(g + i), Vector.AsVectorSingle(Vector.GreaterThan(yv, Vector<float>.Zero))).Store(dx + i);
            }
        for (; i < end; i++) dx[i] = y[i] > 0f ? g[i] : 0f;
    }

    /// <summary>Two inputs and one output of an elementwise kernel, shared by its blocks.</summary>
    internal struct Elementwise
    {
        public float* A, B, Out;
        public int Length;
    }
}

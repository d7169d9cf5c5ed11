using System;
using System.Numerics.Tensors;

namespace TrainingGen.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>What a product does to its result as it finishes each block of C.</summary>
    internal enum EpilogueKind : byte
    {
        /// <summary>Nothing: C is the product.</summary>
        None,
        /// <summary><c>C = max(C, 0)</c>, as <c>TensorPrimitives.Max(C, 0f, C)</c> computes it (a linear layer's ReLU).</summary>
        Relu,
        /// <summary><c>C = C · [mask &gt; 0]</c>, as <see cref="Activations.ReluBackward"/> computes it (the gradient through a ReLU whose output is the mask).</summary>
        ReluMask,
    }

    /// <summary>
    /// An elementwise step fused into a product (<see cref="EpilogueKind"/>). It runs on each block of C
    /// as soon as the block is final — the rows of a packed MC block, or a thread's block of a dot
    /// product — while the block is still in cache, instead of as a pass of its own over a C that no
    /// longer fits there. Elementwise and computed by the same code as the separate kernel, so the bits
    /// are those of the product followed by that kernel, whatever the thread count.
    /// </summary>
    internal struct Epilogue
    {
        public EpilogueKind Kind;
        /// <summary>For <see cref="EpilogueKind.ReluMask"/>: the mask, laid out like C with row stride <see cref="LdMask"/>.</summary>
        public float* Mask;
        public int LdMask;

        public static Epilogue Relu => new() { Kind = EpilogueKind.Relu };

        public static Epilogue ReluMask(float* mask, int ldMask) => new() { Kind = EpilogueKind.ReluMask, Mask = mask, LdMask = ldMask };
    }

    /// <summary>Applies <paramref name="e"/> to the rows×cols block of C at <paramref name="c"/>, which is element (row0, col0) of the whole C.</summary>
    private static void ApplyEpilogue(in Epilogue e, float* c, int ldc, int row0, int rows, int col0, int cols)
    {
        switch (e.Kind)
        {
            case EpilogueKind.Relu:
                for (int r = 0; r < rows; r++)
                {
                    var row = new Span<float>(c + (long)r * ldc, cols);
                    TensorPrimitives.Max(row, 0f, row);
                }
                break;
            case EpilogueKind.ReluMask:
                for (int r = 0; r < rows; r++)
                {
                    float* row = c + (long)r * ldc;
                    Activations.ReluBackwardRange(row, e.Mask + (long)(row0 + r) * e.LdMask + col0, row, 0, cols);
                }
                break;
        }
    }
}

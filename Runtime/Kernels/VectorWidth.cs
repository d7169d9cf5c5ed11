using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrainingGen.Kernels;

/// <summary>
/// The one switch for the kernels' AVX-512 paths (GEMM, direct convolution, Adam): used where the CPU
/// has AVX-512F and .NET accelerates 512-bit vectors. The choice depends on the machine alone, never on
/// the thread count, so thread counts still give the same bits.
/// </summary>
internal static class VectorWidth
{
    [ThreadStatic] private static bool t_disableAvx512;

    /// <summary>Tests set this to run the AVX2 kernels on AVX-512 machines (this thread only).</summary>
    internal static bool DisableAvx512 { get => t_disableAvx512; set => t_disableAvx512 = value; }

    /// <summary>Whether kernels on this thread take their AVX-512 paths.</summary>
    internal static bool Avx512 => !t_disableAvx512 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
}

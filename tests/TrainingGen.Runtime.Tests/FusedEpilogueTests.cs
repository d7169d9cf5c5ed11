using System;
using System.Numerics.Tensors;
using NUnit.Framework;
using TrainingGen.Kernels;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// The linear kernels with a fused ReLU (<see cref="Dense.LinearForwardRelu"/>, <see cref="Dense.LinearInputGradRelu"/>):
/// the same bits as the product followed by the separate ReLU kernel, on every SGEMM path (tiny, dot,
/// packed; AVX-512, AVX2, portable) and thread count, NaN and −0 included; and close to a float64 reference.
/// </summary>
[TestFixture]
[NonParallelizable]
public class FusedEpilogueTests
{
    [TearDown] public void Restore() { Gemm.ForceFallback = false; VectorWidth.DisableAvx512 = false; }

    private static void Use(GemmTests.Path path)
    {
        if (path == GemmTests.Path.Avx2 && !System.Runtime.Intrinsics.X86.Fma.IsSupported) Assert.Ignore("no AVX2 + FMA on this machine");
        if (path == GemmTests.Path.Avx512 && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.Ignore("no AVX-512 on this machine");
        Gemm.ForceFallback = path == GemmTests.Path.Fallback;
        VectorWidth.DisableAvx512 = path == GemmTests.Path.Avx2;
    }

    // (rows, in, out): a tiny product (≤ 256 multiply-adds), few rows with the dot kernel (k ≥ 192),
    // packed products with edges in every dimension, k over several slices, and big enough to split over threads.
    private static readonly (int Rows, int In, int Out)[] Shapes =
    {
        (2, 5, 7), (5, 512, 37), (7, 200, 1031), (33, 31, 17), (67, 259, 301), (256, 1024, 130), (64, 784, 256),
    };

    private static float[] Random(Random rng, int count, bool specials)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        if (specials && count > 8) { v[1] = float.NaN; v[3] = -0f; v[5] = 0f; v[7] = float.NegativeInfinity; }
        return v;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, the unfused kernels give {expected[i]:R}");
    }

    [Test]
    public void Forward_relu_is_the_product_then_max_zero([Values] GemmTests.Path path, [Values(1, 2, 3)] int threads, [Values] bool bias)
    {
        Use(path);
        foreach (var (rows, inF, outF) in Shapes)
        {
            var rng = new Random(rows * 31 + inF * 7 + outF);
            var x = Random(rng, rows * inF, specials: true);
            var w = Random(rng, outF * inF, specials: false);
            var b = bias ? Random(rng, outF, specials: false) : Array.Empty<float>();
            var expected = new float[rows * outF];
            var actual = Random(rng, rows * outF, specials: true); // overwritten, NaNs in it must not leak
            using (KernelThreads.Use(1))
            {
                Dense.LinearForward(x, w, b, expected, rows, inF, outF);
                TensorPrimitives.Max(expected, 0f, expected);
            }
            using (KernelThreads.Use(threads))
                Dense.LinearForwardRelu(x, w, b, actual, rows, inF, outF);
            AssertSameBits(expected, actual, $"relu(x·Wᵀ{(bias ? " + b" : "")}) {rows}×{inF}→{outF}, {threads} threads, {path}");

            // and independently: a float64 product, clamped at 0 (rows without the NaN input)
            for (int i = 1; i < rows; i++)
                for (int o = 0; o < outF; o++)
                {
                    double sum = bias ? b[o] : 0;
                    for (int p = 0; p < inF; p++) sum += (double)x[i * inF + p] * w[o * inF + p];
                    Assert.That(actual[i * outF + o], Is.EqualTo(Math.Max(sum, 0)).Within(1e-4 * (1 + Math.Abs(sum))), $"({i}, {o}) of {rows}×{inF}→{outF}");
                }
        }
    }

    [Test]
    public void Bias_filled_inside_the_product_is_the_bias_copied_first([Values] GemmTests.Path path, [Values(1, 2, 3)] int threads)
    {
        // Dense.LinearForward fills each block of y with b just before accumulating into it
        Use(path);
        foreach (var (rows, inF, outF) in Shapes)
        {
            var rng = new Random(rows * 5 + inF * 11 + outF);
            var x = Random(rng, rows * inF, specials: true);
            var w = Random(rng, outF * inF, specials: false);
            var b = Random(rng, outF, specials: false);
            var expected = new float[rows * outF];
            var actual = Random(rng, rows * outF, specials: true);
            using (KernelThreads.Use(1))
            {
                for (int i = 0; i < rows; i++) b.CopyTo(expected, i * outF);
                Gemm.Sgemm(false, true, rows, outF, inF, 1f, x, inF, w, inF, 1f, expected, outF);
            }
            using (KernelThreads.Use(threads))
                Dense.LinearForward(x, w, b, actual, rows, inF, outF);
            AssertSameBits(expected, actual, $"x·Wᵀ + b {rows}×{inF}→{outF}, {threads} threads, {path}");
        }
    }

    [Test]
    public void Input_gradient_relu_is_the_product_then_the_relu_mask([Values] GemmTests.Path path, [Values(1, 2, 3)] int threads)
    {
        Use(path);
        foreach (var (rows, inF, outF) in Shapes)
        {
            var rng = new Random(rows * 17 + inF * 3 + outF);
            var dy = Random(rng, rows * outF, specials: true);
            var w = Random(rng, outF * inF, specials: false);
            var mask = Random(rng, rows * inF, specials: true); // a relu output would be ≥ 0; any sign tests the mask
            var expected = new float[rows * inF];
            var actual = Random(rng, rows * inF, specials: true);
            using (KernelThreads.Use(1))
            {
                Dense.LinearInputGrad(dy, w, expected, rows, inF, outF);
                Activations.ReluBackward(expected, mask, expected);
            }
            using (KernelThreads.Use(threads))
                Dense.LinearInputGradRelu(dy, w, mask, actual, rows, inF, outF);
            AssertSameBits(expected, actual, $"(dy·W)·[y > 0] {rows}×{outF}→{inF}, {threads} threads, {path}");

            for (int i = 1; i < rows; i++)
                for (int p = 0; p < inF; p++)
                {
                    double sum = 0;
                    for (int o = 0; o < outF; o++) sum += (double)dy[i * outF + o] * w[o * inF + p];
                    double want = mask[i * inF + p] > 0 ? sum : 0;
                    Assert.That(actual[i * inF + p], Is.EqualTo(want).Within(1e-4 * (1 + Math.Abs(sum))), $"({i}, {p}) of {rows}×{outF}→{inF}");
                }
        }
    }

    [Test]
    public void Input_gradient_relu_refuses_a_mask_that_overlaps_dx()
    {
        var dy = new float[4 * 3]; var w = new float[3 * 5]; var buffer = new float[4 * 5 + 2];
        var e = Assert.Throws<ArgumentException>(() =>
            Dense.LinearInputGradRelu(dy, w, buffer.AsSpan(0, 20), buffer.AsSpan(2, 20), 4, 5, 3));
        Assert.That(e!.Message, Does.Contain("overlaps"));
        Assert.Throws<ArgumentException>(() => Dense.LinearInputGradRelu(dy, w, new float[19], new float[20], 4, 5, 3));
    }
}

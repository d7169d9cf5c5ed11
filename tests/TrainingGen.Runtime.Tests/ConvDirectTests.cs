using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Kernels;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// The direct convolution kernels (forward with each tile and epilogue, input gradient, weight gradient,
/// their range entry points) and the fused pooling epilogue, against float64 loops written from the
/// definition of a cross-correlation; shapes chosen to hit every edge: odd and non-square planes, widths
/// that are not a multiple of 8, channel counts that are not a multiple of the tile, kernels wider than
/// one weight-gradient pass (k = 7), k = 1, padding, batch 1 and odd batches.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
public class ConvDirectTests
{
    private readonly bool _forceAvx2;

    /// <summary>Runs every test on the machine's widest kernels and again on the AVX2 ones (both ship).</summary>
    public ConvDirectTests(bool forceAvx2) => _forceAvx2 = forceAvx2;

    [SetUp]
    public void UseKernels() => VectorWidth.DisableAvx512 = _forceAvx2;

    [TearDown]
    public void Restore() => VectorWidth.DisableAvx512 = false;

    [Test]
    public void The_kernels_in_use_are_the_ones_asked_for()
    {
        Assert.That(Conv2dDirect.UsesAvx512, Is.EqualTo(!_forceAvx2 && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported));
    }

    private static IEnumerable<Conv2dShape> Shapes()
    {
        yield return new Conv2dShape(3, 1, 28, 28, 6, 5, 1, 0, 1, 1);   // LeNet conv1, odd batch
        yield return new Conv2dShape(2, 6, 12, 12, 16, 5, 1, 0, 1, 1);  // LeNet conv2
        yield return new Conv2dShape(1, 3, 11, 14, 5, 3, 1, 1, 1, 1);   // batch 1, non-square, 14 columns, 5 channels
        yield return new Conv2dShape(2, 7, 9, 12, 13, 5, 1, 2, 1, 1);   // "same" padding, 13 channels
        yield return new Conv2dShape(1, 2, 14, 16, 3, 7, 1, 3, 1, 1);   // k = 7: two weight-gradient passes (5 + 2 taps)
        yield return new Conv2dShape(3, 4, 6, 9, 7, 1, 1, 0, 1, 1);     // k = 1, 9 columns
        yield return new Conv2dShape(2, 9, 10, 8, 11, 3, 1, 0, 1, 1);   // 6 output columns: im2row only
        // AVX-512 edges: 22 columns (16-column weight-gradient runs with a masked tail), 33 runs of 8 per
        // image (odd: the last pair of runs is half empty); 18 columns, 12 channels, 15 runs
        yield return new Conv2dShape(2, 3, 13, 24, 16, 3, 1, 0, 1, 1);
        yield return new Conv2dShape(1, 2, 7, 20, 12, 3, 1, 0, 1, 1);
        yield return new Conv2dShape(3, 5, 7, 11, 12, 3, 1, 1, 1, 1);   // 11 columns, 12 channels: channel-vectorised weight gradient, padded
    }

    private static float[] Random(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    private static double In(float[] x, in Conv2dShape s, int n, int c, int iy, int ix) =>
        (uint)iy < (uint)s.Height && (uint)ix < (uint)s.Width ? x[((n * s.InChannels + c) * s.Height + iy) * s.Width + ix] : 0.0;

    /// <summary>float64 forward with each output's Σ|term| (for the error bound).</summary>
    private static (double[] Y, double[] Abs) Forward64(float[] x, float[] w, float[] b, in Conv2dShape s)
    {
        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel;
        var y = new double[s.Batch * s.OutChannels * oh * ow];
        var abs = new double[y.Length];
        for (int n = 0; n < s.Batch; n++)
            for (int co = 0; co < s.OutChannels; co++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double sum = b[co], a = Math.Abs(b[co]);
                        for (int ci = 0; ci < s.InChannels; ci++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    double t = w[((co * s.InChannels + ci) * k + ky) * k + kx] * In(x, s, n, ci, oy * s.Stride - s.Padding + ky, ox * s.Stride - s.Padding + kx);
                                    sum += t; a += Math.Abs(t);
                                }
                        int i = ((n * s.OutChannels + co) * oh + oy) * ow + ox;
                        y[i] = sum; abs[i] = a;
                    }
        return (y, abs);
    }

    /// <summary>float64 dx and dW: every (output, tap) pair adds its product to both.</summary>
    private static (double[] Dx, double[] DxAbs, double[] Dw, double[] DwAbs) Backward64(float[] x, float[] w, float[] dy, in Conv2dShape s)
    {
        int oh = s.OutHeight, ow = s.OutWidth, k = s.Kernel;
        var dx = new double[x.Length]; var dxAbs = new double[x.Length];
        var dw = new double[w.Length]; var dwAbs = new double[w.Length];
        for (int n = 0; n < s.Batch; n++)
            for (int co = 0; co < s.OutChannels; co++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double g = dy[((n * s.OutChannels + co) * oh + oy) * ow + ox];
                        for (int ci = 0; ci < s.InChannels; ci++)
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                {
                                    int iy = oy - s.Padding + ky, ix = ox - s.Padding + kx;
                                    if ((uint)iy >= (uint)s.Height || (uint)ix >= (uint)s.Width) continue;
                                    int wi = ((co * s.InChannels + ci) * k + ky) * k + kx, xi = ((n * s.InChannels + ci) * s.Height + iy) * s.Width + ix;
                                    dx[xi] += g * w[wi]; dxAbs[xi] += Math.Abs(g * w[wi]);
                                    dw[wi] += g * x[xi]; dwAbs[wi] += Math.Abs(g * x[xi]);
                                }
                    }
        return (dx, dxAbs, dw, dwAbs);
    }

    /// <summary>|got − expected| within the float32 summation bound (terms · 2⁻²³ · Σ|term|).</summary>
    private static void Near(float[] got, double[] expected, double[] abs, int terms, string what)
    {
        Assert.That(got.Length, Is.GreaterThanOrEqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = (terms + 2) * 1.2e-7 * abs[i] + 1e-30;
            if (Math.Abs(got[i] - expected[i]) > tol)
                Assert.Fail($"{what}[{i}] = {got[i]}, expected {expected[i]} (tolerance {tol:g3})");
        }
    }

    private static Conv2dShape[] DirectShapes() => Shapes().Where(s => Conv2dDirect.Supports(s)).ToArray();
    private static Conv2dShape[] InputGradShapes() => Shapes().Where(s => Conv2dDirect.SupportsInputGrad(s)).ToArray();

    [Test]
    public void Supports_only_stride_1_ungrouped_undilated_and_8_columns()
    {
        Assert.That(Conv2dDirect.Supports(new Conv2dShape(1, 1, 28, 28, 6, 5, 1, 0, 1, 1)), Is.True);
        Assert.That(Conv2dDirect.Supports(new Conv2dShape(1, 1, 28, 28, 6, 5, 2, 0, 1, 1)), Is.False, "stride 2");
        Assert.That(Conv2dDirect.Supports(new Conv2dShape(1, 2, 28, 28, 6, 5, 1, 0, 1, 2)), Is.False, "groups");
        Assert.That(Conv2dDirect.Supports(new Conv2dShape(1, 1, 28, 28, 6, 3, 1, 0, 2, 1)), Is.False, "dilation");
        Assert.That(Conv2dDirect.Supports(new Conv2dShape(1, 1, 10, 10, 6, 5, 1, 0, 1, 1)), Is.False, "6 output columns");
        Assert.That(Conv2dDirect.Supports(new Conv2dShape(1, 1, 10, 10, 6, 3, 1, 3, 1, 1)), Is.False, "padding beyond k − 1");
        Assert.That(Conv2dDirect.SupportsInputGrad(new Conv2dShape(1, 1, 12, 7, 6, 1, 1, 0, 1, 1)), Is.False, "input 7 columns wide");
        Assert.That(DirectShapes(), Has.Length.EqualTo(Shapes().Count() - 1), "every test shape but the last is direct");
        Assert.That(InputGradShapes(), Is.EqualTo(DirectShapes()), "and direct for dx too");
    }

    [Test]
    public void Forward_matches_float64([ValueSource(nameof(DirectShapes))] Conv2dShape s, [Values] ConvTile tile, [Values] ConvEpilogue epilogue)
    {
        var rng = new Random(s.GetHashCode());
        var x = Random(rng, s.Batch * s.InChannels * s.Height * s.Width);
        var w = Random(rng, s.OutChannels * s.PatchLength);
        var b = Random(rng, s.OutChannels);
        var y = Enumerable.Repeat(float.NaN, s.Batch * s.OutChannels * s.OutHeight * s.OutWidth).ToArray();
        var work = Enumerable.Repeat(float.NaN, Conv2dDirect.ForwardWorkLength(s, tile)).ToArray();

        Conv2dDirect.Forward(x, w, b, y, work, s, tile, epilogue);

        var (e, abs) = Forward64(x, w, b, s);
        if (epilogue == ConvEpilogue.BiasRelu) for (int i = 0; i < e.Length; i++) e[i] = Math.Max(e[i], 0);
        Near(y, e, abs, s.PatchLength + 1, "y");
    }

    [Test]
    public void Forward_without_bias_matches_float64([ValueSource(nameof(DirectShapes))] Conv2dShape s)
    {
        var rng = new Random(s.GetHashCode() + 1);
        var x = Random(rng, s.Batch * s.InChannels * s.Height * s.Width);
        var w = Random(rng, s.OutChannels * s.PatchLength);
        var y = new float[s.Batch * s.OutChannels * s.OutHeight * s.OutWidth];
        Conv2dDirect.Forward(x, w, default, y, new float[Conv2dDirect.ForwardWorkLength(s, ConvTile.P3C4)], s, ConvTile.P3C4, ConvEpilogue.Bias);
        var (e, abs) = Forward64(x, w, new float[s.OutChannels], s);
        Near(y, e, abs, s.PatchLength, "y");
    }

    [Test]
    public void Input_gradient_matches_float64([ValueSource(nameof(InputGradShapes))] Conv2dShape s, [Values] ConvTile tile)
    {
        var rng = new Random(s.GetHashCode() + 2);
        var x = Random(rng, s.Batch * s.InChannels * s.Height * s.Width);
        var w = Random(rng, s.OutChannels * s.PatchLength);
        var dy = Random(rng, s.Batch * s.OutChannels * s.OutHeight * s.OutWidth);
        var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        var work = Enumerable.Repeat(float.NaN, Conv2dDirect.InputGradWorkLength(s, tile)).ToArray();

        Conv2dDirect.InputGrad(dy, w, dx, work, s, tile);

        var (e, abs, _, _) = Backward64(x, w, dy, s);
        Near(dx, e, abs, s.OutChannels * s.Kernel * s.Kernel, "dx");
    }

    [Test]
    public void Input_gradient_scatter_matches_float64([ValueSource(nameof(DirectShapes))] Conv2dShape s)
    {
        var rng = new Random(s.GetHashCode() + 5);
        var x = Random(rng, s.Batch * s.InChannels * s.Height * s.Width);
        var w = Random(rng, s.OutChannels * s.PatchLength);
        var dy = Random(rng, s.Batch * s.OutChannels * s.OutHeight * s.OutWidth);
        var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        var work = Enumerable.Repeat(float.NaN, Conv2dDirect.InputGradScatterWorkLength(s)).ToArray();

        Conv2dDirect.InputGradScatter(dy, w, dx, work, s);

        var (e, abs, _, _) = Backward64(x, w, dy, s);
        Near(dx, e, abs, s.OutChannels * s.Kernel * s.Kernel, "dx");

        // images one at a time, in reverse, through the range entry point: the same bits
        int packed = (s.InChannels + 5) / 6 * 6 * s.OutChannels * s.Kernel * s.Kernel;
        var split = new float[x.Length];
        for (int n = s.Batch - 1; n >= 0; n--)
            Conv2dDirect.InputGradScatterRange(dy, work.AsSpan(0, packed), split, work.AsSpan(packed), s, n, n + 1);
        Assert.That(split, Is.EqualTo(dx));
    }

    [Test]
    public void Weight_gradient_matches_float64([ValueSource(nameof(DirectShapes))] Conv2dShape s, [Values] ConvTile tile)
    {
        var rng = new Random(s.GetHashCode() + 3);
        var x = Random(rng, s.Batch * s.InChannels * s.Height * s.Width);
        var w = Random(rng, s.OutChannels * s.PatchLength);
        var dy = Random(rng, s.Batch * s.OutChannels * s.OutHeight * s.OutWidth);
        var y = new float[dy.Length];
        var work = new float[Conv2dDirect.ForwardWorkLength(s, tile)];
        Conv2dDirect.Forward(x, w, default, y, work, s, tile, ConvEpilogue.Bias); // leaves the padded input in work
        var dw = Enumerable.Repeat(float.NaN, w.Length).ToArray();

        Conv2dDirect.WeightGrad(dy, x, work, dw, s, tile);

        var (_, _, e, abs) = Backward64(x, w, dy, s);
        Near(dw, e, abs, s.Batch * s.OutHeight * s.OutWidth, "dW");
    }

    [Test]
    public void Ranges_split_anywhere_give_the_same_bits([ValueSource(nameof(DirectShapes))] Conv2dShape s)
    {
        const ConvTile tile = ConvTile.P2C6;
        var rng = new Random(s.GetHashCode() + 4);
        var x = Random(rng, s.Batch * s.InChannels * s.Height * s.Width);
        var w = Random(rng, s.OutChannels * s.PatchLength);
        var b = Random(rng, s.OutChannels);
        var dy = Random(rng, s.Batch * s.OutChannels * s.OutHeight * s.OutWidth);

        var work = new float[Conv2dDirect.ForwardWorkLength(s, tile)];
        var whole = new float[dy.Length];
        Conv2dDirect.Forward(x, w, b, whole, work, s, tile, ConvEpilogue.BiasRelu);
        int packed = Conv2dDirect.PackedWeightLength(s.InChannels, s.OutChannels, s.Kernel, tile);
        var source = s.Padding == 0 ? x : work[packed..];
        var split = new float[dy.Length];
        for (int n = s.Batch - 1; n >= 0; n--) // one image at a time, in reverse
            Conv2dDirect.ForwardRange(source, work.AsSpan(0, packed), b, split, s, tile, ConvEpilogue.BiasRelu, n, n + 1);
        Assert.That(split, Is.EqualTo(whole));

        var dwWhole = new float[w.Length];
        Conv2dDirect.WeightGrad(dy, x, work, dwWhole, s, tile);
        var dwSplit = new float[w.Length];
        for (int c = 0; c < s.OutChannels; c += 3) Conv2dDirect.WeightGradRange(dy, source, dwSplit, s, c, Math.Min(c + 3, s.OutChannels));
        Assert.That(dwSplit, Is.EqualTo(dwWhole));

        if (!Conv2dDirect.SupportsInputGrad(s)) return;
        var dxWork = new float[Conv2dDirect.InputGradWorkLength(s, tile)];
        var dxWhole = new float[x.Length];
        Conv2dDirect.InputGrad(dy, w, dxWhole, dxWork, s, tile);
        int packedT = Conv2dDirect.PackedWeightLength(s.OutChannels, s.InChannels, s.Kernel, tile);
        var dxSplit = new float[x.Length];
        for (int n = s.Batch - 1; n >= 0; n--)
            Conv2dDirect.InputGradRange(dy, dxWork.AsSpan(0, packedT), dxSplit, dxWork.AsSpan(packedT), s, tile, n, n + 1);
        Assert.That(dxSplit, Is.EqualTo(dxWhole));
    }

    [Test]
    public void A_warm_step_allocates_nothing()
    {
        var s1 = new Conv2dShape(32, 1, 28, 28, 6, 5, 1, 0, 1, 1);
        var s2 = new Conv2dShape(32, 6, 12, 12, 16, 5, 1, 2, 1, 1); // padded: exercises the copies too
        var rng = new Random(9);
        var x1 = Random(rng, 32 * 784); var w1 = Random(rng, 150); var b1 = Random(rng, 6); var y1 = new float[32 * 6 * 576];
        var x2 = Random(rng, 32 * 6 * 144); var w2 = Random(rng, 16 * 150); var y2 = new float[32 * 16 * 144];
        var f1 = new float[Conv2dDirect.ForwardWorkLength(s1, ConvTile.P2C6)]; var f2 = new float[Conv2dDirect.ForwardWorkLength(s2, ConvTile.P3C4)];
        var d2 = new float[Conv2dDirect.InputGradWorkLength(s2, ConvTile.P2C6)];
        var s2Scatter = new float[Conv2dDirect.InputGradScatterWorkLength(s2)];
        var dw1 = new float[150]; var dw2 = new float[w2.Length]; var dx2 = new float[x2.Length];
        var p1 = new float[32 * 6 * 144]; var dp1 = new float[y1.Length];
        void Step()
        {
            Conv2dDirect.Forward(x1, w1, b1, y1, f1, s1, ConvTile.P2C6, ConvEpilogue.BiasRelu);
            MaxPool2x2.ForwardRange(y1, p1, 24, 24, 0, 32 * 6);
            Conv2dDirect.Forward(x2, w2, default, y2, f2, s2, ConvTile.P3C4, ConvEpilogue.Bias);
            Conv2dDirect.WeightGrad(y2, x2, f2, dw2, s2, ConvTile.P3C4);
            Conv2dDirect.InputGrad(y2, w2, dx2, d2, s2, ConvTile.P2C6);
            Conv2dDirect.InputGradScatter(y2, w2, dx2, s2Scatter, s2);
            MaxPool2x2.BackwardRange(p1, y1, dp1, 24, 24, true, 0, 32 * 6);
            Conv2dDirect.WeightGrad(dp1, x1, f1, dw1, s1, ConvTile.P2C6);
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step(); Step();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void Buffers_too_small_are_rejected_with_sizes()
    {
        var s = new Conv2dShape(2, 1, 28, 28, 6, 5, 1, 0, 1, 1);
        var ex = Assert.Throws<ArgumentException>(() => Conv2dDirect.Forward(new float[10], new float[150], default, new float[2 * 6 * 576], new float[1000], s, ConvTile.P2C6, ConvEpilogue.Bias));
        Assert.That(ex!.Message, Does.Contain("10").And.Contain("1568"));
        Assert.Throws<ArgumentException>(() => Conv2dDirect.Forward(new float[1568], new float[150], default, new float[2 * 6 * 576], new float[10], s, ConvTile.P2C6, ConvEpilogue.Bias));
        Assert.Throws<ArgumentException>(() => Conv2dDirect.Forward(new float[1568], new float[150], default, new float[2 * 6 * 576], new float[150], s with { Stride = 2 }, ConvTile.P2C6, ConvEpilogue.Bias));
    }
}

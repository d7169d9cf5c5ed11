using System;
using NUnit.Framework;
using TrainingGen.Kernels;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// The vector 2×2 max pool (forward, backward, backward fused with the relu before it) and the vector
/// relu backward against the definitions written out per window: odd and non-square planes (uncovered
/// last row and column), widths that leave scalar windows, ties at every position (the first maximum
/// wins), NaN and −∞ in windows, and relu outputs that are exactly 0.
/// </summary>
[TestFixture]
public class MaxPool2x2Tests
{
    private static float[] Values(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u = rng.NextDouble();
            // a few exact repeats (ties), zeros (relu outputs), NaN and −∞
            v[i] = u < 0.15 ? 0.5f : u < 0.35 ? 0f : u < 0.37 ? float.NaN : u < 0.39 ? float.NegativeInfinity : (float)(rng.NextDouble() * 2 - 1);
        }
        return v;
    }

    /// <summary>(first maximum's index or −1, max value) of one window, scanning a, b, c, d with a strict '&gt;'.</summary>
    private static (int Best, float Max) Window(float[] x, int c, int h, int w, int oy, int ox)
    {
        int best = -1; float m = float.NegativeInfinity;
        for (int ky = 0; ky < 2; ky++)
            for (int kx = 0; kx < 2; kx++)
            {
                int at = (c * h + 2 * oy + ky) * w + 2 * ox + kx;
                if (x[at] > m) { m = x[at]; best = at; }
            }
        return (best, m);
    }

    [Test]
    public void Forward_is_each_windows_maximum([Values(2, 7, 24)] int h, [Values(2, 9, 10, 24, 17)] int w)
    {
        var rng = new Random(h * 100 + w);
        const int planes = 3;
        var x = Values(rng, planes * h * w);
        var y = new float[planes * (h / 2) * (w / 2)];
        MaxPool2x2.ForwardRange(x, y, h, w, 0, planes);
        for (int c = 0; c < planes; c++)
            for (int oy = 0; oy < h / 2; oy++)
                for (int ox = 0; ox < w / 2; ox++)
                {
                    double e = double.NegativeInfinity;
                    bool nan = false;
                    for (int ky = 0; ky < 2; ky++)
                        for (int kx = 0; kx < 2; kx++)
                        {
                            float v = x[(c * h + 2 * oy + ky) * w + 2 * ox + kx];
                            nan |= float.IsNaN(v); e = Math.Max(e, v);
                        }
                    float got = y[(c * (h / 2) + oy) * (w / 2) + ox];
                    if (nan) Assert.That(float.IsNaN(got), $"window ({c}, {oy}, {ox}) holds a NaN: {got}");
                    else Assert.That(got, Is.EqualTo(e), $"window ({c}, {oy}, {ox})");
                }
    }

    [Test]
    public void Backward_routes_to_the_first_maximum_and_fused_relu_masks([Values(2, 7, 24)] int h, [Values(2, 9, 10, 24, 17)] int w, [Values] bool relu)
    {
        var rng = new Random(h * 100 + w + (relu ? 1 : 0));
        const int planes = 3;
        int oh = h / 2, ow = w / 2;
        var x = Values(rng, planes * h * w);
        var g = new float[planes * oh * ow];
        for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
        var dx = new float[x.Length];
        Array.Fill(dx, float.NaN); // every element must be written
        MaxPool2x2.BackwardRange(g, x, dx, h, w, relu, 0, planes);

        var e = new double[x.Length];
        for (int c = 0; c < planes; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    var (best, _) = Window(x, c, h, w, oy, ox);
                    if (best >= 0) e[best] += g[(c * oh + oy) * ow + ox];
                }
        if (relu) for (int i = 0; i < e.Length; i++) if (!(x[i] > 0f)) e[i] = 0;
        for (int i = 0; i < e.Length; i++) Assert.That(dx[i], Is.EqualTo(e[i]), $"dx[{i}] (x = {x[i]})");
    }

    [Test]
    public void Ranges_of_planes_give_the_same_bits()
    {
        var rng = new Random(5);
        const int planes = 5, h = 24, w = 24;
        var x = Values(rng, planes * h * w);
        var g = Values(rng, planes * 144);
        var whole = new float[x.Length]; var split = new float[x.Length];
        MaxPool2x2.BackwardRange(g, x, whole, h, w, true, 0, planes);
        MaxPool2x2.BackwardRange(g, x, split, h, w, true, 3, 5);
        MaxPool2x2.BackwardRange(g, x, split, h, w, true, 0, 3);
        Assert.That(split, Is.EqualTo(whole));
    }

    [Test]
    public void Relu_backward_is_g_where_y_is_positive([Values(1, 7, 8, 33)] int n)
    {
        var rng = new Random(n);
        var y = Values(rng, n);
        var g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
        var dx = new float[n];
        Activations.ReluBackward(g, y, dx);
        for (int i = 0; i < n; i++) Assert.That(dx[i], Is.EqualTo(y[i] > 0f ? g[i] : 0f), $"dx[{i}] (y = {y[i]})");
        Assert.Throws<ArgumentException>(() => Activations.ReluBackward(g, y, new float[n + 1]));
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Interpreter;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Runtime.Tests;

/// <summary>Core ML accepts tensors of rank ≤ 5 only; the builder refuses more, and the dilated conv stays within it.</summary>
[TestFixture]
public class MilRankTests
{
    [Test]
    public void Builder_refuses_values_of_rank_six()
    {
        var b = new MilFunctionBuilder("f");
        var x = b.Input("x", MilDType.Float32, 2, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => b.Reshape(x, new long[] { 1, 1, 2, 1, 3, 4 }, "six"))!;
        Assert.That(e.Message, Does.Contain("'six'").And.Contain("rank 6").And.Contain("rank <= 5"));
        Assert.Throws<ArgumentException>(() => b.Input("y", MilDType.Float32, 1, 1, 1, 1, 1, 1));
        Assert.Throws<ArgumentException>(() => b.Const(MilTensor.Float32(new[] { 1, 1, 1, 1, 1, 2 }, new float[2])));
        Assert.That(b.Reshape(x, new long[] { 1, 1, 2, 3, 4 }).Rank, Is.EqualTo(5), "rank 5 is allowed");
    }

    private static readonly (int Co, int Ci, int K, int Stride, int Pad, int Dilation)[] Cases =
    {
        (3, 2, 3, 2, 2, 2), (2, 1, 2, 1, 0, 3), (1, 3, 3, 1, 1, 2),
    };

    [Test]
    public void Dilated_conv_with_a_runtime_weight_stays_within_rank_5_and_matches_a_direct_sum([Range(0, 2)] int c)
    {
        var (co, ci, k, stride, pad, dil) = Cases[c];
        var rng = new Random(c);
        var x = Random(rng, 1, ci, 9, 8);
        var w = Random(rng, co, ci, k, k);
        var b = new MilFunctionBuilder("f");
        var xv = b.Input("x", MilDType.Float32, x.Shape.Select(d => (long)d).ToArray());
        var wv = b.Input("w", MilDType.Float32, w.Shape.Select(d => (long)d).ToArray());
        b.Output(MilRecipes.Conv2d(b, xv, wv, null, stride, pad, dil, 1, "y"));
        var f = b.Build();

        Assert.That(f.Operations.SelectMany(op => op.Outputs).Select(o => o.Type.Tensor.Rank), Has.All.LessThanOrEqualTo(5));
        var conv = f.Operations.Single(op => op.Type == "conv");
        Assert.That(ConstOf(f, conv, "dilations").Ints, Is.EqualTo(new[] { 1, 1 }), "a runtime weight needs dilations = 1");
        var y = new MilInterpreter(f).Run(new Dictionary<string, MilTensor> { ["x"] = x, ["w"] = w })[0].Value;
        AssertMatchesDirect(y, x, w, stride, pad, dil);
    }

    [Test]
    public void Dilated_conv_with_a_constant_weight_uses_convs_own_dilations([Range(0, 2)] int c)
    {
        var (co, ci, k, stride, pad, dil) = Cases[c];
        var rng = new Random(10 + c);
        var x = Random(rng, 1, ci, 9, 8);
        var w = Random(rng, co, ci, k, k);
        var b = new MilFunctionBuilder("main");
        var xv = b.Input("x", MilDType.Float32, x.Shape.Select(d => (long)d).ToArray());
        b.Output(MilRecipes.Conv2d(b, xv, b.Const(w, "w"), null, stride, pad, dil, 1, "y"));
        var f = b.Build();

        Assert.That(f.Operations.Select(op => op.Type), Has.None.EqualTo("pad"), "no explicit kernel spreading");
        var conv = f.Operations.Single(op => op.Type == "conv");
        Assert.That(ConstOf(f, conv, "dilations").Ints, Is.EqualTo(new[] { dil, dil }));
        var y = new MilInterpreter(f).Run(new Dictionary<string, MilTensor> { ["x"] = x })[0].Value;
        AssertMatchesDirect(y, x, w, stride, pad, dil);
    }

    private static MilTensor ConstOf(MilFunction f, MilOperation op, string parameter)
    {
        string name = op.Input(parameter)![0].Name!;
        return f.Operations.Single(o => o.Type == "const" && o.Name == name).Attribute("val")!;
    }

    private static MilTensor Random(Random rng, params int[] shape) =>
        MilTensor.Float32(shape, Enumerable.Range(0, shape.Aggregate(1, (a, d) => a * d)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray());

    /// <summary>y[o, i, j] = Σ x[c, i·s + ky·d − p, j·s + kx·d − p]·w[o, c, ky, kx] over in-bounds taps (torch's definition).</summary>
    private static void AssertMatchesDirect(MilTensor y, MilTensor x, MilTensor w, int s, int p, int d)
    {
        int ci = x.Shape[1], h = x.Shape[2], wd = x.Shape[3], co = w.Shape[0], k = w.Shape[2];
        int oh = (h + 2 * p - d * (k - 1) - 1) / s + 1, ow = (wd + 2 * p - d * (k - 1) - 1) / s + 1;
        Assert.That(y.Shape, Is.EqualTo(new[] { 1, co, oh, ow }));
        for (int o = 0; o < co; o++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double sum = 0;
                    for (int c = 0; c < ci; c++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                            {
                                int r = i * s + ky * d - p, q = j * s + kx * d - p;
                                if (r >= 0 && r < h && q >= 0 && q < wd)
                                    sum += (double)x.Floats![(c * h + r) * wd + q] * w.Floats![((o * ci + c) * k + ky) * k + kx];
                            }
                    Assert.That(y.Floats![(o * oh + i) * ow + j], Is.EqualTo(sum).Within(1e-5), $"y[{o}, {i}, {j}]");
                }
    }
}

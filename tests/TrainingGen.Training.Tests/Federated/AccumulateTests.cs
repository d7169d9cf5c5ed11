using System;
using NUnit.Framework;
using TrainingGen.Federated;

namespace TrainingGen.Training.Tests.Federated;

/// <summary>The server's per-user accumulation (vectorised): the sums as the scalar float64 expression, the norm to float64 rounding.</summary>
public class AccumulateTests
{
    [TestCase(0)]
    [TestCase(15)]      // tail only
    [TestCase(16)]
    [TestCase(44_426)]  // LeNet's trainable parameters: 2,776 vector steps and a tail of 10
    public void Sums_equal_the_scalar_expression_and_the_norm_matches_float64(int length)
    {
        var rng = new Random(length + 1);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 7 == 0 ? 1e3f : 1f);
        var sum = new double[length];
        for (int i = 0; i < length; i++) sum[i] = rng.NextDouble();
        var expected = (double[])sum.Clone();
        double scale = 0.37, weight = 3.0, squares = 0;
        for (int j = 0; j < length; j++)
        {
            double v = scale * values[j];
            expected[j] += weight * v;
            squares += v * v;
        }
        double got = GaussianMechanism.AccumulateScaled(values, scale, weight, sum);
        Assert.That(sum, Is.EqualTo(expected), "every element bit-identical to sum[j] += w·(scale·x[j])");
        Assert.That(got, Is.EqualTo(squares).Within(1e-12 * Math.Max(1, squares)));
        Assert.That(GaussianMechanism.Norm(values), Is.EqualTo(Math.Sqrt(squares) / scale).Within(1e-12 * Math.Max(1, Math.Sqrt(squares) / scale)));
    }

    [Test]
    public void A_sum_of_another_length_is_refused()
    {
        Assert.Throws<ArgumentException>(() => GaussianMechanism.AccumulateScaled(new float[4], 1, 1, new double[3]));
    }
}

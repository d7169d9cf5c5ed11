using System;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Federated.Privacy;

namespace TrainingGen.Training.Tests.Privacy;

/// <summary>
/// The numerical building blocks of the accountants. erfc values are mpmath's at 40 digits
/// (mpmath.erfc); the FFT is checked against a naive O(n²) DFT and direct convolution written here.
/// </summary>
public class NormalAndFftTests
{
    [TestCase(-3.0, 1.9999779095030014146)]
    [TestCase(-0.5, 1.5204998778130465377)]
    [TestCase(0.0, 1.0)]
    [TestCase(1e-8, 0.99999998871620832904)]
    [TestCase(0.1, 0.8875370839817151078)]
    [TestCase(0.5, 0.47950012218695346232)]
    [TestCase(1.0, 0.15729920705028513066)]
    [TestCase(1.5, 0.033894853524689272933)]
    [TestCase(1.999, 0.0046984433486294899663)]
    [TestCase(2.0, 0.0046777349810472658379)]
    [TestCase(2.5, 0.00040695201744495893956)]
    [TestCase(3.0, 0.000022090496998585441373)]
    [TestCase(4.5, 1.9661604415428874763e-10)]
    [TestCase(6.0, 2.1519736712498913117e-17)]
    [TestCase(10.0, 2.088487583762544757e-45)]
    [TestCase(15.0, 7.2129941724512066666e-100)]
    [TestCase(26.0, 5.6631924088561428465e-296)]
    public void Erfc_matches_mpmath_to_a_few_ulps_in_both_tails(double x, double expected) =>
        Assert.That(Normal.Erfc(x), Is.EqualTo(expected).Within(2e-15 * expected), $"erfc({x})");

    [TestCase(30.0, -903.97411711064387808)]
    [TestCase(100.0, -10005.177585122664333)]
    [TestCase(1000.0, -1000007.4801207219062)]
    public void LogErfc_stays_finite_and_exact_where_erfc_underflows(double x, double expected)
    {
        Assert.That(Normal.Erfc(x), Is.EqualTo(0.0), "erfc itself underflows here");
        Assert.That(Normal.LogErfc(x), Is.EqualTo(expected).Within(1e-14 * Math.Abs(expected)));
    }

    [Test]
    public void Cdf_and_survival_are_the_two_tails_of_one_distribution()
    {
        // Φ(−1.959963984540054) = 0.025 (the two-sided 95 % point).
        Assert.That(Normal.Cdf(-1.959963984540054), Is.EqualTo(0.025).Within(1e-15));
        Assert.That(Normal.Survival(1.959963984540054), Is.EqualTo(0.025).Within(1e-15));
        Assert.That(Normal.LogCdf(-40), Is.EqualTo(Math.Log(0.5) + Normal.LogErfc(40 / Math.Sqrt(2))).Within(1e-12));
        Assert.That(Normal.Erf(0.5), Is.EqualTo(0.52049987781304653768).Within(1e-15));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(8)]
    [TestCase(64)]
    public void Fft_matches_the_naive_dft_and_inverts(int n)
    {
        var rng = new Random(n);
        double[] re = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double[] im = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double[] fr = (double[])re.Clone(), fi = (double[])im.Clone();
        Fft.Transform(fr, fi, inverse: false);
        for (int k = 0; k < n; k++)
        {
            double sr = 0, si = 0;
            for (int j = 0; j < n; j++)
            {
                double angle = -2 * Math.PI * j * k / n;
                sr += re[j] * Math.Cos(angle) - im[j] * Math.Sin(angle);
                si += re[j] * Math.Sin(angle) + im[j] * Math.Cos(angle);
            }
            Assert.That(fr[k], Is.EqualTo(sr).Within(1e-12), $"Re X[{k}]");
            Assert.That(fi[k], Is.EqualTo(si).Within(1e-12), $"Im X[{k}]");
        }
        Fft.Transform(fr, fi, inverse: true);
        for (int j = 0; j < n; j++)
        {
            Assert.That(fr[j], Is.EqualTo(re[j]).Within(1e-14));
            Assert.That(fi[j], Is.EqualTo(im[j]).Within(1e-14));
        }
    }

    [Test]
    public void Fft_rejects_lengths_that_are_not_powers_of_two() =>
        Assert.Throws<ArgumentException>(() => Fft.Transform(new double[6], new double[6], inverse: false));

    [Test]
    public void Fft_convolution_equals_direct_convolution_without_wrap_around()
    {
        var rng = new Random(7);
        // Large enough for the FFT path (the product of lengths is far above the direct threshold).
        double[] a = Enumerable.Range(0, 1500).Select(_ => rng.NextDouble()).ToArray();
        double[] b = Enumerable.Range(0, 900).Select(_ => rng.NextDouble()).ToArray();
        double[] c = Fft.Convolve(a, b);
        Assert.That(c, Has.Length.EqualTo(a.Length + b.Length - 1));
        for (int k = 0; k < c.Length; k += 37)
        {
            double direct = 0;
            for (int i = Math.Max(0, k - b.Length + 1); i <= Math.Min(k, a.Length - 1); i++) direct += a[i] * b[k - i];
            Assert.That(c[k], Is.EqualTo(direct).Within(1e-10 * Math.Max(1, direct)), $"c[{k}]");
        }
        // The last element is a[last]·b[last] alone: wrap-around would have added more.
        Assert.That(c[^1], Is.EqualTo(a[^1] * b[^1]).Within(1e-10));
    }
}

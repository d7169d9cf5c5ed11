using System;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Federated;

namespace TrainingGen.Training.Tests.Federated;

/// <summary>Cohort sampling and data partitioning, against their distributions' known moments.</summary>
public class SamplingTests
{
    [Test]
    public void Fixed_cohorts_are_distinct_sorted_seeded_and_uniform()
    {
        const int n = 20, k = 5, iterations = 4000;
        var counts = new int[n];
        for (int t = 0; t < iterations; t++)
        {
            var c = CohortSampler.Fixed(n, k, 9, t);
            Assert.That(c, Has.Length.EqualTo(k).And.Ordered.And.Unique);
            Assert.That(c, Is.All.InRange(0, n - 1));
            foreach (int u in c) counts[u]++;
        }
        Assert.That(CohortSampler.Fixed(n, k, 9, 3), Is.EqualTo(CohortSampler.Fixed(n, k, 9, 3)));
        Assert.That(CohortSampler.Fixed(n, k, 9, 3), Is.Not.EqualTo(CohortSampler.Fixed(n, k, 10, 3)));
        // Each user is in a cohort with probability k/n: binomial counts, checked within 5σ.
        double p = (double)k / n, mean = iterations * p, sd = Math.Sqrt(iterations * p * (1 - p));
        Assert.That(counts, Is.All.InRange(mean - 5 * sd, mean + 5 * sd));
    }

    [Test]
    public void Poisson_cohorts_include_each_user_with_the_sampling_rate()
    {
        const int n = 50, iterations = 2000;
        const double q = 0.1;
        long total = 0;
        for (int t = 0; t < iterations; t++)
        {
            var c = CohortSampler.Poisson(n, q, 4, t);
            Assert.That(c, Is.Ordered.And.Unique);
            total += c.Length;
        }
        double mean = n * q * iterations, sd = Math.Sqrt(n * iterations * q * (1 - q));
        Assert.That((double)total, Is.InRange(mean - 5 * sd, mean + 5 * sd));
    }

    private static InMemoryDataset Labelled(int n, int classes, bool oneHot)
    {
        var x = new float[n]; var y = new float[oneHot ? n * classes : n];
        for (int i = 0; i < n; i++)
        {
            x[i] = i;
            if (oneHot) y[i * classes + i % classes] = 1; else y[i] = i % classes;
        }
        return new InMemoryDataset(x, new[] { 1 }, y, oneHot ? new[] { classes } : Array.Empty<int>());
    }

    private static int[] Samples(IDataset d)
    {
        var f = new float[1]; var l = new float[ShapeUtil.Count(d.LabelShape)];
        return Enumerable.Range(0, d.Count).Select(i => { d.CopySample(i, f, l); return (int)f[0]; }).ToArray();
    }

    [Test]
    public void Iid_partition_deals_every_sample_once_in_the_given_sizes()
    {
        var data = Labelled(103, 4, false);
        var users = Partition.Iid(data, 10, seed: 3);
        Assert.That(users.Select(u => u.Count), Is.EqualTo(new[] { 11, 11, 11, 10, 10, 10, 10, 10, 10, 10 }));
        Assert.That(users.SelectMany(Samples).OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, 103)));
        Assert.That(users.Select(Samples), Is.EqualTo(Partition.Iid(data, 10, seed: 3).Select(Samples)), "seeded");
        Assert.That(Samples(users[0]), Is.Not.EqualTo(Enumerable.Range(0, 11)), "shuffled");

        var sized = Partition.Iid(data, new[] { 50, 3, 20 }, seed: 1);
        Assert.That(sized.Select(u => u.Count), Is.EqualTo(new[] { 50, 3, 20 }));
        Assert.That(sized.SelectMany(Samples), Is.Unique);
        Assert.That(() => Partition.Iid(data, new[] { 100, 4 }, 1), Throws.ArgumentException.With.Message.Contains("104"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Dirichlet_partition_concentrates_classes_for_small_alpha(bool oneHot)
    {
        var data = Labelled(4000, 4, oneHot);
        var labels = Partition.ClassLabels(data);
        double TopClassShare(double alpha)
        {
            var users = Partition.Dirichlet(data, 40, alpha, seed: 2);
            Assert.That(users.Select(u => u.Count), Is.All.EqualTo(100));
            Assert.That(users.SelectMany(Samples), Is.Unique, "disjoint");
            return users.Average(u => Samples(u).GroupBy(i => labels[i]).Max(g => g.Count()) / 100.0);
        }
        // Expected share of the largest of 4 Dirichlet(α) proportions: ≈ 0.25 as α → ∞, → 1 as α → 0.
        Assert.That(TopClassShare(0.05), Is.GreaterThan(0.85));
        Assert.That(TopClassShare(1000), Is.LessThan(0.35));
    }

    [TestCase(0.3)]
    [TestCase(2.5)]
    public void Gamma_draws_have_the_gamma_mean_and_variance(double shape)
    {
        // Gamma(k, 1): mean k, variance k. Checked within 5 standard errors (the variance's standard
        // error uses the fourth central moment 3k² + 6k).
        const int n = 40000;
        var rng = new Rng(17);
        var x = Enumerable.Range(0, n).Select(_ => Partition.Gamma(shape, rng)).ToArray();
        double mean = x.Average(), variance = x.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        Assert.That(mean, Is.EqualTo(shape).Within(5 * Math.Sqrt(shape / n)));
        Assert.That(variance, Is.EqualTo(shape).Within(5 * Math.Sqrt((3 * shape * shape + 6 * shape - shape * shape) / n)));
    }
}

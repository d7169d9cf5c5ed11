using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// Learning-rate schedules, gradient clipping and accumulation. Each schedule's closed form is
/// checked against torch's recursive (chainable) <c>get_lr</c> written independently in
/// Reference.cs, then 50 steps of Fit with the schedule are checked against the float64 reference
/// (network + torch.optim equations + that learning-rate sequence) within 1e-6 relative.
/// </summary>
public class ScheduleTests
{
    private const int Steps = 50, Batch = 4;

    private static void ClosedFormMatches(LearningRateSchedule s, double[] expected)
    {
        for (int t = 0; t < expected.Length; t++)
            Assert.That(s.LearningRate(0.1, t), Is.EqualTo(expected[t]).Within(1e-12 + 1e-9 * Math.Abs(expected[t])), $"t = {t}");
    }

    [Test] public void StepLR_closed_form_equals_torchs_recursion() => ClosedFormMatches(new StepLR(7, 0.5), RefSchedules.Step(0.1, 7, 0.5, 60));
    [Test] public void StepLR_default_gamma_is_a_tenth() => Assert.That(new StepLR(3).LearningRate(1, 7), Is.EqualTo(0.01).Within(1e-15));
    [Test] public void ExponentialLR_closed_form_equals_torchs_recursion() => ClosedFormMatches(new ExponentialLR(0.93), RefSchedules.Exponential(0.1, 0.93, 60));
    [Test] public void CosineAnnealingLR_closed_form_equals_torchs_recursion_over_several_periods() =>
        ClosedFormMatches(new CosineAnnealingLR(12, 0.001), RefSchedules.Cosine(0.1, 12, 0.001, 60));
    [Test] public void LinearLR_closed_form_equals_torchs_recursion() =>
        ClosedFormMatches(new LinearLR(0.25, 0.9, 10), RefSchedules.Linear(0.1, 0.25, 0.9, 10, 60));
    [Test] public void LinearLR_defaults_are_a_third_to_one_over_five_steps() =>
        ClosedFormMatches(new LinearLR(), RefSchedules.Linear(0.1, 1.0 / 3, 1.0, 5, 20));

    [Test]
    public void OneCycleLR_anchor_points_are_torchs()
    {
        // total 100, pct 0.3: phase 1 ends at step 29 (initial = 1/25 → max), phase 2 at 99 (max → initial/1e4)
        var s = new OneCycleLR(1.0, 100);
        Assert.That(s.Interval, Is.EqualTo(ScheduleInterval.Step));
        Assert.That(s.LearningRate(123, 0), Is.EqualTo(0.04).Within(1e-15));
        Assert.That(s.LearningRate(123, 29), Is.EqualTo(1.0).Within(1e-15));
        Assert.That(s.LearningRate(123, 99), Is.EqualTo(0.04 / 1e4).Within(1e-15));
        // half-way through phase 1 (pct = 14.5/29 = 0.5): midpoint of the cosine = (0.04 + 1)/2
        Assert.That(s.LearningRate(0, 14) , Is.EqualTo(0.04 + (1 - 0.04) * (1 - Math.Cos(Math.PI * 14 / 29)) / 2).Within(1e-14));
        // phase 2 at step 64: pct = (64 − 29)/70 = 0.5 → (1 + 4e-6)/2
        Assert.That(s.LearningRate(0, 64), Is.EqualTo((1 + 0.04 / 1e4) / 2).Within(1e-14));
        var lin = new OneCycleLR(1.0, 100, cosine: false, threePhase: true);
        // three phases: 0..29 up, 29..58 down to initial, 58..99 down to min; linear
        Assert.That(lin.LearningRate(0, 58), Is.EqualTo(0.04).Within(1e-15));
        Assert.That(lin.LearningRate(0, 43), Is.EqualTo(1 - (1 - 0.04) * (43 - 29) / 29.0).Within(1e-14));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.LearningRate(0, 100));
    }

    /// <summary>torch's OneCycleLR.get_lr for two phases, cosine (its closed form, written out).</summary>
    private static double[] OneCycleReference(double maxLr, int total, double pct, int n)
    {
        double initial = maxLr / 25, min = initial / 1e4, e1 = pct * total - 1, e2 = total - 1;
        return Enumerable.Range(0, n).Select(t =>
        {
            double a, b, p;
            if (t <= e1) { a = initial; b = maxLr; p = t / e1; }
            else { a = maxLr; b = min; p = (t - e1) / (e2 - e1); }
            return b + (a - b) / 2 * (Math.Cos(Math.PI * p) + 1);
        }).ToArray();
    }

    /// <summary>Fit over 50 batches (one epoch, in order) with per-step scheduling vs the float64 reference.</summary>
    private static void FitMatchesReference(Func<ITrainer> create, RefOptimizer reference, LearningRateSchedule schedule, double[] lrs,
        double? clip = null, int accumulation = 1)
    {
        var t = create();
        double baseLr = t.LearningRate;
        var data = TestUtil.RegressionData(Steps * Batch * accumulation, 21);
        var net = new RefNet(t);
        reference.Init(net.P, t.Optimizer.WeightDecay);
        var history = Trainer.Fit(t, data, new FitOptions { Schedule = schedule, ClipGradNorm = clip, AccumulationSteps = accumulation });
        Assert.That(history.Steps, Is.EqualTo(Steps));
        int clipped = 0;
        var x = new float[Batch * 2]; var y = new float[Batch * 3];
        for (int step = 0; step < Steps; step++)
        {
            double[][]? sum = null;
            for (int m = 0; m < accumulation; m++)
            {
                int first = (step * accumulation + m) * Batch;
                Array.Copy(data.Features, first * 2, x, 0, x.Length);
                Array.Copy(data.Labels, first * 3, y, 0, y.Length);
                var (_, g) = net.LossAndGrads(x, y, Batch);
                if (sum is null) sum = g;
                else for (int i = 0; i < g.Length; i++) for (int j = 0; j < g[i].Length; j++) sum[i][j] += g[i][j];
            }
            var grads = sum!.Select(g => g.Select(v => v / accumulation).ToArray()).ToArray();
            if (clip is double maxNorm)
            {
                // clip_grad_norm_: total = ‖all grads‖₂; scale by max_norm/(total + 1e-6) when that is < 1
                double total = Math.Sqrt(grads.Sum(g => g.Sum(v => v * v)));
                double coef = maxNorm / (total + 1e-6);
                if (coef < 1) { clipped++; foreach (var g in grads) for (int j = 0; j < g.Length; j++) g[j] *= coef; }
            }
            reference.Step(net.P, grads, (float)lrs[step]);
        }
        if (clip is not null) Assert.That(clipped, Is.GreaterThan(10), "the test must actually clip");
        double err = TestUtil.RelativeError(t.Parameters.SelectMany(p => p.Value.Select(v => (double)v)), net.P.SelectMany(p => p));
        TestContext.Out.WriteLine($"{schedule.GetType().Name} + {t.Optimizer.Kind}: {err:E2} relative after {Steps} steps (base lr {baseLr})");
        Assert.That(err, Is.LessThanOrEqualTo(1e-6));
        Assert.That(t.LearningRate, Is.EqualTo((float)lrs[Steps - 1]), "the trainer's learning rate is the last scheduled one");
    }

    private static double[] Scaled(double[] lrs, double baseLr) => lrs.Select(v => v / 0.1 * baseLr).ToArray();

    [Test]
    public void Fit_with_StepLR_matches_the_reference() =>
        FitMatchesReference(() => AdamNet.CreateTrainer(Batch, seed: 1), new RefAdam(), new StepLR(10, 0.5) { Interval = ScheduleInterval.Step },
            Scaled(RefSchedules.Step(0.1, 10, 0.5, Steps), 0.01));

    [Test]
    public void Fit_with_ExponentialLR_matches_the_reference() =>
        FitMatchesReference(() => SgdNet.CreateTrainer(Batch, seed: 2), new RefSgd { Momentum = 0.9 }, new ExponentialLR(0.95) { Interval = ScheduleInterval.Step },
            Scaled(RefSchedules.Exponential(0.1, 0.95, Steps), 0.01));

    [Test]
    public void Fit_with_CosineAnnealingLR_matches_the_reference() =>
        FitMatchesReference(() => RmsPropNet.CreateTrainer(Batch, seed: 3), new RefRmsProp { Momentum = 0.5, Centered = true },
            new CosineAnnealingLR(20, 1e-4) { Interval = ScheduleInterval.Step },
            RefSchedules.Cosine(0.005, 20, 1e-4, Steps));

    [Test]
    public void Fit_with_LinearLR_warmup_matches_the_reference() =>
        FitMatchesReference(() => AdamWNet.CreateTrainer(Batch, seed: 4), new RefAdam { AmsGrad = true, Decoupled = true },
            new LinearLR(0.1, 1.0, 15) { Interval = ScheduleInterval.Step }, Scaled(RefSchedules.Linear(0.1, 0.1, 1.0, 15, Steps), 0.01));

    [Test]
    public void Fit_with_OneCycleLR_matches_the_reference() =>
        FitMatchesReference(() => AdamNet.CreateTrainer(Batch, seed: 5), new RefAdam(), new OneCycleLR(0.05, Steps),
            OneCycleReference(0.05, Steps, 0.3, Steps));

    [Test]
    public void Fit_with_gradient_clipping_matches_clip_grad_norm() =>
        FitMatchesReference(() => SgdNet.CreateTrainer(Batch, seed: 6), new RefSgd { Momentum = 0.9 }, new ExponentialLR(1.0) { Interval = ScheduleInterval.Step },
            Enumerable.Repeat(0.01, Steps).ToArray(), clip: 0.5);

    [Test]
    public void Fit_with_gradient_accumulation_averages_three_micro_batches() =>
        FitMatchesReference(() => AdamNet.CreateTrainer(Batch, seed: 7), new RefAdam(), new ExponentialLR(1.0) { Interval = ScheduleInterval.Step },
            Enumerable.Repeat(0.01, Steps).ToArray(), accumulation: 3);

    [Test]
    public void Fit_with_accumulation_and_clipping_together() =>
        FitMatchesReference(() => RmsPropDefaultNet.CreateTrainer(Batch, seed: 8), new RefRmsProp(), new StepLR(5, 0.7) { Interval = ScheduleInterval.Step },
            Scaled(RefSchedules.Step(0.1, 5, 0.7, Steps), 0.01), clip: 0.3, accumulation: 2);

    [Test]
    public void Epoch_interval_schedules_advance_once_per_epoch()
    {
        var t = SgdNet.CreateTrainer(Batch, seed: 9);
        var history = Trainer.Fit(t, TestUtil.RegressionData(10 * Batch, 1), new FitOptions { Epochs = 4, Schedule = new StepLR(2, 0.1) });
        Assert.That(history.Epochs.Select(e => e.LearningRate), Is.EqualTo(new[] { 0.01f, 0.01f, 0.001f, 0.001f }.Select(v => (double)v)));
    }

    [Test]
    public void ClipGradNorm_returns_the_total_norm_and_scales_only_when_above()
    {
        var t = SgdNet.CreateTrainer(2, seed: 1);
        var grads = t.Parameters.Select(p => p.Gradient!).ToArray();
        float[][] values = { new[] { 3f, 0f }, new[] { 0f }, new[] { 0f, 4f, 0f }, new[] { 0f, 0f, 12f } };   // ‖g‖ = 13
        for (int i = 0; i < 4; i++) values[i].CopyTo(grads[i], 0);
        Assert.That(Trainer.ClipGradNorm(t, 26), Is.EqualTo(13).Within(1e-12));
        Assert.That(grads[0][0], Is.EqualTo(3f), "below max_norm: untouched");
        Assert.That(Trainer.ClipGradNorm(t, 6.5), Is.EqualTo(13).Within(1e-12));
        Assert.That(grads[2][1], Is.EqualTo((float)(4 * 6.5 / (13 + 1e-6))));
        Assert.That(grads[3][2], Is.EqualTo((float)(12 * 6.5 / (13 + 1e-6))));
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Optimizers;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// Tier 2 of ARCHITECTURE.md §6: 50 optimizer steps against the float64 references of
/// torch.optim's equations in Reference.cs (the equations are stated there), within 1e-6 relative
/// (‖trainer − reference‖ / ‖reference‖ over all parameters, and over each state slot).
/// </summary>
public class OptimizerParityTests
{
    private const int Steps = 50;
    private const double Tolerance = 1e-6;

    /// <summary>Runs a generated trainer and the reference on the same random batches; returns (param error, state error).</summary>
    private static (double Params, double State) Run(ITrainer t, RefOptimizer reference, int batch = 4, ulong seed = 11)
    {
        var net = new RefNet(t);
        reference.Init(net.P, t.Optimizer.WeightDecay);
        // per-parameter groups configured on the trainer's optimizer apply to the reference too
        for (int i = 0; i < t.Parameters.Count; i++)
        {
            var s = t.Optimizer.SettingsFor(t.Parameters[i].Name);
            reference.LrScale[i] = s.LearningRateScale; reference.WeightDecay[i] = s.WeightDecay;
        }
        var rng = new Rng(seed);
        var inputs = new Tensor[2];
        for (int step = 0; step < Steps; step++)
        {
            inputs[0] = TestUtil.RandomTensor(rng, batch, 2);
            inputs[1] = TestUtil.RandomTensor(rng, batch, 3);
            float loss = t.Step(inputs);
            var (refLoss, grads) = net.LossAndGrads(inputs[0].Data, inputs[1].Data, batch);
            Assert.That(Math.Abs(loss - refLoss) / refLoss, Is.LessThan(1e-5), $"loss at step {step}");
            reference.Step(net.P, grads, t.LearningRate);
        }
        Assert.That(t.StepCount, Is.EqualTo(Steps));
        double pErr = TestUtil.RelativeError(t.Parameters.SelectMany(p => p.Value.Select(v => (double)v)), net.P.SelectMany(p => p));
        double sErr = 0;
        foreach (var slot in t.Optimizer.SlotNames)
        {
            var mine = t.OptimizerState.Where(s => s.Name.EndsWith("." + slot, StringComparison.Ordinal)).SelectMany(s => s.Value.Select(v => (double)v));
            var theirs = reference.State.SelectMany(d => d[slot]);
            sErr = Math.Max(sErr, TestUtil.RelativeError(mine, theirs));
        }
        TestContext.Out.WriteLine($"{t.Optimizer.Kind}: parameters {pErr:E2}, state {sErr:E2} relative after {Steps} steps");
        return (pErr, sErr);
    }

    private static void Check((double Params, double State) e)
    {
        Assert.That(e.Params, Is.LessThanOrEqualTo(Tolerance), "parameters");
        Assert.That(e.State, Is.LessThanOrEqualTo(Tolerance), "optimizer state");
    }

    [Test]
    public void Sgd_with_momentum_matches_torch() =>
        Check(Run(SgdNet.CreateTrainer(4, seed: 1), new RefSgd { Momentum = 0.9 }));

    [Test]
    public void Adam_with_L2_weight_decay_matches_torch() =>
        Check(Run(AdamNet.CreateTrainer(4, seed: 2), new RefAdam { Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8 }));

    [Test]
    public void Adam_amsgrad_matches_torch() =>
        Check(Run(AmsGradNet.CreateTrainer(4, seed: 3), new RefAdam { Beta1 = 0.8, Beta2 = 0.99, Eps = 1e-6, AmsGrad = true }));

    [Test]
    public void AdamW_amsgrad_with_decoupled_decay_matches_torch() =>
        Check(Run(AdamWNet.CreateTrainer(4, seed: 4), new RefAdam { AmsGrad = true, Decoupled = true }));

    [Test]
    public void AdamW_defaults_are_torchs_and_match()
    {
        var t = AdamWDefaultNet.CreateTrainer(4, seed: 5);
        var o = ((AdamW)t.Optimizer).Options;
        Assert.That((o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.AmsGrad), Is.EqualTo((1e-3, 0.9, 0.999, 1e-8, 0.01, false)));
        Assert.That(t.Optimizer.SlotNames, Is.EqualTo(new[] { "exp_avg", "exp_avg_sq" }));
        Check(Run(t, new RefAdam { Decoupled = true }));
    }

    [Test]
    public void Adam_attribute_defaults_are_torchs()
    {
        var o = ((Adam)new AdamAttribute().CreateOptimizer()).Options;
        Assert.That((o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.AmsGrad), Is.EqualTo((1e-3, 0.9, 0.999, 1e-8, 0.0, false)));
        var r = ((RmsProp)new RmsPropAttribute().CreateOptimizer()).Options;
        Assert.That((r.LearningRate, r.Alpha, r.Eps, r.WeightDecay, r.Momentum, r.Centered), Is.EqualTo((1e-2, 0.99, 1e-8, 0.0, 0.0, false)));
    }

    [Test]
    public void RmsProp_centered_with_momentum_and_weight_decay_matches_torch()
    {
        var t = RmsPropNet.CreateTrainer(4, seed: 6);
        Assert.That(t.Optimizer.SlotNames, Is.EqualTo(new[] { "square_avg", "momentum_buffer", "grad_avg" }));
        Check(Run(t, new RefRmsProp { Alpha = 0.99, Eps = 1e-8, Momentum = 0.5, Centered = true }));
    }

    [Test]
    public void RmsProp_defaults_match_torch()
    {
        var t = RmsPropDefaultNet.CreateTrainer(4, seed: 7);
        Assert.That(t.Optimizer.SlotNames, Is.EqualTo(new[] { "square_avg" }));
        Check(Run(t, new RefRmsProp()));
    }

    [Test]
    public void Parameter_groups_no_decay_on_biases_and_a_slower_backbone()
    {
        var t = AdamWNet.CreateTrainer(4, seed: 8);
        t.Optimizer.Configure("*.bias", weightDecay: 0).Configure("backend.linear_1.*", learningRateScale: 0.1);
        Assert.That(t.Optimizer.SettingsFor("backend.linear_1.bias"), Is.EqualTo(new ParameterSettings(0.1, 0)));
        Assert.That(t.Optimizer.SettingsFor("backend.linear_2.weight"), Is.EqualTo(new ParameterSettings(1, 0.1)));
        Check(Run(t, new RefAdam { AmsGrad = true, Decoupled = true }));
    }

    [Test]
    public void Parameter_groups_apply_to_sgd_and_rmsprop_too()
    {
        var s = SgdNet.CreateTrainer(4, seed: 9);
        s.Optimizer.Configure("backend.linear_2.*", learningRateScale: 3, weightDecay: 0.05);
        Check(Run(s, new RefSgd { Momentum = 0.9 }));
        var r = RmsPropNet.CreateTrainer(4, seed: 10);
        r.Optimizer.Configure("*.weight", weightDecay: 0).Configure("*.bias", learningRateScale: 0.5);
        Check(Run(r, new RefRmsProp { Momentum = 0.5, Centered = true }));
    }

    [Test]
    public void Group_pattern_that_matches_nothing_is_an_error()
    {
        var t = AdamNet.CreateTrainer(2);
        var e = Assert.Throws<ArgumentException>(() => t.Optimizer.Configure("backbone.*", learningRateScale: 0.1))!;
        Assert.That(e.Message, Does.Contain("backbone.*").And.Contain("backend.linear_1.weight"));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Optimizer.Configure("*", weightDecay: -1));
    }

    /// <summary>
    /// The optimizers alone on a fixed quadratic problem, L = ½Σ cᵢ(pᵢ − aᵢ)² so g = c ⊙ (p − a), with
    /// every torch option (nesterov, dampening, maximise-free variants) and parameter groups.
    /// </summary>
    [TestCaseSource(nameof(QuadraticCases))]
    public void Optimizer_alone_on_a_quadratic_matches_the_reference(string label, Optimizer optimizer, RefOptimizer reference, double lr)
    {
        var shapes = new[] { ("backbone.weight", new[] { 2, 3 }), ("backbone.bias", new[] { 3 }), ("head.weight", new[] { 4 }) };
        var rng = new Rng(5);
        var tensors = shapes.Select(s => new TrainerTensor(s.Item1, s.Item1.Replace('.', '_'), s.Item2, true,
            Enumerable.Range(0, ShapeUtil.Count(s.Item2)).Select(_ => (float)rng.NextGaussian()).ToArray(), new float[ShapeUtil.Count(s.Item2)])).ToList();
        var curvature = tensors.Select(t => t.Value.Select(_ => 0.2 + rng.NextDouble() * 2).ToArray()).ToArray();
        var target = tensors.Select(t => t.Value.Select(_ => rng.NextGaussian()).ToArray()).ToArray();
        optimizer.Configure("*.bias", weightDecay: 0).Configure("backbone.*", learningRateScale: 0.5);
        optimizer.Bind(tensors);
        var p = tensors.Select(t => t.Value.Select(v => (double)v).ToArray()).ToArray();
        reference.Init(p, optimizer.WeightDecay);
        for (int i = 0; i < tensors.Count; i++)
        {
            var s = optimizer.SettingsFor(tensors[i].Name);
            reference.LrScale[i] = s.LearningRateScale; reference.WeightDecay[i] = s.WeightDecay;
        }
        Assert.That(reference.WeightDecay[1], Is.EqualTo(0), "backbone.bias has no decay");
        Assert.That(reference.LrScale[0], Is.EqualTo(0.5));
        for (int step = 0; step < Steps; step++)
        {
            var g = new double[tensors.Count][];
            for (int i = 0; i < tensors.Count; i++)
            {
                g[i] = new double[p[i].Length];
                for (int j = 0; j < p[i].Length; j++)
                {
                    tensors[i].Gradient![j] = (float)(curvature[i][j] * (tensors[i].Value[j] - target[i][j]));
                    g[i][j] = curvature[i][j] * (p[i][j] - target[i][j]);
                }
            }
            optimizer.Step((float)lr, step);
            reference.Step(p, g, (float)lr);
        }
        double err = TestUtil.RelativeError(tensors.SelectMany(t => t.Value.Select(v => (double)v)), p.SelectMany(x => x));
        TestContext.Out.WriteLine($"{label}: {err:E2}");
        Assert.That(err, Is.LessThanOrEqualTo(Tolerance));
    }

    private static IEnumerable<TestCaseData> QuadraticCases()
    {
        yield return new TestCaseData("sgd nesterov wd", new Sgd(new SgdOptions(0.05, 0.9, 0, 0.01, true)), new RefSgd { Momentum = 0.9, Nesterov = true }, 0.05);
        yield return new TestCaseData("sgd dampening", new Sgd(new SgdOptions(0.05, 0.8, 0.3, 0.02)), new RefSgd { Momentum = 0.8, Dampening = 0.3 }, 0.05);
        yield return new TestCaseData("adam", new Adam(new AdamOptions(0.05, WeightDecay: 0.02)), new RefAdam(), 0.05);
        yield return new TestCaseData("adam amsgrad", new Adam(new AdamOptions(0.05, 0.85, 0.95, 1e-7, 0.02, true)), new RefAdam { Beta1 = 0.85, Beta2 = 0.95, Eps = 1e-7, AmsGrad = true }, 0.05);
        yield return new TestCaseData("adamw", new AdamW(new AdamOptions(0.05, WeightDecay: 0.1)), new RefAdam { Decoupled = true }, 0.05);
        yield return new TestCaseData("rmsprop", new RmsProp(new RmsPropOptions(0.01, WeightDecay: 0.05)), new RefRmsProp(), 0.01);
        yield return new TestCaseData("rmsprop centered momentum", new RmsProp(new RmsPropOptions(0.01, 0.9, 1e-6, 0.05, 0.7, true)), new RefRmsProp { Alpha = 0.9, Eps = 1e-6, Momentum = 0.7, Centered = true }, 0.01);
    }

    [Test]
    public void Invalid_hyper_parameters_are_rejected_as_torch_does()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptions(Beta1: 1.0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptions(Eps: -1).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsPropOptions(Alpha: -0.1).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsPropOptions(Momentum: -0.1).Validate());
    }
}

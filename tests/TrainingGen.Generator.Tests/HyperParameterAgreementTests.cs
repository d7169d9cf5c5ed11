using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// The build (TG4001) and the runtime (<c>Validate()</c>) accept exactly the same optimizer
/// hyper-parameters, and both follow torch.optim: each case states torch's verdict, checked here
/// against both sides (they once disagreed: the build rejected lr = 0 and momentum ≥ 1, which
/// torch and the runtime accept).
/// </summary>
public class HyperParameterAgreementTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string attribute, Func<OptimizerAttribute> runtime, bool torchAccepts) =>
            new TestCaseData(attribute, runtime, torchAccepts).SetArgDisplayNames(attribute, torchAccepts ? "valid" : "invalid");

        yield return Case("Sgd(LearningRate = 0)", () => new SgdAttribute { LearningRate = 0 }, true);
        yield return Case("Sgd(LearningRate = 0.1, Momentum = 1.5)", () => new SgdAttribute { LearningRate = 0.1, Momentum = 1.5 }, true);
        yield return Case("Sgd(LearningRate = 0.1, Dampening = 2)", () => new SgdAttribute { LearningRate = 0.1, Dampening = 2 }, true);
        yield return Case("Sgd(LearningRate = -0.1)", () => new SgdAttribute { LearningRate = -0.1 }, false);
        yield return Case("Sgd(LearningRate = double.PositiveInfinity)", () => new SgdAttribute { LearningRate = double.PositiveInfinity }, false);
        yield return Case("Sgd(LearningRate = 0.1, Momentum = -0.5)", () => new SgdAttribute { LearningRate = 0.1, Momentum = -0.5 }, false);
        yield return Case("Sgd(LearningRate = 0.1, WeightDecay = -1)", () => new SgdAttribute { LearningRate = 0.1, WeightDecay = -1 }, false);
        yield return Case("Sgd(LearningRate = 0.1, Nesterov = true)", () => new SgdAttribute { LearningRate = 0.1, Nesterov = true }, false);
        yield return Case("Sgd(LearningRate = 0.1, Momentum = 0.9, Dampening = 0.1, Nesterov = true)",
            () => new SgdAttribute { LearningRate = 0.1, Momentum = 0.9, Dampening = 0.1, Nesterov = true }, false);
        yield return Case("Sgd(LearningRate = 0.1, Momentum = 0.9, Nesterov = true)",
            () => new SgdAttribute { LearningRate = 0.1, Momentum = 0.9, Nesterov = true }, true);
        yield return Case("Adam(Beta1 = 0)", () => new AdamAttribute { Beta1 = 0 }, true);
        yield return Case("Adam(Beta1 = 1)", () => new AdamAttribute { Beta1 = 1 }, false);
        yield return Case("Adam(Beta2 = -0.1)", () => new AdamAttribute { Beta2 = -0.1 }, false);
        yield return Case("Adam(Eps = -1e-8)", () => new AdamAttribute { Eps = -1e-8 }, false);
        yield return Case("AdamW(WeightDecay = -0.01)", () => new AdamWAttribute { WeightDecay = -0.01 }, false);
        yield return Case("AdamW(WeightDecay = 0)", () => new AdamWAttribute { WeightDecay = 0 }, true);
        yield return Case("RmsProp(Alpha = 1.5, Momentum = 2)", () => new RmsPropAttribute { Alpha = 1.5, Momentum = 2 }, true);
        yield return Case("RmsProp(Alpha = -0.5)", () => new RmsPropAttribute { Alpha = -0.5 }, false);
        yield return Case("RmsProp(Momentum = -0.5)", () => new RmsPropAttribute { Momentum = -0.5 }, false);
    }

    [TestCaseSource(nameof(Cases))]
    public void Build_and_runtime_agree_with_torch(string attribute, Func<OptimizerAttribute> runtime, bool torchAccepts)
    {
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (Criteria.Mse(pred, y), pred);
            """, attributes: "TrainingModel, " + attribute));
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        bool buildAccepts = !run.AnalyzerDiagnostics.Any(d => d.Id == "TG4001");
        Assert.That(buildAccepts, Is.EqualTo(torchAccepts), "build (TG4001): " + run.Describe());

        bool runtimeAccepts = true;
        try { runtime().CreateOptimizer().Validate(); }
        catch (ArgumentException) { runtimeAccepts = false; }
        Assert.That(runtimeAccepts, Is.EqualTo(torchAccepts), "runtime Validate()");
    }
}

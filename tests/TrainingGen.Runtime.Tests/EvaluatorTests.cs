using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;
using static TrainingGen.Runtime.Tests.Mil;

namespace TrainingGen.Runtime.Tests;

[TestFixture]
public class EvaluatorTests
{
    private static MlModelSpec TwoFunctionModel()
    {
        var spec = new MlModelSpec { DefaultFunctionName = "main" };

        var main = new MilFunctionBuilder("main");
        var x = main.Input("x", MilDType.Float32, 2);
        main.Output(main.Mul(x, main.Scalar(2f, "two"), "doubled"));
        spec.Program.Functions.Add(main.Build());

        var forward = new MilFunctionBuilder("forward");
        var fx = forward.Input("x", MilDType.Float32, 2);
        var fy = forward.Input("y", MilDType.Float32, 2);
        var d = forward.Sub(fx, fy, "diff");
        var loss = forward.ReduceMean(forward.Mul(d, d, "sq"), new[] { 0 }, false, "loss");
        forward.Output(loss);
        forward.Output(d);
        spec.Program.Functions.Add(forward.Build());

        var fm = new FunctionSpec("main");
        fm.Inputs.Add(new FeatureSpec("x", MilDType.Float32, new long[] { 2 }));
        fm.Outputs.Add(new FeatureSpec("doubled", MilDType.Float32, new long[] { 2 }));
        spec.Functions.Add(fm);
        var ff = new FunctionSpec("forward");
        ff.Inputs.Add(new FeatureSpec("x", MilDType.Float32, new long[] { 2 }));
        ff.Inputs.Add(new FeatureSpec("y", MilDType.Float32, new long[] { 2 }));
        ff.Outputs.Add(new FeatureSpec("loss", MilDType.Float32, Array.Empty<long>()));
        ff.Outputs.Add(new FeatureSpec("diff", MilDType.Float32, new long[] { 2 }));
        spec.Functions.Add(ff);
        spec.UserDefined["com.traininggen.manifest"] = "{\"loss\":\"loss\"}";
        return spec;
    }

    [Test]
    public void ListsFunctionsDefaultAndMetadata()
    {
        using var ev = Evaluator.FromSpec(TwoFunctionModel());
        Assert.That(ev.Functions, Is.EqualTo(new[] { "main", "forward" }));
        Assert.That(ev.DefaultFunction, Is.EqualTo("main"));
        Assert.That(ev.Metadata["com.traininggen.manifest"], Is.EqualTo("{\"loss\":\"loss\"}"));
        var d = ev.Describe("forward");
        Assert.That(d.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "x", "y" }));
        Assert.That(d.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "loss", "diff" }));
    }

    [Test]
    public void RunsFunctionsByName()
    {
        using var ev = Evaluator.FromSpec(TwoFunctionModel());
        var main = ev.Run("main", new Dictionary<string, MilTensor> { ["x"] = F(S(2), 1.5f, -3) });
        Assert.That(main.Single().Key, Is.EqualTo("doubled"));
        Floats(main[0].Value, S(2), 3, -6);

        var fwd = ev.Run("forward", new Dictionary<string, MilTensor> { ["x"] = F(S(2), 1, 2), ["y"] = F(S(2), 0, 4) });
        Assert.That(fwd.Select(o => o.Key), Is.EqualTo(new[] { "loss", "diff" }));
        Floats(fwd[0].Value, S(), 2.5);     // mean(1², (-2)²)
        Floats(fwd[1].Value, S(2), 1, -2);
    }

    [Test]
    public void UnknownFunctionListsTheAvailableOnes()
    {
        using var ev = Evaluator.FromSpec(TwoFunctionModel());
        var ex = Assert.Throws<ArgumentException>(() => ev.Run("backward", new Dictionary<string, MilTensor>()));
        Assert.That(ex!.Message, Does.Contain("'backward'").And.Contain("main").And.Contain("forward"));
        Assert.Throws<ArgumentException>(() => ev.Describe("nope"));
    }

    [Test]
    public void DescribeDerivesFromTheProgramWhenUndescribed()
    {
        var spec = TwoFunctionModel();
        spec.Functions.Clear();
        spec.DefaultFunctionName = null;
        using var ev = Evaluator.FromSpec(spec);
        Assert.That(ev.Functions, Is.EqualTo(new[] { "main", "forward" }));
        Assert.That(ev.DefaultFunction, Is.EqualTo("main"));
        var d = ev.Describe("forward");
        Assert.That(d.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "x", "y" }));
        Assert.That(d.Outputs.Select(o => (o.Name, o.Shape.Length)), Is.EqualTo(new[] { ("loss", 0), ("diff", 1) }));
    }

    [Test]
    public void StatefulRunCreatesZeroStatesAndUpdatesThem()
    {
        var spec = new MlModelSpec();
        spec.Program.Functions.Add(InterpreterTestsState.Accumulator());
        using var ev = Evaluator.FromSpec(spec);
        Assert.That(ev.Functions, Is.EqualTo(new[] { "main" }));
        var states = new Dictionary<string, MilTensor>();
        ev.Run("main", new Dictionary<string, MilTensor> { ["x"] = H(S(2), 1, 2) }, states);
        var out2 = ev.Run("main", new Dictionary<string, MilTensor> { ["x"] = H(S(2), 3, 4) }, states);
        Floats(out2[0].Value, S(2), 4, 6);
        Floats(states["acc"], S(2), 4, 6);
        var zero = ev.CreateStates("main");
        Floats(zero["acc"], S(2), 0, 0);
        Assert.That(ev.Describe("main").States.Single().Name, Is.EqualTo("acc"));
    }

    [Test]
    public void DisposedEvaluatorRefusesWork()
    {
        var ev = Evaluator.FromSpec(TwoFunctionModel());
        ev.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ev.Run("main", new Dictionary<string, MilTensor>()));
    }
}

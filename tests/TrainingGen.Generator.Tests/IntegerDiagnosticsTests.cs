using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Tests.Harness;
using static TrainingGen.Tests.GeneratorDiagnosticsTests;

namespace TrainingGen.Tests;

/// <summary>
/// IntTensor inputs through the generator and analyzers: the happy path compiles with no
/// diagnostics; an integer value where a float is needed is TG0020, an integer output TG0021, a
/// float value for an IntTensor parameter TG0022 — each at the exact argument.
/// </summary>
public class IntegerDiagnosticsTests
{
    private const string IntLabels = "[Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch)] IntTensor y";
    private const string IntLoss = "[Loss] public static Tensor Ce(Tensor logits, IntTensor labels) => Ops.CrossEntropy(logits, labels, 0.1f);";

    private static string Message(Diagnostic d) => d.GetMessage(CultureInfo.InvariantCulture);

    [Test]
    public void IntTensor_labels_through_a_Loss_function_generate_a_trainer_that_compiles()
    {
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (Ce(pred, y), pred);
            """, parameters: IntLabels, members: IntLoss));
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        Assert.That(run.All.Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, run.Describe());
        Assert.That(run.OutputErrors, Is.Empty);
        var trainer = run.Sources.Single(s => s.HintName.EndsWith(".Trainer.g.cs", System.StringComparison.Ordinal)).Text;
        Assert.That(trainer, Does.Contain("public float Step(global::TrainingGen.Tensor x, global::TrainingGen.IntTensor y)"));
        Assert.That(trainer, Does.Contain("private void RunLoss(float[] x, int[] y)"));
        var package = run.Sources.Single(s => s.HintName.EndsWith(".Package.g.cs", System.StringComparison.Ordinal)).Text;
        Assert.That(package, Does.Contain("b.Input(\"y\", global::TrainingGen.CoreML.Mil.MilDType.Int32"));
        Assert.That(package, Does.Contain("DType = global::TrainingGen.ManifestTensor.Int32"));
    }

    [Test]
    public void IntTensor_in_arithmetic_is_TG0020_at_the_operand()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    var scaled = pred * [|y|];
                    return (Ops.CrossEntropy(scaled, y), pred);
            """, parameters: IntLabels));
        var d = AssertSingle(run, marked, "TG0020");
        Assert.That(Message(d), Does.StartWith("'y' is an integer tensor (IntTensor), but the operator '*' takes a float Tensor"));
    }

    [Test]
    public void IntTensor_passed_to_a_float_op_is_TG0020_at_the_argument()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x) + Ops.Relu([|y|]);
                    return (Ops.CrossEntropy(pred, y), pred);
            """, parameters: IntLabels));
        var d = AssertSingle(run, marked, "TG0020");
        Assert.That(Message(d), Does.StartWith("'y' is an integer tensor (IntTensor), but parameter 'a' of Ops.Relu takes a float Tensor"));
    }

    [Test]
    public void IntTensor_passed_to_a_models_float_Forward_is_TG0020_at_the_argument()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward([|y|]);
                    return (Ops.CrossEntropy(pred, y), pred);
            """, parameters: IntLabels));
        var d = AssertSingle(run, marked, "TG0020");
        Assert.That(Message(d), Does.Contain("but parameter 'x' of LinearModel.Forward takes a float Tensor"));
    }

    [Test]
    public void IntTensor_returned_after_the_loss_is_TG0021_at_the_element()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (Ops.CrossEntropy(pred, y), pred, [|y|]);
            """, parameters: IntLabels, returnType: "(Tensor Loss, Tensor Pred, IntTensor Labels)"));
        var d = AssertSingle(run, marked, "TG0021");
        Assert.That(Message(d), Does.StartWith("Output '").And.Contain("of training model 'ModelToExport' is an integer tensor (IntTensor)"));
        Assert.That(run.OutputErrors, Is.Empty, "the user's code compiles; only generation is skipped");
    }

    [Test]
    public void Float_tensor_for_an_IntTensor_parameter_is_TG0022_at_the_argument()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (Ce(pred, [|y|]), pred);
            """, parameters: "[Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch)] Tensor y", members: IntLoss));
        var d = AssertSingle(run, marked, "TG0022");
        Assert.That(Message(d), Does.StartWith("'y' is a float Tensor, but parameter 'labels' of 'ModelToExport.Ce' is an IntTensor"));
    }
}

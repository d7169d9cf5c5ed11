using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Tests.Harness;
using static TrainingGen.Tests.GeneratorDiagnosticsTests;

namespace TrainingGen.Tests;

/// <summary>
/// The ids added with the front-end analyzers (issue 5), through generator + every analyzer:
/// one id per unsupported construct family, invalid [Shape], duplicate parameter names,
/// never-gradient parameters, hyper-parameters checked on models that do not parse; and no
/// diagnostic reported twice in a build.
/// </summary>
public class FrontEndAnalyzerTests
{
    private const string Body = """
                var pred = Backend.Forward(x);
                return (Criteria.Mse(pred, y), pred);
        """;

    private static string Message(Diagnostic d) => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ TG1003-TG1008, TG1001

    [TestCase("TG1003", "[|while (false) { }|]", "A loop")]
    [TestCase("TG1003", "[|foreach (var t in new[] { x }) { }|]", "A loop")]
    [TestCase("TG1004", "[|switch (1) { default: break; }|]", "A 'switch' statement")]
    [TestCase("TG1006", "[|Tensor Twice(Tensor t) => t + t;|]", "A local function")]
    [TestCase("TG1008", "[|Holder.Last = x;|]", "An expression statement")]
    [TestCase("TG1001", "[|try { } finally { }|]", "A 'try' statement")]
    public void Unsupported_statement_has_its_family_id_at_the_statement(string id, string statement, string construct)
    {
        var (run, marked) = RunMarked(TestSources.Training("        " + statement + "\n" + Body,
            members: "    public static class Holder { public static Tensor? Last; }"));
        var d = AssertSingle(run, marked, id);
        Assert.That(Message(d), Does.StartWith(construct + " is not supported in a Forward method"));
    }

    [TestCase("TG1004", "[|1 > 0 ? x : x|]", "A conditional expression")]
    [TestCase("TG1005", "[|from t in new[] { x } select t|].First()", null)]
    [TestCase("TG1007", "[|await System.Threading.Tasks.Task.FromResult(x)|]", "'await'")]
    [TestCase("TG1006", "((Func<Tensor>)[|(() => x)|])()", null)]
    public void Unsupported_expression_has_its_family_id_at_the_expression(string id, string expression, string? construct)
    {
        var (run, marked) = RunMarked(TestSources.Training($$"""
                    var input = {{expression}};
                    var pred = Backend.Forward(input);
                    return (Criteria.Mse(pred, y), pred);
            """).Replace("using System;", "using System;\nusing System.Linq;"));
        var reported = run.AnalyzerDiagnostics.Where(d => d.Id.StartsWith("TG", StringComparison.Ordinal)).ToList();
        // A LINQ call or a cast around the construct may be what the parser meets first: it is still this family or TG1002/TG1001.
        if (construct is null)
        {
            Assert.That(reported.Select(d => d.Id), Has.Some.Matches<string>(i => i == id || i == "TG1002" || i == "TG1001"), run.Describe());
            Assert.That(run.GeneratorDiagnostics, Is.Empty);
            return;
        }
        var d = AssertSingle(run, marked, id);
        Assert.That(Message(d), Does.StartWith(construct + " is not supported in a Forward method"));
    }

    [Test]
    public void Element_assignment_is_TG1008()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    var buffer = new Tensor[1];
                    [|buffer[0] = pred;|]
                    return (Criteria.Mse(pred, y), pred);
            """));
        // 'new Tensor[1]' is met first (TG1001); the element write is TG1008 on its own.
        Assert.That(run.AnalyzerDiagnostics.Select(d => d.Id), Is.EqualTo(new[] { "TG1001" }), run.Describe());
        var (run2, marked2) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    [|Holder.Buffer[0] = pred;|]
                    return (Criteria.Mse(pred, y), pred);
            """, members: "    public static class Holder { public static Tensor[] Buffer = new Tensor[1]; }"));
        var d = AssertSingle(run2, marked2, "TG1008");
        Assert.That(Message(d), Does.StartWith("An expression statement is not supported"));
        _ = (run, marked);
    }

    // ------------------------------------------------------------------ TG0007

    [TestCase("[Shape(Dim.Batch, [|0|])] Tensor x", "dimension 1 is 0")]
    [TestCase("[Shape(Dim.Batch, [|-5|])] Tensor x", "dimension 1 is -5")]
    [TestCase("[[|Shape|]] Tensor x", "it lists no dimensions")]
    [TestCase("[[|Shape(Dim.Batch, Dim.Batch, 2)|]] Tensor x", "Dim.Batch appears more than once")]
    public void Invalid_shape_is_TG0007_at_the_argument(string parameter, string reason)
    {
        var (run, marked) = RunMarked(TestSources.Training(Body, parameters: parameter + ", [Shape(Dim.Batch, 3)] Tensor y"));
        var d = AssertSingle(run, marked, "TG0007");
        Assert.That(Message(d), Is.EqualTo($"[Shape] on input 'x' is not usable: {reason}; list constant dimensions, each positive or Dim.Batch"));
    }

    [Test]
    public void Missing_shape_stays_TG0004()
    {
        var (run, marked) = RunMarked(TestSources.Training(Body, parameters: "[|Tensor x|], [Shape(Dim.Batch, 3)] Tensor y"));
        AssertSingle(run, marked, "TG0004");
    }

    // ------------------------------------------------------------------ TG0008

    [Test]
    public void Properties_with_the_same_state_dict_name_are_TG0008_at_the_later_one()
    {
        var marked = Marked.Parse("""
            using TrainingGen;
            namespace Demo;
            [Model]
            public partial class LinearModel
            {
                public Linear Fc1 { get; } = new(2, 3);
                public Linear [|FC1|] { get; } = new(3, 3);
                public Tensor Forward(Tensor x) => FC1.Forward(Fc1.Forward(x));
            }
            public static class Criteria
            {
                [Loss] public static Tensor Mse(Tensor pred, Tensor label) { var d = pred - label; return Ops.Mean(d * d); }
            }
            """);
        var run = GeneratorHarness.Run(TestSources.Training(Body), marked.Source);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var d = AssertSingle(run, marked, "TG0008");
        Assert.That(Message(d), Does.StartWith("Property 'FC1' of 'LinearModel' gives parameter name 'fc_1_weight', which property 'Fc1' already uses"));
    }

    [Test]
    public void A_parameter_named_like_a_layer_weight_is_TG0008()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x) + BackendLinear1Weight.Forward();
                    return (Criteria.Mse(pred, y), pred);
            """, members: "    public Parameter [|BackendLinear1Weight|] { get; } = new(3);"));
        // backend.linear_1.weight (package name backend_linear_1_weight) vs a Parameter backend_linear_1_weight.
        var d = AssertSingle(run, marked, "TG0008");
        Assert.That(Message(d), Does.Contain("'backend_linear_1_weight'"));
    }

    // ------------------------------------------------------------------ TG2001

    [Test]
    public void Labels_computed_from_a_trainable_layer_are_TG2001_at_the_labels_argument()
    {
        var body = """
                var pred = Backend.Forward(x);
                var logits = Scores.Forward(x);
                return (Ops.CrossEntropy(logits, [|Ops.Sum(pred, 1)|]), pred);
        """;
        var (run, marked) = RunMarked(TestSources.Training(body, members: "    public Linear Scores { get; } = new(2, 4);"));
        var d = AssertSingle(run, marked, "TG2001");
        Assert.That(Message(d), Does.StartWith("The labels of 'cross_entropy' depend on a trainable parameter"));
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
    }

    // ------------------------------------------------------------------ TG2002

    [Test]
    public void Layer_never_used_by_forward_is_TG2002_warning_and_the_model_still_generates()
    {
        var (run, marked) = RunMarked(TestSources.Training(Body, members: "    public Linear [|Spare|] { get; } = new(2, 2);"));
        var warnings = run.AnalyzerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.That(warnings.Select(d => d.Id), Is.EqualTo(new[] { "TG2002" }), run.Describe());
        var d = warnings[0];
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(d.Location.SourceSpan, Is.EqualTo(marked.Span));
        Assert.That(Message(d), Is.EqualTo("'ModelToExport.Spare' of training model 'ModelToExport' is trainable but never receives a gradient: Forward never uses it; use it on the path to the loss, remove it, or mark it [Frozen]"));
        Assert.That(run.Sources, Has.Count.EqualTo(2), "a warning does not stop generation");
        Assert.That(run.GeneratorDiagnostics, Is.Empty);
    }

    [Test]
    public void Layer_whose_output_does_not_reach_the_loss_is_TG2002()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    var extra = Side.Forward(x);
                    return (Criteria.Mse(pred, y), extra);
            """, members: "    public Linear [|Side|] { get; } = new(2, 4);"));
        var d = run.AnalyzerDiagnostics.Single(d => d.Severity >= DiagnosticSeverity.Warning);
        Assert.That(d.Id, Is.EqualTo("TG2002"));
        Assert.That(d.Location.SourceSpan, Is.EqualTo(marked.Span));
        Assert.That(Message(d), Does.Contain("its output does not reach the loss"));
    }

    [Test]
    public void Frozen_or_used_layers_have_no_TG2002()
    {
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, TestSources.Training("""
                    var pred = Backend.Forward(x);
                    var extra = Side.Forward(x);
                    return (Criteria.Mse(pred, y), extra);
            """, members: "    [Frozen] public Linear Side { get; } = new(2, 4);\n    [Frozen] public Linear Spare { get; } = new(2, 2);"));
        Assert.That(run.All.Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, run.Describe());
        var frozen = GeneratorHarness.Run(TestSources.FrozenHead);
        Assert.That(frozen.All.Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, frozen.Describe());
    }

    // ------------------------------------------------------------------ TG4001 from the analyzer

    [Test]
    public void Invalid_hyper_parameter_is_reported_even_when_forward_does_not_parse()
    {
        var marked = Marked.Parse(TestSources.Training("""
                    while (false) { }
                    var pred = Backend.Forward(x);
                    return (Criteria.Mse(pred, y), pred);
            """, attributes: "TrainingModel, Adam(LearningRate = 0.01, [|Beta1 = 1.0|])"));
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, marked.Source);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var tg4001 = run.AnalyzerDiagnostics.Single(d => d.Id == "TG4001");
        Assert.That(tg4001.Location.SourceSpan, Is.EqualTo(marked.Span));
        Assert.That(Message(tg4001), Is.EqualTo("Beta1 = 1 is invalid: beta1 must be at least 0 and below 1; change the value"));
        Assert.That(run.AnalyzerDiagnostics.Select(d => d.Id).OrderBy(i => i, StringComparer.Ordinal), Is.EqualTo(new[] { "TG1003", "TG4001" }));
    }

    // ------------------------------------------------------------------ one report per problem

    private static IEnumerable<TestCaseData> BrokenPrograms()
    {
        yield return new TestCaseData(TestSources.Training(Body, attributes: "TrainingModel, Sgd(LearningRate = -1, Momentum = 2)")).SetName("bad hyper-parameters");
        yield return new TestCaseData(TestSources.Training(Body, attributes: "TrainingModel")).SetName("no optimizer");
        yield return new TestCaseData(TestSources.Training("        if (true) { }\n" + Body)).SetName("if");
        yield return new TestCaseData(TestSources.Training(Body, parameters: "Tensor x, [Shape(Dim.Batch, 0)] Tensor y")).SetName("shapes");
        yield return new TestCaseData(TestSources.Training(Body, parameters: "[Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 4)] Tensor y")).SetName("shape mismatch in the loss");
        yield return new TestCaseData(TestSources.Training(Body, members: "    public Linear Spare { get; } = new(2, 2);")).SetName("unused layer");
        yield return new TestCaseData(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (pred, Criteria.Mse(pred, y));
            """)).SetName("prediction first");
    }

    [TestCaseSource(nameof(BrokenPrograms))]
    public void No_diagnostic_is_reported_twice_and_the_generator_reports_none_of_the_analyzers_ids(string training)
    {
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, training);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var tg = run.GeneratorDiagnostics.Concat(run.AnalyzerDiagnostics).Where(d => d.Id.StartsWith("TG", StringComparison.Ordinal)).ToList();
        Assert.That(tg, Is.Not.Empty, run.Describe());
        var keys = tg.Select(d => (d.Id, d.Location.SourceTree?.FilePath, d.Location.SourceSpan)).ToList();
        Assert.That(keys, Is.Unique, run.Describe());
        Assert.That(run.GeneratorDiagnostics.Where(d => d.Id != "TG9999"), Is.Empty, run.Describe());
    }
}

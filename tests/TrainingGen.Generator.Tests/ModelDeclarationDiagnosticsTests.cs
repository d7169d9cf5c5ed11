using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Tests.Harness;
using static TrainingGen.Tests.GeneratorDiagnosticsTests;

namespace TrainingGen.Tests;

/// <summary>
/// Issue 10: programs that used to build into generated code that does not compile (CS0246,
/// CS1525), to be skipped silently, to fail only at export, or to get a diagnostic pointing the
/// wrong way. Each now gets one TG diagnostic at the right span, and nothing else.
/// </summary>
public class ModelDeclarationDiagnosticsTests
{
    private const string Body = TestSources.SeedBody;

    /// <summary>A call of the generated CreateTrainer, as user code makes it.</summary>
    private const string Caller = """
        namespace Demo;
        public static class Program
        {
            public static float Train(TrainingGen.Tensor x, TrainingGen.Tensor y)
            {
                var trainer = ModelToExport.CreateTrainer(batchSize: 2, seed: 1);
                float loss = trainer.Step(x, y);
                trainer.ExportPackage("model.mlpackage");
                return loss;
            }
        }
        """;

    private static string Message(Diagnostic d) => d.GetMessage(CultureInfo.InvariantCulture);

    /// <summary>Every error of the build (compiler and analyzers): exactly the one expected TG id.</summary>
    private static void AssertOnlyError(HarnessRun run, string id)
    {
        var errors = run.OutputErrors.Concat(run.AnalyzerDiagnostics).Concat(run.GeneratorDiagnostics)
            .Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.That(errors.Select(e => e.Id), Is.EqualTo(new[] { id }), run.Describe());
    }

    /// <summary>
    /// Runs <paramref name="first"/> (File0.cs), the marked source (File1.cs) and <paramref name="rest"/>;
    /// asserts <paramref name="id"/> at the marked span is the build's only error and returns it.
    /// </summary>
    private static Diagnostic ExpectOnly(string id, string first, string markup, params string[] rest)
    {
        var marked = Marked.Parse(markup);
        var run = GeneratorHarness.Run(new[] { first, marked.Source }.Concat(rest).ToArray());
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var d = AssertSingle(run, marked, id);
        AssertOnlyError(run, id);
        return d;
    }

    // ------------------------------------------------------------------ TG0009 generic models

    [Test]
    public void Generic_training_model_is_TG0009_at_its_type_parameters_and_nothing_else()
    {
        var d = ExpectOnly("TG0009", TestSources.SeedBackbone, TestSources.InDemo(TestSources.TrainingClass("public partial class Case[|<T>|]") +
            "\npublic static class Program { public static object Make() => Case<float>.CreateTrainer(2); }"));
        Assert.That(Message(d), Is.EqualTo("'Case' is marked [TrainingModel] but is generic, and TrainingGen sizes a trainer for one concrete model; remove the type parameters <T>"));
    }

    [Test]
    public void Generic_submodel_is_TG0009_at_its_type_parameters_not_an_unreadable_parameter()
    {
        var marked = Marked.Parse("""
            using TrainingGen;
            namespace Demo;
            [Model]
            public partial class Net[|<T>|]
            {
                public Linear Layer { get; } = new(2, 3);
                public Tensor Forward(Tensor x) => Layer.Forward(x);
            }
            """);
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, marked.Source, TestSources.Training("""
                    var pred = Generic.Forward(x);
                    return (Criteria.Mse(pred, y), pred);
            """, members: "    public Net<float> Generic { get; } = new();"));
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var d = AssertSingle(run, marked, "TG0009");
        Assert.That(Message(d), Does.StartWith("'Net' is marked [Model] but is generic"));
        AssertOnlyError(run, "TG0009");
    }

    // ------------------------------------------------------------------ TG0010 nesting

    [Test]
    public void Training_model_in_a_non_partial_class_is_TG0010_at_that_class()
    {
        var marked = Marked.Parse(Nested("public static class [|Experiments|]"));
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, marked.Source);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var d = AssertSingle(run, marked, "TG0010");
        Assert.That(Message(d), Is.EqualTo("Training model 'Case' is nested in 'Experiments', which is not partial, so TrainingGen cannot add its trainer; add the 'partial' modifier to 'Experiments'"));
        Assert.That(run.Sources, Is.Empty, "a stub could not be nested in a non-partial class either");
    }

    [Test]
    public void Training_model_in_a_partial_class_generates()
    {
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, Nested("public static partial class Experiments"));
        Assert.That(run.All.Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, run.Describe());
        Assert.That(run.Sources.Select(s => s.HintName), Does.Contain("Demo.Experiments.Case.Trainer.g.cs"));
    }

    /// <summary>The training model 'Case' nested in a class declared by <paramref name="outer"/>.</summary>
    internal static string Nested(string outer) =>
        TestSources.InDemo(outer + "\n{\n" + TestSources.TrainingClass("public partial class Case") + "\n}");

    // ------------------------------------------------------------------ TG0011 / TG0012 nothing to train

    [Test]
    public void Training_model_without_parameters_is_TG0011_at_the_class_name()
    {
        var d = ExpectOnly("TG0011", TestSources.SeedBackbone, TestSources.InDemo(TestSources.TrainingClass("public partial class [|ModelToExport|]", members: "",
            body: "        var pred = Ops.Relu(x);\n        return (Criteria.Mse(pred, x), pred);")), Caller);
        Assert.That(Message(d), Does.StartWith("Training model 'ModelToExport' has no parameters, so there is nothing to train; add a layer property"));
    }

    [Test]
    public void Training_model_with_every_layer_frozen_is_TG0012_at_the_class_name()
    {
        var d = ExpectOnly("TG0012", TestSources.SeedBackbone, TestSources.InDemo(TestSources.TrainingClass("public partial class [|ModelToExport|]",
            members: "    [Frozen] public LinearModel Backend { get; } = new();\n    [Frozen] public Linear Head { get; } = new(3, 3);",
            body: "        var pred = Head.Forward(Backend.Forward(x));\n        return (Criteria.Mse(pred, y), pred);")), Caller);
        Assert.That(Message(d), Is.EqualTo("Every parameter of training model 'ModelToExport' is [Frozen], so the optimizer has nothing to update; remove [Frozen] from at least one layer"));
    }

    // ------------------------------------------------------------------ TG0013 only a loss

    [Test]
    public void Forward_returning_only_the_loss_is_TG0013_at_the_return_type()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return Criteria.Mse(pred, y);
            """, returnType: "[|Tensor|]"));
        var d = AssertSingle(run, marked, "TG0013");
        Assert.That(Message(d), Is.EqualTo("Training model 'ModelToExport' returns only its loss, so the package's 'main' function would have no outputs; return the predictions after the loss, e.g. (loss, pred)"));
    }

    // ------------------------------------------------------------------ the CreateTrainer stub

    [Test]
    public void A_model_with_an_error_gets_a_throwing_CreateTrainer_so_callers_compile()
    {
        var marked = Marked.Parse(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    [|if (pred is null) throw new ArgumentNullException(nameof(x));|]
                    return (Criteria.Mse(pred, y), pred);
            """));
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, marked.Source, Caller);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        AssertSingle(run, marked, "TG1004");
        AssertOnlyError(run, "TG1004"); // no CS0117 "'ModelToExport' does not contain a definition for 'CreateTrainer'"
        var (hint, text) = run.Sources.Single();
        Assert.That(hint, Is.EqualTo("Demo.ModelToExport.TrainerStub.g.cs"));
        Assert.That(text, Does.Contain("public static dynamic CreateTrainer(int batchSize, int seed = 0)"));

        // It has the generated trainer's parameters, and it throws with a message naming the model.
        var real = GeneratorHarness.Run(TestSources.Seed).Output.GetTypeByMetadataName("Demo.ModelToExport")!.GetMembers("CreateTrainer").OfType<IMethodSymbol>().Single();
        var stub = run.Output.GetTypeByMetadataName("Demo.ModelToExport")!.GetMembers("CreateTrainer").OfType<IMethodSymbol>().Single();
        Assert.That(stub.Parameters.Select(p => (p.Name, p.Type.ToDisplayString(), p.HasExplicitDefaultValue)),
            Is.EqualTo(real.Parameters.Select(p => (p.Name, p.Type.ToDisplayString(), p.HasExplicitDefaultValue))));
        Assert.That(text, Does.Contain("throw new global::System.InvalidOperationException(\"The trainer of 'ModelToExport' was not generated because the model has TrainingGen errors; fix them and rebuild.\")"));
    }

    [Test]
    public void Without_the_stub_the_caller_would_see_CS0117()
    {
        // The caller alone (no model at all) really fails with CS0103/CS0117: the check above can fail.
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, Caller.Replace("ModelToExport.CreateTrainer", "LinearModel.CreateTrainer"));
        Assert.That(run.OutputErrors.Select(e => e.Id), Does.Contain("CS0117"));
    }

    // ------------------------------------------------------------------ TG0014 / TG0015 misdeclared layers

    [Test]
    public void Layer_field_is_TG0014_at_the_field_not_TG1002_at_the_call()
    {
        var d = ExpectOnly("TG0014", TestSources.SeedBackbone, TestSources.InDemo(TestSources.TrainingClass("public partial class ModelToExport",
            members: "    public LinearModel Backend { get; } = new();\n    public Linear [|L2|] = new(3, 3);",
            body: "        var pred = L2.Forward(Backend.Forward(x));\n        return (Criteria.Mse(pred, y), pred);")), Caller);
        Assert.That(Message(d), Is.EqualTo("'L2' is a field, but layers and sub-models must be get-only properties; declare it as 'public Linear L2 { get; } = new(3, 3);'"));
    }

    [Test]
    public void Submodel_class_without_Model_is_TG0015_at_the_call_with_the_class_as_additional_location()
    {
        var marked = Marked.Parse(TestSources.Training("""
                    var pred = [|Plain.Forward|](x);
                    return (Criteria.Mse(pred, y), pred);
            """, members: """
                public Backbone Plain { get; } = new();
            }

            public partial class Backbone
            {
                public Linear Layer { get; } = new(2, 3);
                public Tensor Forward(Tensor x) => Layer.Forward(x);
            }

            public partial class ModelToExport
            {
            """));
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, marked.Source);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var d = AssertSingle(run, marked, "TG0015");
        Assert.That(Message(d), Is.EqualTo("'Backbone' has a Forward method but is not marked [Model], so 'Plain.Forward' cannot be inlined; add [Model] to 'Backbone'"));
        var also = d.AdditionalLocations.Single();
        Assert.That(also.SourceTree!.GetText().ToString(also.SourceSpan), Is.EqualTo("Backbone"));
    }

    [TestCase("private")]
    [TestCase("protected")]
    public void Private_layer_of_a_submodel_is_TG0016_not_CS0122_in_generated_code(string accessibility)
    {
        // Found by the generator fuzz: deleting 'public' before a sub-model's layer.
        var d = ExpectOnly("TG0016", TestSources.Training(Body), TestSources.SeedBackbone.Replace("public Linear Linear2", accessibility + " Linear [|Linear2|]"));
        Assert.That(Message(d), Is.EqualTo($"Layer property 'Linear2' of sub-model 'LinearModel' is {accessibility}, so the generated trainer cannot read its parameters; make it public or internal"));
    }

    [Test]
    public void Private_layers_of_the_training_model_itself_are_fine()
    {
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, TestSources.Training("""
                    var pred = Head.Forward(Backend.Forward(x));
                    return (Criteria.Mse(pred, y), pred);
            """, members: "    private Linear Head { get; } = new(3, 3);").Replace("public LinearModel Backend", "private LinearModel Backend"));
        Assert.That(run.All.Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, run.Describe());
        Assert.That(run.Sources.Select(s => s.HintName), Does.Contain("Demo.ModelToExport.Trainer.g.cs"));
    }

    // ------------------------------------------------------------------ TG3001 one sentence per rule

    [Test]
    public void Cross_entropy_label_shape_is_one_sentence_naming_both_shapes()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return ([|Ops.CrossEntropy(pred, y)|], pred);
            """, parameters: "[Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 1)] Tensor y"));
        var d = AssertSingle(run, marked, "TG3001");
        Assert.That(Message(d), Is.EqualTo("cross_entropy needs logits [batch, classes] and labels [batch], but got [batch, 3] and [batch, 1]; change the arguments (or the [Shape] of the inputs they come from) to satisfy it"));
    }

    [Test]
    public void Dropout_probability_out_of_range_is_one_sentence()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = [|Ops.Dropout(Backend.Forward(x), 1.5f)|];
                    return (Criteria.Mse(pred, y), pred);
            """));
        var d = AssertSingle(run, marked, "TG3001");
        Assert.That(Message(d), Is.EqualTo("dropout probability 1.5 must be in [0, 1); change the arguments (or the [Shape] of the inputs they come from) to satisfy it"));
    }

    // ------------------------------------------------------------------ constants in Forward

    [TestCase("const float Scale = 0.5f;", "Scale", 0.5f)]
    [TestCase("static readonly float Scale = 0.25f;", "Scale", 0.25f)]
    [TestCase("static readonly float Scale = 1f / MathF.Sqrt(8f);", "Scale", 0.35355338f)]
    [TestCase("", "MathF.Sqrt(8f)", 2.828427f)]
    [TestCase("", "1f / 3", 0.33333334f)]
    [TestCase("", "(float)Math.PI / 2", 1.5707964f)]
    [TestCase("const double Half = 0.5;", "(float)Math.Exp(Half)", 1.6487212f)]
    public void Constants_fold_in_Forward(string member, string expression, float expected)
    {
        var run = GeneratorHarness.Run(TestSources.SeedBackbone, TestSources.Training($$"""
                    var pred = Backend.Forward(x) * ({{expression}});
                    return (Criteria.Mse(pred, y), pred);
            """, members: member.Length == 0 ? "" : "    " + member));
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        Assert.That(run.All.Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, run.Describe());
        // The reference value is what C# computes at run time; the trainer holds it as a float literal.
        string trainer = run.Sources.Single(s => s.HintName.EndsWith(".Trainer.g.cs", StringComparison.Ordinal)).Text;
        Assert.That(trainer, Does.Contain(((double)expected).ToString("R", CultureInfo.InvariantCulture) + "f"));
    }

    [Test]
    public void Folded_constants_match_the_runtime_values()
    {
        // The TestCase values above are the C# runtime's own results.
        Assert.That(1f / MathF.Sqrt(8f), Is.EqualTo(0.35355338f));
        Assert.That(MathF.Sqrt(8f), Is.EqualTo(2.828427f));
        Assert.That(1f / 3, Is.EqualTo(0.33333334f));
        Assert.That((float)Math.PI / 2, Is.EqualTo(1.5707964f));
        Assert.That((float)Math.Exp(0.5), Is.EqualTo(1.6487212f));
    }

    [Test]
    public void A_non_constant_static_field_is_still_rejected()
    {
        var (run, marked) = RunMarked(TestSources.Training("""
                    var pred = Backend.Forward(x) * [|Scale|];
                    return (Criteria.Mse(pred, y), pred);
            """, members: "    static float Scale = 0.5f;"));
        AssertSingle(run, marked, "TG1001");
    }
}

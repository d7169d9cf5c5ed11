using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using NUnit.Framework;
using TrainingGen.Analyzers;
using TrainingGen.CodeFixes;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// Every code fix (TrainingGen.CodeFixes) through CSharpCodeFixTest + DefaultVerifier: the
/// diagnostic at its exact span before, the exact fixed text after, and no diagnostic left.
/// </summary>
public class CodeFixTests
{
    /// <summary>The seed training model's Forward body, shared by the tests whose fix lies elsewhere.</summary>
    private const string SeedBody = """
                    var pred = Backend.Forward(x);
                    return (Criteria.Mse(pred, y), pred);
            """;

    private static async Task Verify<TAnalyzer, TFix>(string[] sources, string[] fixedSources, params DiagnosticResult[] remaining)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(TrainingGen.Tensor).Assembly.Location));
        foreach (var s in sources) test.TestState.Sources.Add(s);
        foreach (var s in fixedSources) test.FixedState.Sources.Add(s);
        test.FixedState.ExpectedDiagnostics.AddRange(remaining);
        await test.RunAsync();
    }

    // ------------------------------------------------------------------ TG0002 make partial

    [Test]
    public Task TG0002_make_partial_after_the_other_modifiers() => Verify<TrainingModelAnalyzer, MakePartialCodeFixer>(
        new[] { """
            using TrainingGen;
            namespace Demo;
            [Model]
            public sealed class {|TG0002:Backbone|}
            {
                public Linear Layer { get; } = new(2, 1);
                public Tensor Forward(Tensor x) => Layer.Forward(x);
            }
            """ },
        new[] { """
            using TrainingGen;
            namespace Demo;
            [Model]
            public sealed partial class Backbone
            {
                public Linear Layer { get; } = new(2, 1);
                public Tensor Forward(Tensor x) => Layer.Forward(x);
            }
            """ });

    [Test]
    public Task TG0002_make_partial_without_modifiers_keeps_the_comment() => Verify<TrainingModelAnalyzer, MakePartialCodeFixer>(
        new[] { """
            using TrainingGen;
            namespace Demo;
            [Model]
            // the backbone
            class {|TG0002:Backbone|}
            {
                public Linear Layer { get; } = new(2, 1);
                public Tensor Forward(Tensor x) => Layer.Forward(x);
            }
            """ },
        new[] { """
            using TrainingGen;
            namespace Demo;
            [Model]
            // the backbone
            partial class Backbone
            {
                public Linear Layer { get; } = new(2, 1);
                public Tensor Forward(Tensor x) => Layer.Forward(x);
            }
            """ });

    // ------------------------------------------------------------------ TG0001 move the loss first

    [Test]
    public Task TG0001_swaps_the_loss_into_first_place_and_the_named_tuple_type() => Verify<TrainingModelAnalyzer, MoveLossFirstCodeFixer>(
        new[] { TestSources.SeedBackbone, TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return ({|TG0001:pred|}, Criteria.Mse(pred, y));
            """, returnType: "(Tensor Pred, Tensor Loss)") },
        new[] { TestSources.SeedBackbone, TestSources.Training(SeedBody, returnType: "(Tensor Loss, Tensor Pred)") });

    [Test]
    public Task TG0001_finds_the_loss_in_a_later_element_of_an_expression_body() => Verify<TrainingModelAnalyzer, MoveLossFirstCodeFixer>(
        new[] { TestSources.SeedBackbone, """
            using TrainingGen;
            namespace Demo;
            [TrainingModel, Sgd(LearningRate = 0.001)]
            public partial class ModelToExport
            {
                public LinearModel Backend { get; } = new();
                public (Tensor Pred, Tensor Twice, Tensor Loss) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y) =>
                    ({|TG0001:Backend.Forward(x)|}, Backend.Forward(x) * 2f, 0.5f * Criteria.Mse(Backend.Forward(x), y));
            }
            """ },
        new[] { TestSources.SeedBackbone, """
            using TrainingGen;
            namespace Demo;
            [TrainingModel, Sgd(LearningRate = 0.001)]
            public partial class ModelToExport
            {
                public LinearModel Backend { get; } = new();
                public (Tensor Loss, Tensor Twice, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y) =>
                    (0.5f * Criteria.Mse(Backend.Forward(x), y), Backend.Forward(x) * 2f, Backend.Forward(x));
            }
            """ });

    // ------------------------------------------------------------------ TG0004 add [Shape]

    [Test]
    public Task TG0004_infers_the_feature_size_through_the_backbone_to_its_first_linear() => Verify<ModelFrontEndAnalyzer, AddShapeCodeFixer>(
        new[] { TestSources.SeedBackbone, TestSources.Training(SeedBody, parameters: "{|TG0004:Tensor x|}, [Shape(Dim.Batch, 3)] Tensor y") },
        new[] { TestSources.SeedBackbone, TestSources.Training(SeedBody, parameters: "[Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y") });

    [Test]
    public Task TG0004_without_a_direct_linear_inserts_a_todo() => Verify<ModelFrontEndAnalyzer, AddShapeCodeFixer>(
        new[] { TestSources.SeedBackbone, TestSources.Training(SeedBody, parameters: "[Shape(Dim.Batch, 2)] Tensor x, {|TG0004:Tensor y|}") },
        new[] { TestSources.SeedBackbone, TestSources.Training(SeedBody, parameters: "[Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, /* TODO: feature size */ 1)] Tensor y") });

    // ------------------------------------------------------------------ TG2002 mark [Frozen]

    [Test]
    public Task TG2002_marks_the_unused_layer_frozen() => Verify<ModelFrontEndAnalyzer, MarkFrozenCodeFixer>(
        new[] { TestSources.SeedBackbone, TestSources.Training(SeedBody, members: "    public Linear {|TG2002:Spare|} { get; } = new(2, 2);") },
        new[] { TestSources.SeedBackbone, TestSources.Training(SeedBody, members: "    [Frozen] public Linear Spare { get; } = new(2, 2);") });

    [Test]
    public Task TG2002_marks_a_layer_off_the_loss_path_frozen_before_its_attributes() => Verify<ModelFrontEndAnalyzer, MarkFrozenCodeFixer>(
        new[] { TestSources.SeedBackbone, TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (Criteria.Mse(pred, y), Side.Forward(x));
            """, members: "    [System.ComponentModel.Description(\"side\")]\n    public Linear {|TG2002:Side|} { get; } = new(2, 4);") },
        new[] { TestSources.SeedBackbone, TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (Criteria.Mse(pred, y), Side.Forward(x));
            """, members: "    [Frozen] [System.ComponentModel.Description(\"side\")]\n    public Linear Side { get; } = new(2, 4);") });

    // ------------------------------------------------------------------ TG0010 make the containing class partial

    [Test]
    public Task TG0010_makes_the_containing_class_partial() => Verify<TrainingModelAnalyzer, MakePartialCodeFixer>(
        new[] { TestSources.SeedBackbone, ModelDeclarationDiagnosticsTests.Nested("public static class {|TG0010:Experiments|}") },
        new[] { TestSources.SeedBackbone, ModelDeclarationDiagnosticsTests.Nested("public static partial class Experiments") });

    // ------------------------------------------------------------------ TG0014 layer field to property

    [Test]
    public Task TG0014_turns_the_layer_field_into_a_get_only_property() => Verify<TrainingModelAnalyzer, LayerPropertyCodeFixer>(
        new[] { """
            using TrainingGen;
            namespace Demo;
            [Model]
            public partial class Net
            {
                // the head
                [System.ComponentModel.Description("head")]
                public readonly Linear {|TG0014:L2|} = new(3, 3);
                public Tensor Forward(Tensor x) => L2.Forward(x);
            }
            """ },
        new[] { """
            using TrainingGen;
            namespace Demo;
            [Model]
            public partial class Net
            {
                // the head
                [System.ComponentModel.Description("head")] public Linear L2 { get; } = new(3, 3);
                public Tensor Forward(Tensor x) => L2.Forward(x);
            }
            """ });

    // ------------------------------------------------------------------ TG0015 add [Model]

    [Test]
    public async Task TG0015_adds_Model_and_partial_to_the_class_in_its_own_file()
    {
        var test = new CSharpCodeFixTest<ModelFrontEndAnalyzer, AddModelAttributeCodeFixer, DefaultVerifier>
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(TrainingGen.Tensor).Assembly.Location));
        const string Body = """
                    var pred = {|#0:Plain.Forward|}(x) + Backend.Forward(x);
                    return (Criteria.Mse(pred, y), pred);
            """;
        test.TestState.Sources.Add(TestSources.SeedBackbone);
        test.TestState.Sources.Add(TestSources.Training(Body, members: "    public Backbone Plain { get; } = new();"));
        test.TestState.Sources.Add(Backbone("public class {|#1:Backbone|}"));
        test.TestState.ExpectedDiagnostics.Add(new DiagnosticResult("TG0015", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1)
            .WithArguments("Backbone", "Plain.Forward"));
        test.FixedState.Sources.Add(TestSources.SeedBackbone);
        test.FixedState.Sources.Add(TestSources.Training(Body.Replace("{|#0:Plain.Forward|}", "Plain.Forward"), members: "    public Backbone Plain { get; } = new();"));
        test.FixedState.Sources.Add(Backbone("[Model] public partial class Backbone"));
        await test.RunAsync();
    }

    private static string Backbone(string declaration) => $$"""
        using TrainingGen;
        namespace Demo;
        {{declaration}}
        {
            public Linear Layer { get; } = new(2, 3);
            public Tensor Forward(Tensor x) => Layer.Forward(x);
        }
        """;
}

using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using NUnit.Framework;
using TrainingGen.Analyzers;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>TG0001 and TG0002 from <see cref="TrainingModelAnalyzer"/>, with exact spans ({|ID:span|} markup).</summary>
public class AnalyzerTests
{
    private static Task Verify(string source, params DiagnosticResult[] expected) => Verify(new[] { source }, expected);

    private static async Task Verify(string[] sources, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TrainingModelAnalyzer, DefaultVerifier>
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(TrainingGen.Tensor).Assembly.Location));
        foreach (var s in sources) test.TestState.Sources.Add(s);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    private static string Model(string body, string returnType = "(Tensor Loss, Tensor Pred)", string members = "") =>
        TestSources.Training(body, returnType: returnType, members: members);

    // ------------------------------------------------------------------ TG0001

    [Test]
    public Task TG0001_when_the_seed_model_returns_prediction_first() => Verify(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    return ({|TG0001:pred|}, Criteria.Mse(pred, y));
            """, returnType: "(Tensor Pred, Tensor Loss)"),
    });

    [Test]
    public Task TG0001_message_names_the_model_and_the_offending_output() => Verify(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    return (pred, Criteria.Mse(pred, y));
            """, returnType: "(Tensor Pred, Tensor Loss)"),
    },
    // File1.cs line 14: "        return (pred, ..." — 'pred' starts at column 17.
    new DiagnosticResult("TG0001", DiagnosticSeverity.Error)
        .WithSpan("/0/Test1.cs", 14, 17, 14, 21)
        .WithArguments("ModelToExport", "pred"));

    [Test]
    public Task TG0001_for_an_expression_bodied_forward() => Verify(new[]
    {
        TestSources.SeedBackbone,
        """
        using TrainingGen;
        namespace Demo;
        [TrainingModel, Sgd(LearningRate = 0.001)]
        public partial class ModelToExport
        {
            public LinearModel Backend { get; } = new();
            public (Tensor Pred, Tensor Loss) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y) =>
                ({|TG0001:Backend.Forward(x)|}, Criteria.Mse(Backend.Forward(x), y));
        }
        """,
    });

    [Test]
    public Task TG0001_for_a_local_that_is_not_a_loss() => Verify(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    var diff = pred - y;
                    return ({|TG0001:diff|}, pred);
            """),
    });

    [Test]
    public Task TG0001_for_a_non_tuple_return_of_a_prediction() => Verify(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    return {|TG0001:pred|};
            """, returnType: "Tensor"),
    });

    [Test]
    public Task TG0001_is_a_real_source_location_so_pragma_suppresses_it() => Verify(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
            #pragma warning disable TG0001
                    return (pred, Criteria.Mse(pred, y));
            #pragma warning restore TG0001
            """, returnType: "(Tensor Pred, Tensor Loss)"),
    });

    [Test]
    public Task No_diagnostic_for_the_correct_seed_model() => Verify(TestSources.Seed);

    [Test]
    public Task No_diagnostic_for_a_loss_stored_in_a_local_first() => Verify(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    var loss = Criteria.Mse(pred, y);
                    return (loss, pred);
            """),
    });

    [Test]
    public Task No_diagnostic_for_a_scaled_loss() => Verify(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    return (0.5f * Criteria.Mse(pred, y), pred);
            """),
    });

    [Test]
    public Task No_diagnostic_for_the_builtin_mse_loss() => Verify(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    return (Ops.MseLoss(pred, y), pred);
            """),
    });

    // ------------------------------------------------------------------ TG0002

    [Test]
    public Task TG0002_for_a_model_class_that_is_not_partial() => Verify("""
        using TrainingGen;
        namespace Demo;
        [Model]
        public class {|TG0002:Backbone|}
        {
            public Linear Layer { get; } = new(2, 1);
            public Tensor Forward(Tensor x) => Layer.Forward(x);
        }
        """);

    [Test]
    public Task TG0002_for_a_training_model_that_is_not_partial_names_the_attribute() => Verify(new[]
    {
        TestSources.SeedBackbone,
        """
        using TrainingGen;
        namespace Demo;
        [TrainingModel, Sgd(LearningRate = 0.001)]
        public class ModelToExport
        {
            public LinearModel Backend { get; } = new();
            public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y) =>
                (Criteria.Mse(Backend.Forward(x), y), Backend.Forward(x));
        }
        """,
    },
    new DiagnosticResult("TG0002", DiagnosticSeverity.Error)
        .WithSpan("/0/Test1.cs", 4, 14, 4, 27)
        .WithArguments("ModelToExport", "TrainingModel"));

    [Test]
    public Task No_TG0002_for_a_partial_model_or_an_unattributed_class() => Verify("""
        using TrainingGen;
        namespace Demo;
        [Model]
        public partial class Backbone
        {
            public Linear Layer { get; } = new(2, 1);
            public Tensor Forward(Tensor x) => Layer.Forward(x);
        }
        public class Plain { }
        """);
    // ------------------------------------------------------------------ the dedicated analyzers (DefaultVerifier, exact spans)

    private static async Task VerifyWith<TAnalyzer>(string[] sources, params DiagnosticResult[] expected)
        where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { ReferenceAssemblies = new ReferenceAssemblies("net10.0") };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(TrainingGen.Tensor).Assembly.Location));
        foreach (var s in sources) test.TestState.Sources.Add(s);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    [Test]
    public Task TG0008_at_the_later_property_with_both_names() => VerifyWith<DuplicateParameterNameAnalyzer>(new[] { """
        using TrainingGen;
        namespace Demo;
        [Model]
        public partial class Net
        {
            public Linear Fc1 { get; } = new(2, 3);
            public Linear {|#0:FC1|} { get; } = new(3, 3);
            public Tensor Forward(Tensor x) => FC1.Forward(Fc1.Forward(x));
        }
        """ },
        new DiagnosticResult("TG0008", DiagnosticSeverity.Error).WithLocation(0).WithArguments("FC1", "Net", "fc_1_weight", "Fc1"));

    [Test]
    public Task TG0008_not_for_distinct_names_or_plain_properties() => VerifyWith<DuplicateParameterNameAnalyzer>(new[] { """
        using TrainingGen;
        namespace Demo;
        [Model]
        public partial class Net
        {
            public Linear Fc1 { get; } = new(2, 3);
            public Linear Fc2 { get; } = new(3, 3);
            public int FC1 { get; } = 1;
            public Tensor Forward(Tensor x) => Fc2.Forward(Fc1.Forward(x));
        }
        """ });

    [Test]
    public Task TG4001_at_each_invalid_named_argument_even_on_a_non_partial_class() => VerifyWith<OptimizerHyperParameterAnalyzer>(new[] { """
        using TrainingGen;
        namespace Demo;
        [TrainingModel, Adam({|#0:LearningRate = -0.5|}, Beta1 = 0.5, {|#1:Beta2 = 1.5|})]
        public class Broken { }
        """ },
        new DiagnosticResult("TG4001", DiagnosticSeverity.Error).WithLocation(0).WithArguments("LearningRate", "-0.5", "the learning rate must be finite and at least 0"),
        new DiagnosticResult("TG4001", DiagnosticSeverity.Error).WithLocation(1).WithArguments("Beta2", "1.5", "beta2 must be at least 0 and below 1"));

    [Test]
    public Task Front_end_ids_from_the_analyzer_at_exact_spans() => VerifyWith<ModelFrontEndAnalyzer>(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    {|TG1003:while (false) { }|}
                    return (Criteria.Mse(pred, y), pred);
            """),
    });

    [Test]
    public Task TG2002_warning_from_the_analyzer() => VerifyWith<ModelFrontEndAnalyzer>(new[]
    {
        TestSources.SeedBackbone,
        Model("""
                    var pred = Backend.Forward(x);
                    return (Criteria.Mse(pred, y), pred);
            """, members: "    public Linear {|TG2002:Spare|} { get; } = new(2, 2);"),
    });
}

using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using NUnit.Framework;
using TrainingGen.Analyzers;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// [StateDictName]: the generator names parameters after it (state_dict, trainer, package), and the
/// analyzers report an unusable name (TG0017), a name that meets another (TG0018) and an attribute
/// that names nothing (TG0019), each at the attribute's argument.
/// </summary>
public class StateDictNameTests
{
    private static async Task Verify<TAnalyzer>(string source, params DiagnosticResult[] expected)
        where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { ReferenceAssemblies = new ReferenceAssemblies("net10.0") };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(TrainingGen.Tensor).Assembly.Location));
        test.TestState.Sources.Add(source);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    private const string Backbone = """
        using TrainingGen;
        namespace Demo;
        [Model]
        public partial class LinearModel
        {
            [StateDictName("fc1")] public Linear Fc1 { get; } = new(2, 3);
            [StateDictName("0")] public Linear First { get; } = new(3, 3);
            public Linear Fc2 { get; } = new(3, 3);
            public Tensor Forward(Tensor x) => Fc2.Forward(First.Forward(Fc1.Forward(x)));
        }
        public static class Criteria
        {
            [Loss] public static Tensor Mse(Tensor pred, Tensor label) { var d = pred - label; return Ops.Mean(d * d); }
        }
        """;

    [Test]
    public void The_generator_names_parameters_after_the_attribute_in_the_trainer_and_the_package()
    {
        var run = GeneratorHarness.Run(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (Criteria.Mse(pred, y), pred);
            """), Backbone);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        Assert.That(run.AnalyzerDiagnostics.Where(d => d.Id.StartsWith("TG")), Is.Empty);
        string trainer = string.Concat(run.RunResult.GeneratedTrees.Select(t => t.ToString()));
        // state_dict name, package name: a nested Sequential-style "0" segment is fine below the top level.
        Assert.That(trainer, Does.Contain("TrainerTensor(\"backend.fc1.weight\", \"backend_fc1_weight\"")
            .And.Contain("TrainerTensor(\"backend.0.bias\", \"backend_0_bias\"")
            .And.Contain("TrainerTensor(\"backend.fc_2.weight\", \"backend_fc_2_weight\""));
    }

    [Test]
    public Task TG0017_at_the_argument_for_each_kind_of_bad_name() => Verify<StateDictNameAnalyzer>("""
        using TrainingGen;
        namespace Demo;
        [Model]
        public partial class Net
        {
            [StateDictName({|#0:"fc 1"|})] public Linear A { get; } = new(2, 3);
            [StateDictName({|#1:"fc..1"|})] public Linear B { get; } = new(3, 3);
            [StateDictName({|#2:""|})] public Linear C { get; } = new(3, 3);
            [StateDictName("features.0")] public Linear D { get; } = new(3, 3);
            public Tensor Forward(Tensor x) => D.Forward(C.Forward(B.Forward(A.Forward(x))));
        }
        [TrainingModel, Sgd(LearningRate = 0.1)]
        public partial class Top
        {
            [StateDictName({|#3:"1net"|})] public Net Body { get; } = new();
            public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
            {
                var pred = Body.Forward(x);
                return (Ops.MseLoss(pred, y), pred);
            }
        }
        """,
        new DiagnosticResult("TG0017", DiagnosticSeverity.Error).WithLocation(0).WithArguments("A", "\"fc 1\"", "' ' is not an ASCII letter, digit, '_' or '.'"),
        new DiagnosticResult("TG0017", DiagnosticSeverity.Error).WithLocation(1).WithArguments("B", "\"fc..1\"", "it has an empty segment (two dots, or a dot at an end)"),
        new DiagnosticResult("TG0017", DiagnosticSeverity.Error).WithLocation(2).WithArguments("C", "\"\"", "it is empty"),
        new DiagnosticResult("TG0017", DiagnosticSeverity.Error).WithLocation(3).WithArguments("Body", "\"1net\"", "a training model's own property must give a name that starts with a letter or '_'"));

    [Test]
    public Task TG0018_at_the_attribute_that_made_the_names_meet() => Verify<DuplicateParameterNameAnalyzer>("""
        using TrainingGen;
        namespace Demo;
        [Model]
        public partial class LeNet
        {
            [StateDictName("fc1")] public Linear Fc1 { get; } = new(2, 3);
            [StateDictName({|#0:"fc1"|})] public Linear Fc2 { get; } = new(3, 3);
            public Linear Fc3 { get; } = new(3, 3);
            [StateDictName({|#1:"fc_3"|})] public Linear Last { get; } = new(3, 3);
            public Tensor Forward(Tensor x) => Last.Forward(Fc3.Forward(Fc2.Forward(Fc1.Forward(x))));
        }
        """,
        new DiagnosticResult("TG0018", DiagnosticSeverity.Error).WithLocation(0).WithArguments("Fc2", "LeNet", "fc1_weight", "Fc1"),
        new DiagnosticResult("TG0018", DiagnosticSeverity.Error).WithLocation(1).WithArguments("Last", "LeNet", "fc_3_weight", "Fc3"));

    [Test]
    public Task TG0019_where_the_attribute_names_nothing() => Verify<StateDictNameAnalyzer>("""
        using TrainingGen;
        namespace Demo;
        [Model]
        public partial class Head
        {
            [StateDictName({|#0:"scale"|})] public float Scale { get; } = 2f;
            [StateDictName("fc")] public Linear Fc { get; } = new(4, 2);
            public Tensor Forward(Tensor x) => Fc.Forward(x) * Scale;
        }
        public class NotAModel
        {
            [StateDictName({|#1:"fc"|})] public Linear Fc { get; } = new(4, 2);
        }
        """,
        new DiagnosticResult("TG0019", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("Scale", "its type 'float' is neither a layer nor a [Model]"),
        new DiagnosticResult("TG0019", DiagnosticSeverity.Warning).WithLocation(1).WithArguments("Fc", "'NotAModel' is not a [Model] or [TrainingModel] class"));

    [Test]
    public void With_an_invalid_name_the_generator_skips_the_model_without_failing()
    {
        var run = GeneratorHarness.Run(TestSources.Training("""
                    var pred = Backend.Forward(x);
                    return (Criteria.Mse(pred, y), pred);
            """), Backbone.Replace("\"fc1\"", "\"fc-1\""));
        Assert.That(run.DriverDiagnostics.Where(d => d.Id is "CS8784" or "CS8785"), Is.Empty);
        Assert.That(run.AnalyzerDiagnostics.Select(d => d.Id), Does.Contain("TG0017"));
        Assert.That(run.RunResult.GeneratedTrees.Any(t => t.ToString().Contains("TrainerTensor(")), Is.False, "no trainer with a half-valid name");
    }
}

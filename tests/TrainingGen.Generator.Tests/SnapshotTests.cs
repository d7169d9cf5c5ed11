using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// The generated files of the seed model, a LeNet CNN, the frozen-backbone head, the transformer and the BatchNorm CNN, compared exactly with approved copies in
/// Snapshots/*.verified.cs (hand-rolled: Verify is not served here). Set
/// TRAININGGEN_UPDATE_SNAPSHOTS=1 to rewrite them after an intended change, then review the diff.
/// </summary>
public class SnapshotTests
{
    /// <summary>The LeNet of the cnn benchmark, as source text (kept here so the snapshot only moves with the generator).</summary>
    private const string Cnn = """
        using TrainingGen;

        namespace Demo.Vision;

        [Model]
        public partial class LeNet
        {
            public Conv2d Conv1 { get; } = new(1, 6, 5);
            public Conv2d Conv2 { get; } = new(6, 16, 5);
            public Linear Fc1 { get; } = new(256, 120);
            public Linear Fc2 { get; } = new(120, 84);
            public Linear Fc3 { get; } = new(84, 10);

            public Tensor Forward(Tensor x)
            {
                var h = Ops.MaxPool2d(Ops.Relu(Conv1.Forward(x)), 2);
                h = Ops.MaxPool2d(Ops.Relu(Conv2.Forward(h)), 2);
                h = Ops.Relu(Fc1.Forward(Ops.Flatten(h)));
                h = Ops.Relu(Fc2.Forward(h));
                return Fc3.Forward(h);
            }
        }

        [TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
        public partial class Cnn
        {
            public LeNet Net { get; } = new();

            public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 1, 28, 28)] Tensor x, [Shape(Dim.Batch)] Tensor y)
            {
                var logits = Net.Forward(x);
                return (Ops.CrossEntropy(logits, y), logits);
            }
        }
        """;

    /// <summary>The head benchmark: a frozen backbone under a trainable classifier.</summary>
    private const string FrozenHead = """
        using TrainingGen;

        namespace Demo.Transfer;

        [TrainingModel, Sgd(LearningRate = 0.01)]
        public partial class Head
        {
            [Frozen] public Linear Backbone { get; } = new(512, 512);
            public Linear Classifier { get; } = new(512, 10);

            public (Tensor Loss, Tensor Logits) Forward([Shape(Dim.Batch, 512)] Tensor x, [Shape(Dim.Batch)] Tensor y)
            {
                var logits = Classifier.Forward(Ops.Relu(Backbone.Forward(x)));
                return (Ops.CrossEntropy(logits, y), logits);
            }
        }
        """;

    private static System.Collections.Generic.IEnumerable<TestCaseData> Programs()
    {
        yield return new TestCaseData("seed", TestSources.Seed);
        yield return new TestCaseData("cnn", Cnn);
        yield return new TestCaseData("head", FrozenHead);
    }

    [TestCaseSource(nameof(Programs))]
    public void Generated_files_match_the_approved_snapshots(string name, string source)
    {
        var run = GeneratorHarness.Run(source);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        // Generator and analyzer diagnostics only: whether the output compiles is checked elsewhere
        // (GeneratorDiagnosticsTests, BenchmarkModelTests); this test pins the generated text.
        Assert.That(run.GeneratorDiagnostics.Concat(run.AnalyzerDiagnostics).Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, run.Describe());
        Assert.That(run.Sources, Has.Count.EqualTo(2));
        foreach (var (hint, text) in run.Sources.OrderBy(s => s.HintName, StringComparer.Ordinal))
            Snapshot.Verify($"{name}.{hint.Replace(".g.cs", "", StringComparison.Ordinal)}", text);
    }

    /// <summary>Test models kept as files in Models/: the transformer encoder and the BatchNorm CNN.</summary>
    [TestCase("transformer", "TransformerModel.cs")]
    [TestCase("bn_cnn", "BatchNormModel.cs")]
    public void Generated_files_of_model_files_match_the_approved_snapshots(string name, string file) =>
        Generated_files_match_the_approved_snapshots(name, File.ReadAllText(Path.Combine(Snapshot.TestsDirectory(), "Models", file)));

    [Test]
    public void First_difference_names_the_line_and_both_texts()
    {
        string message = Snapshot.FirstDifference("a\nb\nc\n", "a\nB\nc\n")!;
        Assert.That(message, Does.Contain("line 2").And.Contain("expected: b").And.Contain("actual:   B"));
        Assert.That(Snapshot.FirstDifference("a\n", "a\n"), Is.Null);
        Assert.That(Snapshot.FirstDifference("a\n", "a\nmore\n"), Does.Contain("line 2"));
    }
}

/// <summary>Approved-file comparison for generated sources.</summary>
internal static class Snapshot
{
    public const string UpdateVariable = "TRAININGGEN_UPDATE_SNAPSHOTS";

    /// <summary>tests/TrainingGen.Generator.Tests in the source tree.</summary>
    public static string TestsDirectory()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TrainingGen.sln")))
                return Path.Combine(dir.FullName, "tests", "TrainingGen.Generator.Tests");
        throw new InvalidOperationException("TrainingGen.sln not found above " + TestContext.CurrentContext.TestDirectory);
    }

    private static string Directory() => Path.Combine(TestsDirectory(), "Snapshots");

    public static void Verify(string name, string actual)
    {
        actual = Normalize(actual);
        string path = Path.Combine(Directory(), name + ".verified.cs");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            TestContext.Out.WriteLine($"updated {path}");
            return;
        }
        if (!File.Exists(path))
            Assert.Fail($"No approved snapshot {path}; run the tests with {UpdateVariable}=1 to create it, then review it.");
        string? difference = FirstDifference(Normalize(File.ReadAllText(path)), actual);
        if (difference is not null)
            Assert.Fail($"{name} differs from {path}: {difference}\n(run with {UpdateVariable}=1 to accept the new output)");
    }

    /// <summary>Null when equal; else the first differing line (1-based) with both texts.</summary>
    public static string? FirstDifference(string expected, string actual)
    {
        if (expected == actual) return null;
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string? x = i < e.Length ? e[i] : null, y = i < a.Length ? a[i] : null;
            if (x != y)
                return $"first difference at line {i + 1}\n  expected: {x ?? "<end of file>"}\n  actual:   {y ?? "<end of file>"}";
        }
        return "the texts differ";
    }

    /// <summary>Line endings unified, and the generator's version (stamped in GeneratedCode) as a placeholder, so a version bump moves no snapshot.</summary>
    private static string Normalize(string s) =>
        s.Replace("\r\n", "\n").Replace($"\"TrainingGen.Generator\", \"{TrainingGen.Generator.Emit.EmitHelpers.Version}\"", "\"TrainingGen.Generator\", \"<ASSEMBLY_VERSION>\"");
}

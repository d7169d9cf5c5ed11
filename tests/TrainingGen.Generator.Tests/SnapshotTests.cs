using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// The generated files of the seed model, a LeNet CNN, the frozen-backbone head, the transformer, the BatchNorm CNN and the int32 token tagger, compared exactly with approved copies in
/// Snapshots/*.verified.cs (hand-rolled: Verify is not served here). Set
/// TRAININGGEN_UPDATE_SNAPSHOTS=1 to rewrite them after an intended change, then review the diff.
/// </summary>
public class SnapshotTests
{
    // The cnn and head benchmark models are written once, in tests/Models/BenchmarkModels.cs
    // (compiled for the benchmarks and the whole-model tests, and embedded here as text); the
    // snapshots take their classes from it, in namespaces of their own.
    private static string Cnn => BenchmarkModelsSource.Program("Demo.Vision", "LeNet", "Cnn");

    private static string FrozenHead => BenchmarkModelsSource.Program("Demo.Transfer", "Head");

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

    /// <summary>Test models kept as files in Models/: the transformer encoder, the BatchNorm CNN and the IntTensor token tagger.</summary>
    [TestCase("transformer", "TransformerModel.cs")]
    [TestCase("bn_cnn", "BatchNormModel.cs")]
    [TestCase("int_tokens", "IntegerModels.cs")]
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

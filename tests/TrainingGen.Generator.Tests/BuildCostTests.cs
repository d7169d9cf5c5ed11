using System;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using NUnit.Framework;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// Build-time cost of the generator: a project of 50 training models (each with its own
/// backbone, in its own file) goes through the driver, then the output compilation is emitted.
/// Prints the generator's share of (generator + compile) and the analyzers' time, and fails if
/// the generator ever dominates the build.
/// </summary>
[Category("BuildCost")]
public class BuildCostTests
{
    private const int Models = 50;

    private static string ModelSource(int i)
    {
        int inF = 4 + i % 7, hidden = 8 + i % 5 * 4, outF = 1 + i % 3;
        string act = (i % 3) switch { 0 => "Relu", 1 => "Tanh", _ => "Sigmoid" };
        return $$"""
            using TrainingGen;

            namespace Project.Models{{i}};

            [Model]
            public partial class Net{{i}}
            {
                public Linear Input { get; } = new({{inF}}, {{hidden}});
                public Linear Hidden { get; } = new({{hidden}}, {{hidden}});
                public Linear Head { get; } = new({{hidden}}, {{outF}});

                public Tensor Forward(Tensor x)
                {
                    var h = Ops.{{act}}(Input.Forward(x));
                    h = Ops.{{act}}(Hidden.Forward(h));
                    return Head.Forward(h);
                }
            }

            [TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
            public partial class Trainer{{i}}
            {
                public Net{{i}} Net { get; } = new();

                public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, {{inF}})] Tensor x, [Shape(Dim.Batch, {{outF}})] Tensor y)
                {
                    var pred = Net.Forward(x);
                    return (Ops.MseLoss(pred, y), pred);
                }
            }
            """;
    }

    [Test]
    public void Generator_share_of_compiling_50_models()
    {
        // Warm up the JIT for the generator, the analyzers and the compiler's emit path.
        var warm = GeneratorHarness.Run(ModelSource(0));
        using (var ms = new MemoryStream()) warm.Output.Emit(ms);

        var input = GeneratorHarness.Empty.AddSyntaxTrees(Enumerable.Range(0, Models).Select(i => GeneratorHarness.Parse(ModelSource(i), $"/src/Model{i}.cs")));

        var sw = Stopwatch.StartNew();
        var driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(input, out var output, out var driverDiagnostics);
        var generator = sw.Elapsed;
        var timing = driver.GetTimingInfo();

        sw.Restart();
        EmitResult(output, out var errors);
        var compile = sw.Elapsed;

        sw.Restart();
        var analyzerDiagnostics = input.WithAnalyzers(GeneratorHarness.Analyzers).GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult();
        var analyzers = sw.Elapsed;

        int sources = driver.GetRunResult().GeneratedTrees.Length;
        double share = generator.TotalMilliseconds / (generator.TotalMilliseconds + compile.TotalMilliseconds);
        TestContext.Out.WriteLine(
            $"{Models} models, {sources} generated files: generator {generator.TotalMilliseconds:F0} ms " +
            $"(driver timing {timing.ElapsedTime.TotalMilliseconds:F0} ms), compile+emit {compile.TotalMilliseconds:F0} ms, " +
            $"generator share {share:P1}; analyzers {analyzers.TotalMilliseconds:F0} ms " +
            $"({analyzers.TotalMilliseconds / (generator.TotalMilliseconds + compile.TotalMilliseconds):P0} of generator+compile)");

        Assert.That(driverDiagnostics, Is.Empty, string.Join("\n", driverDiagnostics));
        Assert.That(errors, Is.Empty, string.Join("\n", errors.Take(10)));
        Assert.That(analyzerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning), Is.Empty, string.Join("\n", analyzerDiagnostics));
        Assert.That(sources, Is.EqualTo(2 * Models));
        Assert.That(share, Is.LessThan(0.8), "the generator should not dominate the build");
    }

    private static void EmitResult(Compilation output, out ImmutableArray<Diagnostic> errors)
    {
        using var ms = new MemoryStream();
        var result = output.Emit(ms);
        errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
    }
}

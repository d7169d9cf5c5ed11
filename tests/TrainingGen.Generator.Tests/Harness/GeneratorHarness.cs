using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using NUnit.Framework;
using TrainingGen.Analyzers;
using TrainingGen.Generator;

namespace TrainingGen.Tests.Harness;

/// <summary>What one generator + analyzer run over a compilation produced.</summary>
internal sealed class HarnessRun
{
    public required CSharpCompilation Input { get; init; }
    public required Compilation Output { get; init; }
    public required GeneratorDriver Driver { get; init; }
    public required GeneratorDriverRunResult RunResult { get; init; }
    /// <summary>Diagnostics of <c>RunGeneratorsAndUpdateCompilation</c> itself (CS8784/CS8785 live here).</summary>
    public required ImmutableArray<Diagnostic> DriverDiagnostics { get; init; }
    /// <summary>Diagnostics the generator reported (<c>spc.ReportDiagnostic</c>).</summary>
    public required ImmutableArray<Diagnostic> GeneratorDiagnostics { get; init; }
    /// <summary>Diagnostics of all TrainingGen analyzers (<see cref="GeneratorHarness.Analyzers"/>), including AD0001 if one threw.</summary>
    public required ImmutableArray<Diagnostic> AnalyzerDiagnostics { get; init; }
    /// <summary>Exceptions the analyzer driver caught from the analyzer.</summary>
    public required IReadOnlyList<Exception> AnalyzerExceptions { get; init; }
    /// <summary>Errors of the output compilation (user code + generated code); empty when not checked.</summary>
    public required ImmutableArray<Diagnostic> OutputErrors { get; init; }
    /// <summary>Generated files (hint name, text).</summary>
    public required IReadOnlyList<(string HintName, string Text)> Sources { get; init; }

    /// <summary>Every diagnostic of the run: driver, generator, analyzer and output-compilation errors.</summary>
    public IEnumerable<Diagnostic> All =>
        DriverDiagnostics.Concat(GeneratorDiagnostics).Concat(AnalyzerDiagnostics).Concat(OutputErrors).Distinct();

    /// <summary>Generator + analyzer diagnostics with the given id.</summary>
    public IReadOnlyList<Diagnostic> WithId(string id) => All.Where(d => d.Id == id).ToList();

    public string Describe() => string.Join(Environment.NewLine, All.Select(d => d.ToString()));
}

/// <summary>
/// Compiles C# sources against the offline .NET 10 reference assemblies and the TrainingGen
/// runtime, runs <see cref="TrainingModelGenerator"/> through a <see cref="CSharpGeneratorDriver"/>
/// with step tracking and <see cref="TrainingModelAnalyzer"/> through
/// <see cref="CompilationWithAnalyzers"/>, and collects everything they report.
/// </summary>
internal static partial class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(BuildReferences);

    /// <summary>Net100 reference assemblies + TrainingGen.Runtime (+ its non-framework dependencies).</summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    private static ImmutableArray<MetadataReference> BuildReferences()
    {
        var list = new List<MetadataReference>(Basic.Reference.Assemblies.Net100.References.All);
        var runtime = typeof(TrainingGen.Tensor).Assembly;
        list.Add(MetadataReference.CreateFromFile(runtime.Location));
        // The runtime's public surface mentions a few package types (protobuf messages, tensors);
        // reference the copies next to the test assembly so generated code never sees CS0012.
        var framework = new HashSet<string>(
            Basic.Reference.Assemblies.Net100.References.All.Select(r => Path.GetFileNameWithoutExtension(r.FilePath ?? "")),
            StringComparer.OrdinalIgnoreCase);
        foreach (var name in runtime.GetReferencedAssemblies())
        {
            if (framework.Contains(name.Name!)) continue;
            var path = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
            if (File.Exists(path)) list.Add(MetadataReference.CreateFromFile(path));
        }
        return list.ToImmutableArray();
    }

    private static readonly Lazy<CSharpCompilation> LazyEmpty = new(() => CSharpCompilation.Create(
        "TrainingGenHarness",
        syntaxTrees: null,
        references: References,
        options: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)));

    /// <summary>An empty compilation with all references bound; add trees to it (reuses the reference manager).</summary>
    public static CSharpCompilation Empty => LazyEmpty.Value;

    public static SyntaxTree Parse(string source, string path) =>
        CSharpSyntaxTree.ParseText(SourceText.From(source, Encoding.UTF8), ParseOptions, path);

    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        Empty.AddSyntaxTrees(sources.Select((s, i) => Parse(s, $"/src/File{i}.cs")));

    /// <summary>Every analyzer of TrainingGen.Analyzers, as a consumer's build runs them.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = typeof(TrainingModelAnalyzer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new TrainingModelGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs generator + analyzer over <paramref name="sources"/> (File0.cs, File1.cs, ...).</summary>
    public static HarnessRun Run(params string[] sources) => Run(CreateCompilation(sources));

    /// <summary>
    /// Runs the generator (through <paramref name="driver"/> if given, so a caller can keep a driver
    /// across edits), then the analyzer over the input, then collects the output compilation's errors.
    /// <paramref name="perTreeAnalysis"/> runs the analyzers tree by tree, as the IDE does for an
    /// open document (syntax-node and symbol actions of the symbols declared in each tree; faster).
    /// </summary>
    public static HarnessRun Run(CSharpCompilation input, GeneratorDriver? driver = null, bool analyzer = true, bool outputErrors = true,
        bool perTreeAnalysis = false)
    {
        driver = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(input, out var output, out var driverDiagnostics);
        var result = driver.GetRunResult();

        var analyzerExceptions = new List<Exception>();
        var analyzerDiagnostics = ImmutableArray<Diagnostic>.Empty;
        if (analyzer)
        {
            var reported = new List<Diagnostic>();
            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                onAnalyzerException: (ex, _, diagnostic) =>
                {
                    lock (analyzerExceptions) { analyzerExceptions.Add(ex); reported.Add(diagnostic); }
                },
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false);
            var withAnalyzers = input.WithAnalyzers(Analyzers, options);
            if (perTreeAnalysis)
            {
                // Syntax-node actions only need each tree's semantic model: cheaper than a whole-compilation pass.
                var builder = ImmutableArray.CreateBuilder<Diagnostic>();
                foreach (var tree in input.SyntaxTrees)
                    builder.AddRange(withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(input.GetSemanticModel(tree), null, CancellationToken.None).GetAwaiter().GetResult());
                analyzerDiagnostics = builder.ToImmutable();
            }
            else
            {
                analyzerDiagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
            }
            analyzerDiagnostics = analyzerDiagnostics.AddRange(reported);
        }

        return new HarnessRun
        {
            Input = input,
            Output = output,
            Driver = driver,
            RunResult = result,
            DriverDiagnostics = driverDiagnostics,
            GeneratorDiagnostics = result.Diagnostics,
            AnalyzerDiagnostics = analyzerDiagnostics,
            AnalyzerExceptions = analyzerExceptions,
            OutputErrors = outputErrors
                ? output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray()
                : ImmutableArray<Diagnostic>.Empty,
            Sources = result.Results.SelectMany(r => r.GeneratedSources).Select(s => (s.HintName, s.SourceText.ToString())).ToList(),
        };
    }

    /// <summary>The generator never failed: no CS8785/CS8784, no exception on the run result, no AD0001.</summary>
    public static void AssertNoGeneratorOrAnalyzerFailure(HarnessRun run, string? context = null)
    {
        string where = context is null ? "" : context + Environment.NewLine;
        var failures = run.All.Where(d => d.Id is "CS8785" or "CS8784" or "AD0001").ToList();
        Assert.That(failures, Is.Empty, where + string.Join(Environment.NewLine, failures));
        foreach (var r in run.RunResult.Results)
            Assert.That(r.Exception, Is.Null, where + $"generator exception: {r.Exception}");
        Assert.That(run.AnalyzerExceptions, Is.Empty, where + string.Join(Environment.NewLine, run.AnalyzerExceptions));
    }

    /// <summary>The span of the source text a diagnostic points at.</summary>
    public static string SpanText(Diagnostic d) =>
        d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);
}

/// <summary>
/// Source with one marked span, <c>[|...|]</c>: <see cref="Source"/> is the text without the
/// markers and <see cref="Span"/> where the marked text is.
/// </summary>
internal readonly record struct Marked(string Source, TextSpan Span)
{
    public static Marked Parse(string markup)
    {
        int start = markup.IndexOf("[|", StringComparison.Ordinal);
        int end = markup.IndexOf("|]", StringComparison.Ordinal);
        if (start < 0 || end < start) throw new ArgumentException("markup needs one [|...|] span");
        string source = markup.Remove(end, 2).Remove(start, 2);
        return new Marked(source, TextSpan.FromBounds(start, end - 2));
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NUnit.Framework;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md compiles with the generator and analyzers, without
/// errors or TrainingGen warnings, so the docs cannot rot. A block is compiled alone (with the
/// usings the README says are in scope), as a console program when it has top-level statements;
/// a block right after the line <c>&lt;!-- snippet: continues the previous one --&gt;</c> is compiled
/// together with the block before it. Blocks with statements also run. Blocks fenced otherwise (<c>```</c>, <c>```python</c>, …) are not C#.
/// </summary>
public class ReadmeSnippetTests
{
    private const string Continues = "<!-- snippet: continues the previous one -->";

    /// <summary>What the README's "Getting started" says is in scope for its snippets.</summary>
    private const string Usings = "global using System;\nglobal using System.Collections.Generic;\nglobal using System.Linq;\nglobal using TrainingGen;\nglobal using TrainingGen.Data;\n";

    internal sealed record Snippet(int Line, string Code, Snippet? Previous)
    {
        public override string ToString() => $"README.md line {Line}";
    }

    private static string ReadReadme()
    {
        using var stream = typeof(ReadmeSnippetTests).Assembly.GetManifestResourceStream("README.md")
            ?? throw new InvalidOperationException("README.md is not embedded in the test assembly.");
        return new StreamReader(stream).ReadToEnd().Replace("\r\n", "\n");
    }

    internal static List<Snippet> Extract(string markdown)
    {
        var lines = markdown.Split('\n');
        var result = new List<Snippet>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() != "```csharp") continue;
            int start = i + 1, end = start;
            while (end < lines.Length && lines[end].TrimEnd() != "```") end++;
            if (end == lines.Length) throw new FormatException($"README.md line {i + 1}: the ```csharp block is not closed.");
            int before = i - 1;
            while (before >= 0 && lines[before].Trim().Length == 0) before--;
            bool continues = before >= 0 && lines[before].Trim() == Continues;
            if (continues && result.Count == 0) throw new FormatException($"README.md line {i + 1}: continues a snippet, but none comes before it.");
            result.Add(new Snippet(start + 1, string.Join("\n", lines[start..end]), continues ? result[^1] : null));
            i = end;
        }
        return result;
    }

    private static IEnumerable<TestCaseData> Snippets() =>
        Extract(ReadReadme()).Select(s => new TestCaseData(s).SetName($"README_snippet_at_line_{s.Line:D3}_compiles"));

    [Test]
    public void The_README_has_the_snippets_a_newcomer_needs()
    {
        var snippets = Extract(ReadReadme());
        // the seed model and loop, tensors, the complete Fit example, several inputs (at least)
        Assert.That(snippets, Has.Count.GreaterThanOrEqualTo(5));
        Assert.That(snippets.Any(s => s.Code.Contains("Trainer.Fit(") && s.Code.Contains("new TensorDataset(") && s.Code.Contains("[TrainingModel")),
            "a complete Fit example with a data set and its model");
    }

    private static IEnumerable<TestCaseData> Programs() =>
        Extract(ReadReadme()).Where(s => HasStatements(Trees(s))).Select(s => new TestCaseData(s).SetName($"README_program_at_line_{s.Line:D3}_runs"));

    private static SyntaxTree[] Trees(Snippet snippet)
    {
        var files = new List<string> { Usings };
        if (snippet.Previous is Snippet previous) files.Add(previous.Code);
        files.Add(snippet.Code);
        return files.Select((s, i) => GeneratorHarness.Parse(s, $"/readme/Snippet{i}.cs")).ToArray();
    }

    private static bool HasStatements(SyntaxTree[] trees) => trees.Any(t => t.GetRoot().DescendantNodes().OfType<GlobalStatementSyntax>().Any());

    [TestCaseSource(nameof(Snippets))]
    public void Compiles(object boxed) => Compile((Snippet)boxed);

    /// <summary>
    /// A snippet with statements also runs: compiled with the generator, loaded into a collectible
    /// context and executed in an empty temporary directory (the files it writes land there).
    /// </summary>
    [TestCaseSource(nameof(Programs))]
    [NonParallelizable]   // sets the process's current directory and console output
    public void Runs(object boxed)
    {
        var snippet = (Snippet)boxed;
        var output = Compile(snippet);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.That(emitted.Success, Is.True, string.Join("\n", emitted.Diagnostics));
        image.Position = 0;
        var context = new System.Runtime.Loader.AssemblyLoadContext("readme-snippet", isCollectible: true);
        string dir = Path.Combine(Path.GetTempPath(), "traininggen-readme", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string cwd = Environment.CurrentDirectory;
        var console = Console.Out;
        var printed = new StringWriter();
        try
        {
            var entry = context.LoadFromStream(image).EntryPoint ?? throw new InvalidOperationException("no entry point");
            Environment.CurrentDirectory = dir;
            Console.SetOut(printed);
            entry.Invoke(null, entry.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() });
        }
        finally
        {
            Console.SetOut(console);
            Environment.CurrentDirectory = cwd;
            context.Unload();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
        TestContext.Out.WriteLine($"{snippet} printed:\n{printed}");
    }

    private static Compilation Compile(Snippet snippet)
    {
        var trees = Trees(snippet);
        bool program = HasStatements(trees);
        var compilation = GeneratorHarness.Empty
            .WithOptions(GeneratorHarness.Empty.Options.WithOutputKind(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary))
            .AddSyntaxTrees(trees);

        var run = GeneratorHarness.Run(compilation);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run, snippet.ToString());
        var problems = run.All.Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Id.StartsWith("TG", StringComparison.Ordinal))).ToList();
        Assert.That(problems, Is.Empty, $"{snippet}:\n{string.Join("\n", problems)}\n\n{snippet.Code}");
        if (snippet.Code.Contains("[TrainingModel", StringComparison.Ordinal))
            Assert.That(run.Sources.Any(s => s.HintName.EndsWith(".Trainer.g.cs", StringComparison.Ordinal)), $"{snippet}: no trainer was generated");
        return run.Output;
    }

    [Test]
    public void A_snippet_with_an_error_fails_the_check()
    {
        // the check itself can fail: a broken snippet (a loss that is not first, TG0001) is caught
        var broken = Extract("```csharp\n[TrainingModel, Sgd]\npublic partial class M {\n public Linear L { get; } = new(2, 1);\n" +
            " public (Tensor P, Tensor Loss) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 1)] Tensor y) { var p = L.Forward(x); return (p, Ops.MseLoss(p, y)); }\n}\n```\n");
        Assert.That(broken, Has.Count.EqualTo(1));
        Assert.Throws<AssertionException>(() => Compile(broken[0]));
    }
}

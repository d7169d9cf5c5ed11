using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NUnit.Framework;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// Seeded mutations of valid training programs, token-level (delete, duplicate, swap, replace) and
/// structural (make a class generic, nest it, turn a layer property into a field, move a number
/// into a const / static readonly / MathF expression, drop an attribute): whatever the user types,
/// the generator and the analyzers report diagnostics and never fail (no CS8785/CS8784, no AD0001,
/// no exception escaping, no TG9999 internal error), and no build has errors only in generated files.
/// </summary>
public class GeneratorRobustnessTests
{
    private const int VariantsPerProgram = 2500;

    private static readonly (string Name, string Source)[] Programs =
    {
        ("seed", TestSources.Seed),
        ("mlp", TestSources.Mlp),
        ("frozen-head", TestSources.FrozenHead),
        ("nested-consts", NestedConsts),
    };

    /// <summary>A valid program with the constructs the structural mutations break: nesting, consts, MathF.</summary>
    private const string NestedConsts = """
        using System;
        using TrainingGen;

        namespace Demo.Consts;

        public static partial class Experiments
        {
            [Model]
            public partial class Encoder
            {
                private const float Gain = 0.5f;
                private static readonly float Scale = 1f / MathF.Sqrt(8f);
                public Linear Fc { get; } = new(8, 4);
                public Tensor Forward(Tensor x) => Ops.Tanh(Fc.Forward(x) * Scale) * Gain;
            }

            public static class Losses
            {
                [Loss]
                public static Tensor Scaled(Tensor p, Tensor t) { var d = p - t; return Ops.Mean(d * d) / 2f; }
            }

            [TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.9)]
            public partial class Regressor
            {
                public Encoder Body { get; } = new();
                [Frozen] public Linear Skip { get; } = new(8, 4);

                public (Tensor Loss, Tensor Out) Forward([Shape(Dim.Batch, 8)] Tensor x, [Shape(Dim.Batch, 4)] Tensor target)
                {
                    var y = Body.Forward(x) + Skip.Forward(x) * (1f / 3);
                    return (Losses.Scaled(y, target), y);
                }
            }
        }
        """;

    private enum Mutation { Delete, Duplicate, SwapAdjacent, ReplaceWithSibling, MakeGeneric, Nest, PropertyToField, ConstantToMember, DropAttribute }

    /// <summary>One mutated copy of <paramref name="source"/>; the description says what changed.</summary>
    internal static (string Text, string Description) Mutate(string source, SyntaxNode root, IReadOnlyList<SyntaxToken> tokens, Random rng)
    {
        var kind = (Mutation)rng.Next(9);
        if (kind >= Mutation.MakeGeneric) return StructuralMutations.Apply(kind.ToString(), source, root, rng);
        int i = rng.Next(tokens.Count - 1);
        var t = tokens[i];
        switch (kind)
        {
            case Mutation.Delete:
                return (source.Remove(t.SpanStart, t.Span.Length), $"delete '{t.Text}' at {t.SpanStart}");
            case Mutation.Duplicate:
                return (source.Insert(t.Span.End, " " + t.Text), $"duplicate '{t.Text}' at {t.SpanStart}");
            case Mutation.SwapAdjacent:
            {
                var u = tokens[i + 1];
                string between = source.Substring(t.Span.End, u.SpanStart - t.Span.End);
                string swapped = source.Substring(0, t.SpanStart) + u.Text + between + t.Text + source.Substring(u.Span.End);
                return (swapped, $"swap '{t.Text}' and '{u.Text}' at {t.SpanStart}");
            }
            default:
            {
                // Replace an identifier or literal with another identifier or literal of the file.
                var pool = tokens.Where(x => x.IsKind(SyntaxKind.IdentifierToken) || x.IsKind(SyntaxKind.NumericLiteralToken)).ToList();
                var target = pool[rng.Next(pool.Count)];
                var replacement = pool[rng.Next(pool.Count)];
                return (source.Remove(target.SpanStart, target.Span.Length).Insert(target.SpanStart, replacement.Text),
                    $"replace '{target.Text}' at {target.SpanStart} with '{replacement.Text}'");
            }
        }
    }

    private sealed record Outcome(int Variants, int WithDiagnostics, int Generated, List<string> Failures);

    /// <summary>
    /// <see cref="VariantsPerProgram"/> mutants of one program through one driver and one
    /// compilation, edited tree by tree as in an IDE session (so the incremental caches are
    /// exercised across arbitrary edits too).
    /// </summary>
    private static Outcome RunMutants(string name, string source, int seed)
    {
        var rng = new Random(seed);
        var original = GeneratorHarness.Parse(source, $"/src/{name}.cs");
        var root = original.GetRoot();
        var tokens = root.DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).ToList();
        var compilation = GeneratorHarness.Empty.AddSyntaxTrees(original);
        var driver = GeneratorHarness.CreateDriver();
        var current = original;
        int variants = 0, withDiagnostics = 0, generated = 0;
        var failures = new List<string>();

        for (int v = 0; v < VariantsPerProgram; v++)
        {
            var (text, description) = Mutate(source, root, tokens, rng);
            var tree = GeneratorHarness.Parse(text, original.FilePath);
            compilation = compilation.ReplaceSyntaxTree(current, tree);
            current = tree;
            variants++;
            HarnessRun run;
            try
            {
                run = GeneratorHarness.Run(compilation, driver, analyzer: true, outputErrors: false, perTreeAnalysis: true);
            }
            catch (Exception ex)
            {
                failures.Add($"{name} #{v} ({description}): exception escaped: {ex}");
                driver = GeneratorHarness.CreateDriver();
                continue;
            }
            driver = run.Driver;

            foreach (var d in run.All.Where(d => d.Id is "CS8785" or "CS8784" or "AD0001" or "TG9999"))
                failures.Add($"{name} #{v} ({description}): {d}");
            foreach (var r in run.RunResult.Results.Where(r => r.Exception is not null))
                failures.Add($"{name} #{v} ({description}): generator exception {r.Exception}");
            foreach (var ex in run.AnalyzerExceptions)
                failures.Add($"{name} #{v} ({description}): analyzer exception {ex}");

            if (run.GeneratorDiagnostics.Concat(run.AnalyzerDiagnostics).Any(d => d.Id.StartsWith("TG", StringComparison.Ordinal))) withDiagnostics++;
            if (run.Sources.Any(s => s.HintName.EndsWith(".Trainer.g.cs", StringComparison.Ordinal))) generated++;
            if (OnlyGeneratedCodeFails(run) is { } error) failures.Add($"{name} #{v} ({description}): only generated code fails: {error}");
        }
        return new Outcome(variants, withDiagnostics, generated, failures);
    }

    /// <summary>
    /// An error in a generated file while the user's code and the analyzers report none (the
    /// user would face broken generated code with no TG diagnostic to explain it); null otherwise.
    /// Only the generated trees are bound, and the user's trees only when those have an error.
    /// </summary>
    private static Diagnostic? OnlyGeneratedCodeFails(HarnessRun run)
    {
        if (run.Sources.Count == 0) return null;
        var inGenerated = run.Output.SyntaxTrees.Where(t => !run.Input.ContainsSyntaxTree(t))
            .SelectMany(t => run.Output.GetSemanticModel(t).GetDiagnostics())
            .FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (inGenerated is null) return null;
        if (run.AnalyzerDiagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) return null;
        bool userErrors = run.Output.SyntaxTrees.Where(run.Input.ContainsSyntaxTree)
            .Any(t => run.Output.GetSemanticModel(t).GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error));
        return userErrors ? null : inGenerated;
    }

    [Test]
    public void Mutated_programs_never_crash_the_generator_or_the_analyzer()
    {
        var stopwatch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        // One program per task (each with its own seed, driver and compilation): deterministic, and both cores busy.
        var outcomes = Programs
            .Select((p, i) => System.Threading.Tasks.Task.Run(() => RunMutants(p.Name, p.Source, 20261129 + i)))
            .ToArray();
        System.Threading.Tasks.Task.WaitAll(outcomes);
        stopwatch.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;

        int variants = outcomes.Sum(o => o.Result.Variants);
        int withDiagnostics = outcomes.Sum(o => o.Result.WithDiagnostics);
        int generated = outcomes.Sum(o => o.Result.Generated);
        var failures = outcomes.SelectMany(o => o.Result.Failures).ToList();
        TestContext.Out.WriteLine($"{variants} variants in {stopwatch.Elapsed.TotalSeconds:F1} s wall, {cpu.TotalSeconds:F1} s CPU; " +
                                  $"{withDiagnostics} with TG diagnostics, {generated} generated sources");
        Assert.That(failures, Is.Empty, string.Join(Environment.NewLine, failures.Take(20)));
        Assert.That(variants, Is.GreaterThanOrEqualTo(10000));
        // The mutations are neither all harmless nor all fatal: both outcomes occur many times.
        Assert.That(withDiagnostics, Is.GreaterThan(100));
        Assert.That(generated, Is.GreaterThan(100));
    }

    [Test]
    public void Mutations_are_deterministic_and_cover_every_kind()
    {
        var root = CSharpSyntaxTree.ParseText(NestedConsts).GetRoot();
        var tokens = root.DescendantTokens().ToList();
        var a = new Random(7);
        var b = new Random(7);
        var kinds = new HashSet<string>();
        for (int i = 0; i < 400; i++)
        {
            var x = Mutate(NestedConsts, root, tokens, a);
            var y = Mutate(NestedConsts, root, tokens, b);
            Assert.That(x, Is.EqualTo(y));
            if (!x.Description.StartsWith("swap", StringComparison.Ordinal) && !x.Description.StartsWith("replace", StringComparison.Ordinal))
                Assert.That(x.Text, Is.Not.EqualTo(NestedConsts), x.Description); // (a swap or replace may pick equal tokens)
            kinds.Add(x.Description.Split(' ')[0]);
        }
        Assert.That(kinds, Is.EquivalentTo(new[] { "delete", "duplicate", "swap", "replace", "generic", "nest", "field", "constant", "drop" }));
    }
}

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
/// Seeded token-level mutations of valid training programs: whatever the user types, the
/// generator and the analyzer report diagnostics and never fail (no CS8785/CS8784, no AD0001,
/// no exception escaping, no TG9999 internal error).
/// </summary>
public class GeneratorRobustnessTests
{
    private const int VariantsPerProgram = 700;

    private static readonly (string Name, string Source)[] Programs =
    {
        ("seed", TestSources.Seed),
        ("mlp", TestSources.Mlp),
        ("frozen-head", TestSources.FrozenHead),
    };

    private enum Mutation { Delete, Duplicate, SwapAdjacent, ReplaceWithSibling }

    /// <summary>One mutated copy of <paramref name="source"/>; the description says what changed.</summary>
    internal static (string Text, string Description) Mutate(string source, IReadOnlyList<SyntaxToken> tokens, Random rng)
    {
        var kind = (Mutation)rng.Next(4);
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
        var tokens = original.GetRoot().DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).ToList();
        var compilation = GeneratorHarness.Empty.AddSyntaxTrees(original);
        var driver = GeneratorHarness.CreateDriver();
        var current = original;
        int variants = 0, withDiagnostics = 0, generated = 0;
        var failures = new List<string>();

        for (int v = 0; v < VariantsPerProgram; v++)
        {
            var (text, description) = Mutate(source, tokens, rng);
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
            if (run.Sources.Count > 0) generated++;
        }
        return new Outcome(variants, withDiagnostics, generated, failures);
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
        Assert.That(variants, Is.GreaterThanOrEqualTo(2000));
        // The mutations are neither all harmless nor all fatal: both outcomes occur many times.
        Assert.That(withDiagnostics, Is.GreaterThan(100));
        Assert.That(generated, Is.GreaterThan(100));
    }

    [Test]
    public void Mutations_are_deterministic_and_cover_every_kind()
    {
        var tokens = CSharpSyntaxTree.ParseText(TestSources.Seed).GetRoot().DescendantTokens().ToList();
        var a = new Random(7);
        var b = new Random(7);
        var kinds = new HashSet<string>();
        for (int i = 0; i < 200; i++)
        {
            var x = Mutate(TestSources.Seed, tokens, a);
            var y = Mutate(TestSources.Seed, tokens, b);
            Assert.That(x, Is.EqualTo(y));
            kinds.Add(x.Description.Split(' ')[0]);
        }
        Assert.That(kinds, Is.EquivalentTo(new[] { "delete", "duplicate", "swap", "replace" }));
    }
}

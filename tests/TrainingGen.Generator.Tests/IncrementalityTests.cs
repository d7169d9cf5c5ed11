using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NUnit.Framework;
using TrainingGen.Generator;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Model;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// The incremental pipeline's caching contract (tracked steps Parse / Diagnostics / Models) and
/// the purity of the model that flows through it.
/// </summary>
public class IncrementalityTests
{
    private const string Unrelated = """
        namespace Demo.Util;

        public static class Strings
        {
            public static string Shout(string s) => s.ToUpperInvariant() + "!";
        }
        """;

    private const string Names = TrainingModelGenerator.TrackingNames.Models;

    /// <summary>seed backbone (File0), seed training model (File1), unrelated file (File2).</summary>
    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.SeedBackbone, TestSources.SeedTraining, Unrelated);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.That(first.Exception, Is.Null);
        Assert.That(first.GeneratedSources, Has.Length.EqualTo(2));
        Assert.That(Reasons(driver, Names), Is.EqualTo(new[] { IncrementalStepRunReason.New }));
        return (driver, compilation);
    }

    private static SyntaxTree Tree(CSharpCompilation c, int file) => c.SyntaxTrees.Single(t => t.FilePath == $"/src/File{file}.cs");

    private static CSharpCompilation Edit(CSharpCompilation c, int file, Func<string, string> edit)
    {
        var old = Tree(c, file);
        string text = old.GetText().ToString();
        string changed = edit(text);
        Assert.That(changed, Is.Not.EqualTo(text), "the edit must change the file");
        return c.ReplaceSyntaxTree(old, GeneratorHarness.Parse(changed, old.FilePath));
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    private static TrainingModelIr ModelOf(GeneratorDriver driver) =>
        (TrainingModelIr)driver.GetRunResult().Results.Single().TrackedSteps[Names].Single().Outputs.Single().Value;

    [Test]
    public void Comment_in_an_unrelated_file_leaves_the_model_cached()
    {
        var (driver, c) = FirstRun();
        var edited = Edit(c, 2, s => s.Replace("public static class Strings", "// helpers\npublic static class Strings"));
        driver = driver.RunGenerators(edited);
        Assert.That(Reasons(driver, TrainingModelGenerator.TrackingNames.Parse), Is.EqualTo(new[] { IncrementalStepRunReason.Unchanged }));
        Assert.That(Reasons(driver, Names), Is.EqualTo(new[] { IncrementalStepRunReason.Cached }));
        Assert.That(Reasons(driver, TrainingModelGenerator.TrackingNames.Diagnostics), Is.EqualTo(new[] { IncrementalStepRunReason.Cached }));
    }

    [Test]
    public void Adding_an_unrelated_file_leaves_the_model_cached()
    {
        var (driver, c) = FirstRun();
        var added = c.AddSyntaxTrees(GeneratorHarness.Parse("namespace Demo.More; public sealed class Extra { public int Value { get; set; } }", "/src/File3.cs"));
        driver = driver.RunGenerators(added);
        Assert.That(Reasons(driver, Names), Is.EqualTo(new[] { IncrementalStepRunReason.Cached }));
    }

    [Test]
    public void Comment_between_statements_of_the_model_leaves_the_model_cached()
    {
        var (driver, c) = FirstRun();
        var edited = Edit(c, 1, s => s.Replace("        var pred = Backend.Forward(x);",
            "        // run the backbone\n\n        var pred = Backend.Forward(x); // predictions"));
        driver = driver.RunGenerators(edited);
        Assert.That(Reasons(driver, TrainingModelGenerator.TrackingNames.Parse), Is.EqualTo(new[] { IncrementalStepRunReason.Unchanged }));
        Assert.That(Reasons(driver, Names), Is.EqualTo(new[] { IncrementalStepRunReason.Cached }));
    }

    [Test]
    public void Comment_inside_an_expression_of_the_model_leaves_the_model_cached()
    {
        var (driver, c) = FirstRun();
        var before = ModelOf(driver);
        var edited = Edit(c, 1, s => s.Replace("return (Criteria.Mse(pred, y), pred);",
            "return (Criteria.Mse(pred, /* labels */ y), pred);"));
        edited = Edit(edited, 0, s => s.Replace("var d = pred - label;", "var d = pred // predictions\n            - label;"));
        driver = driver.RunGenerators(edited);
        Assert.That(Reasons(driver, TrainingModelGenerator.TrackingNames.Parse), Is.EqualTo(new[] { IncrementalStepRunReason.Unchanged }));
        Assert.That(Reasons(driver, Names), Is.EqualTo(new[] { IncrementalStepRunReason.Cached }));
        Assert.That(ModelOf(driver), Is.EqualTo(before));
    }

    [Test]
    public void Changing_an_op_modifies_the_model()
    {
        var (driver, c) = FirstRun();
        var before = ModelOf(driver);
        var edited = Edit(c, 0, s => s.Replace("new(1, 3)", "new(1, 4)"));
        edited = Edit(edited, 1, s => s.Replace("[Shape(Dim.Batch, 3)] Tensor y", "[Shape(Dim.Batch, 4)] Tensor y"));
        driver = driver.RunGenerators(edited);
        Assert.That(driver.GetRunResult().Diagnostics, Is.Empty);
        Assert.That(Reasons(driver, Names), Is.EqualTo(new[] { IncrementalStepRunReason.Modified }));
        var after = ModelOf(driver);
        Assert.That(after, Is.Not.EqualTo(before));
        Assert.That(after.Params.Select(p => string.Join("x", p.Shape)), Is.EqualTo(new[] { "1x2", "1", "4x1", "4" }));
        Assert.That(driver.GetRunResult().Results.Single().GeneratedSources, Has.Length.EqualTo(2));
    }

    [Test]
    public void Same_compilation_twice_gives_equal_but_distinct_models()
    {
        var c = GeneratorHarness.CreateCompilation(TestSources.SeedBackbone, TestSources.SeedTraining, Unrelated);
        var a = ModelOf(GeneratorHarness.CreateDriver().RunGenerators(c));
        var b = ModelOf(GeneratorHarness.CreateDriver().RunGenerators(c));
        Assert.That(ReferenceEquals(a, b), Is.False);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));

        // Running a driver again on the very same compilation re-uses everything.
        var driver = GeneratorHarness.CreateDriver().RunGenerators(c).RunGenerators(c);
        Assert.That(Reasons(driver, Names), Is.EqualTo(new[] { IncrementalStepRunReason.Cached }));
    }

    [Test]
    public void Seed_model_is_the_expected_ir()
    {
        var (driver, _) = FirstRun();
        var ir = ModelOf(driver);
        Assert.That(ir.Namespace, Is.EqualTo("Demo"));
        Assert.That(ir.ClassName, Is.EqualTo("ModelToExport"));
        Assert.That(ir.FullyQualifiedName, Is.EqualTo("global::Demo.ModelToExport"));
        Assert.That(ir.LossName, Is.EqualTo("Criteria.Mse"));
        Assert.That(ir.Params.Select(p => p.Path), Is.EqualTo(new[]
            { "backend.linear_1.weight", "backend.linear_1.bias", "backend.linear_2.weight", "backend.linear_2.bias" }));
        Assert.That(ir.Inputs.Select(i => (i.Name, i.IsLabel)), Is.EqualTo(new[] { ("x", false), ("y", true) }));
        Assert.That(ir.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "pred" }));
        Assert.That(ir.Optimizer, Is.Not.Null);
    }

    // ------------------------------------------------------------------ purity

    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxNode), typeof(SyntaxTree),
        typeof(SyntaxToken), typeof(SyntaxTrivia), typeof(Location), typeof(Diagnostic),
    };

    /// <summary>Walks every field reachable from <paramref name="root"/>; returns paths to forbidden Roslyn objects.</summary>
    private static List<string> FindRoslynObjects(object root, out int visited)
    {
        var found = new List<string>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(object Value, string Path)>();
        stack.Push((root, root.GetType().Name));
        visited = 0;
        while (stack.Count > 0)
        {
            var (value, path) = stack.Pop();
            var type = value.GetType();
            if (!type.IsValueType && !seen.Add(value)) continue;
            visited++;
            if (Forbidden.Any(f => f.IsAssignableFrom(type))) { found.Add($"{path}: {type.FullName}"); continue; }
            if (type.IsPrimitive || type.IsEnum || value is string || value is decimal) continue;
            if (value is Array array)
            {
                int i = 0;
                foreach (var item in array) { if (item is not null) stack.Push((item, $"{path}[{i}]")); i++; }
                continue;
            }
            for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
                foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    if (f.GetValue(value) is { } child) stack.Push((child, $"{path}.{f.Name}"));
        }
        return found;
    }

    [Test]
    public void Model_reaches_no_roslyn_symbol_compilation_or_syntax()
    {
        var (driver, _) = FirstRun();
        var ir = ModelOf(driver);
        var found = FindRoslynObjects(ir, out int visited);
        Assert.That(found, Is.Empty);
        // The walk really went through the graph: every node, param and input record was visited.
        Assert.That(visited, Is.GreaterThan(ir.Nodes.Count + ir.Params.Count + ir.Inputs.Count));
        Assert.That(ir.Nodes.Count, Is.GreaterThan(5));
    }

    [Test]
    public void Purity_walk_detects_a_syntax_tree()
    {
        // The walker must be able to fail: a DiagnosticInfo holds its SyntaxTree on purpose.
        var tree = CSharpSyntaxTree.ParseText("class C { }");
        var info = DiagnosticInfo.Create(DiagnosticDescriptors.NoOptimizer, tree.GetRoot(), "C");
        var found = FindRoslynObjects(new Result<TrainingModelIr>(null, EquatableArray.Of(info)), out _);
        Assert.That(found, Has.Count.EqualTo(1));
        Assert.That(found[0], Does.Contain("Tree"));
    }
}

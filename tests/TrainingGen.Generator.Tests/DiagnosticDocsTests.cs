using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Generator.Diagnostics;

namespace TrainingGen.Tests;

/// <summary>Every diagnostic has a help link to docs/diagnostics/&lt;ID&gt;.md, and that page exists.</summary>
public class DiagnosticDocsTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TrainingGen.sln"))) return dir.FullName;
        Assert.Fail("TrainingGen.sln not found above " + TestContext.CurrentContext.TestDirectory);
        return null!;
    }

    private static DiagnosticDescriptor[] Declared() =>
        typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToArray();

    [Test]
    public void All_lists_every_declared_descriptor_once()
    {
        var declared = Declared();
        Assert.That(declared.Select(d => d.Id), Is.EquivalentTo(DiagnosticDescriptors.All.Select(d => d.Id)));
        Assert.That(DiagnosticDescriptors.All.Select(d => d.Id), Is.Unique);
        Assert.That(declared.Select(d => d.Id), Does.Contain("TG0001").And.Contain("TG9999"));
        Assert.That(declared.Select(d => d.Id), Has.All.Match("^TG[0-9]{4}$"));
    }

    [Test]
    public void Every_descriptor_links_to_its_help_page_and_the_page_exists()
    {
        string root = RepoRoot();
        var analyzerDescriptors = TrainingGen.Tests.Harness.GeneratorHarness.Analyzers.SelectMany(a => a.SupportedDiagnostics);
        foreach (var d in Declared().Concat(analyzerDescriptors))
        {
            Assert.That(d.HelpLinkUri, Does.EndWith($"docs/diagnostics/{d.Id}.md"), d.Id);
            string page = Path.Combine(root, "docs", "diagnostics", d.Id + ".md");
            Assert.That(File.Exists(page), Is.True, $"{d.Id}: {page} is missing");
            string text = File.ReadAllText(page);
            Assert.That(text, Does.StartWith($"# {d.Id}:"), $"{d.Id}: the page starts with its id");
            Assert.That(text, Does.Contain("```csharp"), $"{d.Id}: the page shows code");
        }
    }

    [Test]
    public void No_help_page_without_a_descriptor()
    {
        var ids = Declared().Select(d => d.Id + ".md").ToHashSet();
        var pages = Directory.GetFiles(Path.Combine(RepoRoot(), "docs", "diagnostics"), "TG*.md").Select(Path.GetFileName);
        Assert.That(pages.Where(p => !ids.Contains(p!)), Is.Empty);
    }
}

/// <summary>Every descriptor is reported by exactly one side: an analyzer, or (TG9999 only) the generator.</summary>
public class DiagnosticOwnershipTests
{
    [Test]
    public void Each_id_has_one_reporter()
    {
        var byAnalyzers = TrainingGen.Tests.Harness.GeneratorHarness.Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToList();
        Assert.That(byAnalyzers, Is.Unique, "no two analyzers support the same id");
        Assert.That(byAnalyzers, Is.EquivalentTo(DiagnosticDescriptors.ReportedByAnalyzers));
        Assert.That(DiagnosticDescriptors.All.Select(d => d.Id).Except(byAnalyzers), Is.EqualTo(new[] { "TG9999" }));
    }
}

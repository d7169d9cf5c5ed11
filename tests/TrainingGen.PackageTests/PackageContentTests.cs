using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using NUnit.Framework;

namespace TrainingGen.PackageTests;

/// <summary>What <c>dotnet pack nuget/TrainingGen.csproj</c> produced: files, paths, nuspec.</summary>
[TestFixture]
public sealed class PackageContentTests
{
    private static readonly string[] TargetFrameworks = { "net8.0", "net10.0" };

    private static List<string> Entries(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToList();
    }

    private static XDocument Nuspec(string package, string id)
    {
        using var zip = ZipFile.OpenRead(package);
        var entry = zip.GetEntry(id + ".nuspec") ?? throw new AssertionException($"{package} has no {id}.nuspec");
        using var stream = entry.Open();
        return XDocument.Load(stream);
    }

    private static string Describe(IEnumerable<string> entries) => "Package contents:\n  " + string.Join("\n  ", entries);

    [Test]
    public void Package_has_runtime_analyzers_targets_and_readme_at_the_expected_paths()
    {
        PackageFeed.RequirePackages();
        var entries = Entries(PackageFeed.TrainingGenPackage);
        var expected = new List<string>
        {
            "analyzers/dotnet/cs/TrainingGen.Generator.dll",
            "analyzers/dotnet/cs/TrainingGen.Analyzers.dll",
            "analyzers/dotnet/cs/TrainingGen.CodeFixes.dll",
            "buildTransitive/TrainingGen.targets",
            "build/TrainingGen.targets",
            "README.md",
        };
        foreach (var tfm in TargetFrameworks)
        {
            expected.Add($"lib/{tfm}/TrainingGen.Runtime.dll");
            expected.Add($"lib/{tfm}/TrainingGen.Runtime.xml");
        }
        Assert.That(entries, Is.SupersetOf(expected), Describe(entries));

        // Exactly these assemblies: the runtime as the one library, generator and analyzers only as analyzers.
        var assemblies = entries.Where(e => e.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).OrderBy(e => e, StringComparer.Ordinal).ToList();
        var expectedAssemblies = expected.Where(e => e.EndsWith(".dll", StringComparison.Ordinal)).OrderBy(e => e, StringComparer.Ordinal).ToList();
        Assert.That(assemblies, Is.EqualTo(expectedAssemblies), Describe(entries));
    }

    [Test]
    public void Package_has_no_test_sample_wrapper_or_dependency_assemblies()
    {
        PackageFeed.RequirePackages();
        var entries = Entries(PackageFeed.TrainingGenPackage);
        var forbidden = entries.Where(e =>
            e.Contains("Test", StringComparison.OrdinalIgnoreCase) ||
            e.Contains("QuickStart", StringComparison.OrdinalIgnoreCase) ||
            e.Contains("nunit", StringComparison.OrdinalIgnoreCase) ||
            e.Contains("traingen", StringComparison.Ordinal) ||                        // the tool is its own package
            e.EndsWith("/TrainingGen.dll", StringComparison.Ordinal) ||                  // the packing project's own assembly
            e.Contains("Google.Protobuf", StringComparison.OrdinalIgnoreCase) ||       // dependencies, not files
            e.Contains("System.Numerics.Tensors", StringComparison.OrdinalIgnoreCase) ||
            e.Contains("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase) ||
            e.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase) ||                  // symbols are in the .snupkg
            (e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("TrainingGen.Generator", StringComparison.Ordinal)) ||
            (e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("TrainingGen.Analyzers", StringComparison.Ordinal)))
            .ToList();
        Assert.That(forbidden, Is.Empty, Describe(entries));
    }

    [Test]
    public void Nuspec_declares_protobuf_and_tensors_for_both_target_frameworks_with_the_runtime_versions()
    {
        PackageFeed.RequirePackages();
        var nuspec = Nuspec(PackageFeed.TrainingGenPackage, "TrainingGen");
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var groups = nuspec.Descendants(ns + "dependencies").Single().Elements(ns + "group").ToList();
        string text = nuspec.ToString();
        Assert.That(groups.Select(g => (string?)g.Attribute("targetFramework")), Is.EquivalentTo(new[] { "net8.0", "net10.0" }), text);

        // The versions the runtime is built against (Runtime/TrainingGen.Runtime.csproj).
        var runtimeProject = XDocument.Load(Path.Combine(PackageFeed.RepoRoot, "Runtime", "TrainingGen.Runtime.csproj"));
        var runtimeVersions = runtimeProject.Descendants("PackageReference")
            .Where(p => (string?)p.Attribute("PrivateAssets") != "all")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);
        Assert.That(runtimeVersions.Keys, Is.EquivalentTo(new[] { "Google.Protobuf", "System.Numerics.Tensors" }),
            "The runtime's package references changed: update the dependencies in nuget/TrainingGen.csproj and this test.");

        foreach (var group in groups)
        {
            var dependencies = group.Elements(ns + "dependency")
                .ToDictionary(d => (string)d.Attribute("id")!, d => (string)d.Attribute("version")!);
            Assert.That(dependencies, Is.EquivalentTo(runtimeVersions),
                $"Dependencies of {group.Attribute("targetFramework")} must be the runtime's package references exactly.\n{text}");
        }
    }

    [Test]
    public void Nuspec_has_licence_readme_repository_and_no_icon()
    {
        PackageFeed.RequirePackages();
        var nuspec = Nuspec(PackageFeed.TrainingGenPackage, "TrainingGen");
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root!.Element(ns + "metadata")!;
        string text = nuspec.ToString();
        Assert.Multiple(() =>
        {
            Assert.That((string?)metadata.Element(ns + "id"), Is.EqualTo("TrainingGen"), text);
            Assert.That((string?)metadata.Element(ns + "version"), Is.EqualTo(PackageFeed.Version), text);
            var license = metadata.Element(ns + "license");
            Assert.That((string?)license?.Attribute("type"), Is.EqualTo("expression"), text);
            Assert.That((string?)license, Is.EqualTo("MIT"), text);
            Assert.That((string?)metadata.Element(ns + "readme"), Is.EqualTo("README.md"), text);
            Assert.That((string?)metadata.Element(ns + "repository")?.Attribute("type"), Is.EqualTo("git"), text);
            Assert.That((string?)metadata.Element(ns + "repository")?.Attribute("url"), Does.StartWith("https://"), text);
            Assert.That(metadata.Element(ns + "icon"), Is.Null, text);
            Assert.That(metadata.Element(ns + "iconUrl"), Is.Null, text);
            Assert.That((string?)metadata.Element(ns + "description"), Is.Not.Empty, text);
        });
    }

    [Test]
    public void Targets_guard_the_roslyn_floor_and_promote_CS8785()
    {
        PackageFeed.RequirePackages();
        using var zip = ZipFile.OpenRead(PackageFeed.TrainingGenPackage);
        string Read(string path)
        {
            using var reader = new StreamReader(zip.GetEntry(path)!.Open());
            return reader.ReadToEnd();
        }
        string targets = Read("buildTransitive/TrainingGen.targets");
        Assert.That(targets, Does.Contain("TGCFG0001").And.Contain("CompilerApiVersion").And.Contain("<Analyzer Remove=").And.Contain("CS8785"));
        Assert.That(Read("build/TrainingGen.targets"), Does.Contain("buildTransitive"));
        var readme = Read("README.md");
        Assert.That(readme, Does.Contain("dotnet add package TrainingGen").And.Contain("EmitCompilerGeneratedFiles"));
    }

    [Test]
    public void Symbol_package_has_the_runtime_pdbs()
    {
        PackageFeed.RequirePackages();
        Assert.That(PackageFeed.TrainingGenSymbols, Does.Exist);
        var entries = Entries(PackageFeed.TrainingGenSymbols);
        Assert.That(entries, Is.SupersetOf(TargetFrameworks.Select(t => $"lib/{t}/TrainingGen.Runtime.pdb")), Describe(entries));
    }
}

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using NUnit.Framework;

namespace TrainingGen.PackageTests;

/// <summary>
/// Once for all tests: packs nuget/TrainingGen.csproj and nuget/traingen (Release) into a folder
/// feed in a fresh temporary directory, with a version used by no other run, and writes the
/// nuget.config every consumer project uses:
/// <list type="bullet">
/// <item>the machine's usual package sources plus the feed;</item>
/// <item>a private <c>globalPackagesFolder</c> inside the temporary directory, so neither a cache
///   serves stale TrainingGen bits nor do the tests leave packages in ~/.nuget; the user's global
///   folder, if there is one, is only read (a fallback folder) so dependencies are not downloaded again.</item>
/// </list>
/// The repository's projects are built into a private artifacts folder, so the tests never touch
/// (or race with) the working tree's bin/ and obj/.
/// </summary>
[SetUpFixture]
public sealed class PackageFeed
{
    public static string RepoRoot { get; private set; } = "";
    public static string Root { get; private set; } = "";
    public static string Feed { get; private set; } = "";
    public static string Packages { get; private set; } = "";
    public static string Version { get; private set; } = "";
    public static string TrainingGenPackage => Path.Combine(Feed, $"TrainingGen.{Version}.nupkg");
    public static string TrainingGenSymbols => Path.Combine(Feed, $"TrainingGen.{Version}.snupkg");
    public static string ToolPackage => Path.Combine(Feed, $"traingen.{Version}.nupkg");

    private static ProcessResult? _packFailure;

    public static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(6);
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [OneTimeSetUp]
    public void Pack()
    {
        RepoRoot = FindRepoRoot();
        Root = Path.Combine(Path.GetTempPath(), "traininggen-packagetests-" + Guid.NewGuid().ToString("N").Substring(0, 12));
        Feed = Path.Combine(Root, "feed");
        Packages = Path.Combine(Root, "packages");
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Packages);
        Version = $"{RepositoryVersion()}-packagetest.{DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}";

        WriteConsumerEnvironment();

        string artifacts = Path.Combine(Root, "artifacts");
        foreach (var project in new[] { "nuget/TrainingGen.csproj", "nuget/traingen/traingen.csproj" })
        {
            var pack = DotNet.Run(RepoRoot, PackTimeout, "pack", project, "-c", "Release", "-o", Feed,
                "--artifacts-path", artifacts, $"-p:PackageVersion={Version}", "-nologo");
            if (!pack.Succeeded)
            {
                _packFailure = pack;
                break;
            }
        }
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        if (Root.Length == 0 || !Directory.Exists(Root)) return;
        if (Environment.GetEnvironmentVariable("TRAININGGEN_KEEP_PACKAGETESTS") == "1")
        {
            TestContext.Progress.WriteLine($"Kept {Root}");
            return;
        }
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException e) { TestContext.Progress.WriteLine($"Could not delete {Root}: {e.Message}"); }
        catch (UnauthorizedAccessException e) { TestContext.Progress.WriteLine($"Could not delete {Root}: {e.Message}"); }
    }

    /// <summary>Fails the calling test with the pack output if packing failed.</summary>
    public static void RequirePackages()
    {
        if (_packFailure is not null) Assert.Fail("dotnet pack failed:\n" + _packFailure);
        Assert.That(TrainingGenPackage, Does.Exist, $"Feed: {string.Join(", ", Directory.GetFiles(Feed).Select(Path.GetFileName))}");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TrainingGen.sln")) && Directory.Exists(Path.Combine(dir.FullName, "nuget")))
                return dir.FullName;
        throw new InvalidOperationException($"No TrainingGen.sln above {TestContext.CurrentContext.TestDirectory}.");
    }

    /// <summary>The &lt;Version&gt; of Directory.Build.props, the base of the test package version.</summary>
    private static string RepositoryVersion()
    {
        var props = XDocument.Load(Path.Combine(RepoRoot, "Directory.Build.props"));
        string? v = props.Descendants("Version").Select(e => e.Value.Trim()).FirstOrDefault(s => s.Length > 0);
        return v is null ? "0.0.0" : v.Split('-')[0];
    }

    /// <summary>
    /// nuget.config plus empty Directory.Build.* files at the root of the temporary directory, so
    /// consumer projects see nothing of any parent folder's MSBuild settings.
    /// </summary>
    private static void WriteConsumerEnvironment()
    {
        string? userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(userPackages))
            userPackages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string fallback = Directory.Exists(userPackages)
            ? $"\n  <fallbackPackageFolders>\n    <add key=\"user\" value=\"{userPackages}\" />\n  </fallbackPackageFolders>"
            : "";
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Packages}" />
              </config>
              <packageSources>
                <!-- No <clear />: the machine's usual sources (for dependencies and .NET 8 packs) plus the feed. -->
                <add key="traininggen-test-feed" value="{Feed}" />
              </packageSources>{fallback}
            </configuration>
            """);
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(Root, name), "<Project />\n");
    }
}

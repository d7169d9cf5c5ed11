using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using NUnit.Framework;

namespace TrainingGen.PackageTests;

/// <summary>The traingen tool package: installed with `dotnet tool install --tool-path` from the feed and run.</summary>
[TestFixture]
public sealed class ToolTests
{
    private static string? _toolPath;
    private static ProcessResult? _install;

    /// <summary>Installs traingen once into a private tool path; returns the command's path.</summary>
    private static string InstallTool()
    {
        if (_toolPath is not null) return _toolPath;
        PackageFeed.RequirePackages();
        Assert.That(PackageFeed.ToolPackage, Does.Exist);
        string toolDir = Path.Combine(PackageFeed.Root, "tools");
        _install ??= DotNet.Exec(DotNet.Host,
            new[] { "tool", "install", "traingen", "--tool-path", toolDir, "--add-source", PackageFeed.Feed, "--version", PackageFeed.Version },
            PackageFeed.Root, PackageFeed.BuildTimeout,
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = PackageFeed.Packages });
        Assert.That(_install.Succeeded, Is.True, "dotnet tool install failed:\n" + _install);
        string command = Path.Combine(toolDir, OperatingSystem.IsWindows() ? "traingen.exe" : "traingen");
        Assert.That(command, Does.Exist, _install.ToString());
        return _toolPath = command;
    }

    private static ProcessResult Traingen(params string[] args) =>
        DotNet.Exec(InstallTool(), args, PackageFeed.Root, PackageFeed.RunTimeout, null);

    [Test]
    public void Tool_package_is_a_dotnet_tool_named_traingen()
    {
        PackageFeed.RequirePackages();
        using var zip = ZipFile.OpenRead(PackageFeed.ToolPackage);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        var settings = entries.SingleOrDefault(e => e.StartsWith("tools/", StringComparison.Ordinal) && e.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
        Assert.That(settings, Is.Not.Null, string.Join("\n", entries));
        using var reader = new StreamReader(zip.GetEntry(settings!)!.Open());
        Assert.That(reader.ReadToEnd(), Does.Contain("Name=\"traingen\""));
        Assert.That(entries, Has.Some.EndsWith("/any/TrainingGen.Runtime.dll"), string.Join("\n", entries));
        Assert.That(entries, Has.None.Contains("Test"), string.Join("\n", entries));
    }

    [Test]
    public void Inspect_lists_functions_roles_and_parameters_of_the_consumers_package()
    {
        var seed = ConsumerTests.SeedConsumer("net10.0");
        Assume.That(seed.Run?.Succeeded == true, "needs the exported package of the net10.0 consumer:\n" + (seed.Run?.ToString() ?? seed.Build.ToString()));
        var inspect = Traingen("inspect", seed.ExportedPackage);
        Assert.That(inspect.Succeeded, Is.True, inspect.ToString());
        Assert.That(inspect.Output, Does.Contain("train_step"), inspect.ToString());
        Assert.That(inspect.Output, Does.Contain("main (default)"), inspect.ToString());
        Assert.That(inspect.Output, Does.Match(@"loss\s+fp32\s+\[1\]\s+loss"), inspect.ToString());     // output 'loss' with role 'loss'
        Assert.That(inspect.Output, Does.Match(@"x\s+fp32\s+\[2, 2\]\s+feature"), inspect.ToString());
        Assert.That(inspect.Output, Does.Contain("backend.linear_1.weight"), inspect.ToString());
        Assert.That(inspect.Output, Does.Contain("Parameters     9 values in 4 tensors"), inspect.ToString()); // Linear(2,1) + Linear(1,3)
        Assert.That(inspect.Output, Does.Contain("36 bytes"), inspect.ToString());

        var run = Traingen("run", seed.ExportedPackage, "train_step");
        Assert.That(run.Succeeded, Is.True, run.ToString());
        Assert.That(run.Output, Does.Match(@"loss\s+fp32 \[1\]\s+\[[0-9]"), run.ToString());
    }

    [Test]
    public void Inspect_reports_missing_and_corrupt_packages_with_exit_code_1()
    {
        string missing = Path.Combine(PackageFeed.Root, "no-such.mlpackage");
        var result = Traingen("inspect", missing);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("no package at"), result.ToString());

        string corrupt = Path.Combine(PackageFeed.Root, "corrupt.mlpackage");
        Directory.CreateDirectory(corrupt);
        File.WriteAllText(Path.Combine(corrupt, "Manifest.json"), "{ not json");
        result = Traingen("inspect", corrupt);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Output, Does.Contain("is not a valid Core ML package"), result.ToString());
        Assert.That(result.Output, Does.Not.Contain("   at "), "No stack trace for a bad package.\n" + result);
    }

    [Test]
    public void Installed_tool_imports_an_ONNX_model()
    {
        PackageFeed.RequirePackages();
        string onnx = Path.Combine(PackageFeed.RepoRoot, "Samples", "Data", "lenet.onnx");
        Assert.That(onnx, Does.Exist);
        string outDir = Path.Combine(PackageFeed.Root, "imported");
        var result = Traingen("import", onnx, "--name", "Net", "--namespace", "Demo", "--out", outDir);
        Assert.That(result.Succeeded, Is.True, result.ToString());
        Assert.That(result.Output, Does.Contain("Fc3 = Linear(84, 10)"), result.ToString());
        Assert.That(File.ReadAllText(Path.Combine(outDir, "Net.cs")), Does.Contain("public partial class Net"));
        Assert.That(Path.Combine(outDir, "Net.safetensors"), Does.Exist);
    }
}

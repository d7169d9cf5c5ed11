using System;
using System.Collections.Concurrent;
using System.IO;
using NUnit.Framework;

namespace TrainingGen.PackageTests;

/// <summary>
/// Fresh projects that reference the TrainingGen package only: the seed model builds, trains one
/// step and exports a Core ML training package on .NET 10 and on .NET 8 targets; a wrong model
/// stops the build with TG0001; a compiler below the floor stops it with TGCFG0001.
/// </summary>
[TestFixture]
public sealed class ConsumerTests
{
    /// <summary>One built-and-run seed consumer per target framework, shared with <see cref="ToolTests"/>.</summary>
    private static readonly ConcurrentDictionary<string, Lazy<SeedRun>> Runs = new();

    public sealed record SeedRun(Consumer Consumer, ProcessResult Build, ProcessResult? Run, string ExportedPackage);

    public static SeedRun SeedConsumer(string targetFramework) =>
        Runs.GetOrAdd(targetFramework, tfm => new Lazy<SeedRun>(() =>
        {
            PackageFeed.RequirePackages();
            var consumer = new Consumer("Seed_" + tfm.Replace(".", "_"), tfm, Consumer.SeedModel, Consumer.TrainOneStepProgram);
            var build = consumer.Build();
            string exported = Path.Combine(consumer.Directory, "out", "model.mlpackage");
            var run = build.Succeeded ? consumer.Run(exported) : null;
            return new SeedRun(consumer, build, run, exported);
        })).Value;

    [TestCase("net10.0", ".NETCoreApp,Version=v10.0")]
    [TestCase("net8.0", ".NETCoreApp,Version=v8.0")]
    public void Seed_model_builds_trains_one_step_and_exports_a_package(string targetFramework, string libraryFramework)
    {
        var seed = SeedConsumer(targetFramework);
        Assert.That(seed.Build.Succeeded, Is.True, "The consumer did not build:\n" + seed.Build);
        Consumer.AssertAnalyzersLoaded(seed.Build);

        // The generator ran from the package (EmitCompilerGeneratedFiles, as the README tells users).
        string generated = Path.Combine(seed.Consumer.GeneratedDirectory, "TrainingGen.Generator");
        Assert.That(Directory.Exists(generated) ? Directory.GetFiles(generated, "*.g.cs", SearchOption.AllDirectories) : Array.Empty<string>(),
            Is.Not.Empty, $"No generated sources under {generated}.\n{seed.Build}");

        // The runtime and its dependencies came with the package reference.
        string bin = Path.GetDirectoryName(seed.Consumer.OutputAssembly)!;
        foreach (var dll in new[] { "TrainingGen.Runtime.dll", "Google.Protobuf.dll", "System.Numerics.Tensors.dll" })
            Assert.That(Path.Combine(bin, dll), Does.Exist, seed.Build.ToString());

        var run = seed.Run!;
        Assert.That(run.Succeeded, Is.True, "The consumer did not train and export:\n" + run);
        Assert.That(run.Output, Does.Contain("loss after one step"), run.ToString());
        Assert.That(run.Output, Does.Contain("train_step"), run.ToString());
        Assert.That(run.Output, Does.Contain($"runtime library built for: {libraryFramework}"),
            $"The package's lib/{targetFramework} assembly should be used.\n{run}");
        Assert.That(Directory.Exists(seed.ExportedPackage), Is.True, run.ToString());
        Assert.That(Path.Combine(seed.ExportedPackage, "Manifest.json"), Does.Exist, run.ToString());
    }

    [Test]
    public void Wrong_model_fails_the_build_with_TG0001()
    {
        PackageFeed.RequirePackages();
        var consumer = new Consumer("WrongModel", "net10.0", Consumer.WrongModel, Consumer.TrivialProgram);
        var build = consumer.Build();
        Assert.That(build.Succeeded, Is.False, "A training model returning (pred, loss) must not build:\n" + build);
        Assert.That(build.Output, Does.Contain("error TG0001"), build.ToString());
        Assert.That(build.Output, Does.Contain("Model.cs"), "TG0001 should point into the model source.\n" + build);
        Assert.That(File.Exists(consumer.OutputAssembly), Is.False, build.ToString());
    }

    [Test]
    public void Generator_failure_CS8785_is_an_error_in_consumers()
    {
        var seed = SeedConsumer("net10.0");
        Assume.That(seed.Build.Succeeded, "needs the restored net10.0 consumer:\n" + seed.Build);
        var result = DotNet.Run(seed.Consumer.Directory, PackageFeed.BuildTimeout, "msbuild", "-nologo", "-getProperty:WarningsAsErrors");
        Assert.That(result.Succeeded, Is.True, result.ToString());
        Assert.That(result.Output, Does.Contain("CS8785"), result.ToString());

        var optOut = DotNet.Run(seed.Consumer.Directory, PackageFeed.BuildTimeout, "msbuild", "-nologo", "-getProperty:WarningsAsErrors",
            "-p:TrainingGenAllowGeneratorFailures=true");
        Assert.That(optOut.Output, Does.Not.Contain("CS8785"), optOut.ToString());
    }

    [Test]
    public void Compiler_older_than_Roslyn_4_8_stops_the_build_with_a_readable_error()
    {
        PackageFeed.RequirePackages();
        // CompilerApiVersion is how the SDK (and our targets) read the compiler's version:
        // pretend the compiler is Roslyn 4.7.
        var consumer = new Consumer("OldCompiler", "net10.0", Consumer.SeedModel, Consumer.TrainOneStepProgram);
        var build = consumer.Build("-p:CompilerApiVersion=roslyn4.7");
        Assert.That(build.Succeeded, Is.False, build.ToString());
        Assert.That(build.Output, Does.Contain("error TGCFG0001"), build.ToString());
        Assert.That(build.Output, Does.Contain("4.8 or newer").And.Contain("uses Roslyn 4.7"), build.ToString());
    }
}

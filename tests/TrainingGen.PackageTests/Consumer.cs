using System;
using System.Collections.Generic;
using System.IO;
using NUnit.Framework;

namespace TrainingGen.PackageTests;

/// <summary>
/// A fresh console project in the temporary directory that references the TrainingGen package
/// only, the way a user's project does after <c>dotnet add package TrainingGen</c>.
/// </summary>
public sealed class Consumer
{
    public Consumer(string name, string targetFramework, string modelSource, string programSource)
    {
        Name = name;
        TargetFramework = targetFramework;
        Directory = Path.Combine(PackageFeed.Root, name);
        System.IO.Directory.CreateDirectory(Directory);
        // RollForward: there is no .NET 8 runtime on the test machines, so a net8.0 app runs on the newest one.
        string rollForward = targetFramework == "net10.0" ? "" : "\n    <RollForward>LatestMajor</RollForward>";
        File.WriteAllText(Path.Combine(Directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{targetFramework}</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>{rollForward}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TrainingGen" Version="[{PackageFeed.Version}]" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(Directory, "Model.cs"), modelSource);
        File.WriteAllText(Path.Combine(Directory, "Program.cs"), programSource);
    }

    public string Name { get; }
    public string TargetFramework { get; }
    public string Directory { get; }
    public string OutputAssembly => Path.Combine(Directory, "bin", "Debug", TargetFramework, Name + ".dll");
    public string GeneratedDirectory => Path.Combine(Directory, "obj", "Debug", TargetFramework, "generated");

    public ProcessResult Build(params string[] extraArgs)
    {
        var args = new List<string> { "build", "-nologo", "-v:minimal" };
        args.AddRange(extraArgs);
        return DotNet.Run(Directory, PackageFeed.BuildTimeout, args.ToArray());
    }

    public ProcessResult Run(params string[] args)
    {
        var all = new List<string> { OutputAssembly };
        all.AddRange(args);
        return DotNet.Run(Directory, PackageFeed.RunTimeout, all.ToArray());
    }

    /// <summary>The seed model: Samples/QuickStart/Model.cs, as the README shows it.</summary>
    public static string SeedModel => File.ReadAllText(Path.Combine(PackageFeed.RepoRoot, "Samples", "QuickStart", "Model.cs"));

    /// <summary>One training step of the seed model, then the Core ML training package export.</summary>
    public const string TrainOneStepProgram = """
        using System.Reflection;
        using System.Runtime.InteropServices;
        using System.Runtime.Versioning;
        using QuickStart;
        using TrainingGen;

        string output = args[0];
        var x = new Tensor(2, 2);
        var y = new Tensor(2, 3);
        for (int i = 0; i < x.Count; i++) x.Data[i] = 0.25f * (i + 1);
        for (int i = 0; i < y.Count; i++) y.Data[i] = 0.5f * (i - 2);

        var trainer = ModelToExport.CreateTrainer(batchSize: 2, seed: 0);
        float loss = trainer.Step(x, y);
        Console.WriteLine($"loss after one step: {loss}");
        trainer.ExportPackage(output);

        using var evaluator = Evaluator.Open(output);
        Console.WriteLine($"exported: {output}");
        Console.WriteLine($"functions: {string.Join(", ", evaluator.Functions)}");
        Console.WriteLine($"runtime library built for: {typeof(Evaluator).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName}");
        Console.WriteLine($"running on: {RuntimeInformation.FrameworkDescription}");
        return float.IsFinite(loss) && loss > 0 && Directory.Exists(output) ? 0 : 1;
        """;

    /// <summary>
    /// The seed model with the mistake TG0001 exists for: the training model returns (pred, loss).
    /// Made from <see cref="SeedModel"/> so the two cannot drift apart.
    /// </summary>
    public static string WrongModel
    {
        get
        {
            const string right = "public (Tensor Loss, Tensor Pred) Forward(", rightReturn = "return (Criteria.Mse(pred, y), pred);";
            string seed = SeedModel;
            if (!seed.Contains(right, StringComparison.Ordinal) || !seed.Contains(rightReturn, StringComparison.Ordinal))
                throw new InvalidOperationException("Samples/QuickStart/Model.cs no longer has the seed's Forward; update WrongModel.");
            return seed.Replace("namespace QuickStart;", "namespace WrongConsumer;")
                .Replace(right, "public (Tensor Pred, Tensor Loss) Forward(")
                .Replace(rightReturn, "return (pred, Criteria.Mse(pred, y));   // prediction first: TG0001");
        }
    }

    public const string TrivialProgram = """
        System.Console.WriteLine("built");
        """;

    /// <summary>Asserts the build log shows our generator and analyzers were loaded and did not fail.</summary>
    public static void AssertAnalyzersLoaded(ProcessResult build)
    {
        foreach (var id in new[] { "CS8032", "CS8784", "CS8785", "CS9057", "TGCFG0001" })
            Assert.That(build.Output, Does.Not.Contain(id), $"{id}: the package's generator or analyzers did not load or run.\n{build}");
    }
}

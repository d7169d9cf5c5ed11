using System.Diagnostics;
using System.IO;
using NUnit.Framework;

namespace TrainingGen.Samples.Tests;

/// <summary>Every sample's Program runs to completion and exits with 0 (as `dotnet run --project Samples/…` would).</summary>
public class SmokeTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => _dir = TestUtil.TempDir();
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static int Run(System.Reflection.Assembly sample, params string[] args)
    {
        var watch = Stopwatch.StartNew();
        int code = TestUtil.RunProgram(sample, args);
        TestContext.Out.WriteLine($"{sample.GetName().Name} exited with {code} after {watch.Elapsed.TotalSeconds:F1} s");
        return code;
    }

    [Test]
    public void QuickStart_program_succeeds() =>
        Assert.That(Run(typeof(QuickStart.ModelToExport).Assembly, Path.Combine(_dir, "model.mlpackage")), Is.EqualTo(0));

    [Test]
    public void FashionMnist_program_succeeds_on_the_digits_set() =>
        // The full Fashion-MNIST run is FashionMnistTests; here the Program on the always-present digits set.
        Assert.That(Run(typeof(FashionMnist.FashionMnistSample).Assembly, "--digits"), Is.EqualTo(0));

    [Test]
    public void Personalization_program_succeeds() =>
        Assert.That(Run(typeof(Personalization.PersonalizationSample).Assembly, "--out", _dir), Is.EqualTo(0));
}

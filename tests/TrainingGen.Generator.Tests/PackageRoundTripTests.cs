using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Tests;

/// <summary>Every training model compiled into this assembly: its package survives write → read → write byte for byte.</summary>
public class PackageRoundTripTests
{
    public static IEnumerable<TestCaseData> Models() =>
        typeof(PackageRoundTripTests).Assembly.GetTypes()
            .Where(t => t.GetMethod("CreateTrainer", BindingFlags.Public | BindingFlags.Static) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => new TestCaseData(t).SetArgDisplayNames(t.Name));

    [TestCaseSource(nameof(Models))]
    public void Write_read_write_is_byte_identical(Type model)
    {
        var trainer = (ITrainer)model.GetMethod("CreateTrainer")!.Invoke(null, new object[] { 2, 0 })!;
        string dir = TestUtil.TempDir();
        try
        {
            string a = Path.Combine(dir, "a.mlpackage"), b = Path.Combine(dir, "b.mlpackage");
            trainer.ExportPackage(a);
            var read = MlPackage.Open(a);
            MlPackage.Write(b, read);
            foreach (var file in Directory.GetFiles(a, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(a, file);
                Assert.That(File.ReadAllBytes(Path.Combine(b, rel)), Is.EqualTo(File.ReadAllBytes(file)), rel);
            }
            Assert.That(read.Program.Functions.Select(f => f.Name), Is.EquivalentTo(new[] { "main", "init", "forward", "backward", "update", "train_step" }));
            Assert.That(MilTextPrinter.Print(read.Program), Does.StartWith("program(1.0)\n").And.Contains("func train_step<ios18>("));
        }
        finally { Directory.Delete(dir, true); }
    }
}

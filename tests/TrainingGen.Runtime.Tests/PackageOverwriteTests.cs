using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// A package write replaces only a package (ours or coremltools'); anything else at the path is
/// refused and left as it was. Temporaries of a killed writer are cleaned up by the next write.
/// </summary>
[TestFixture]
public class PackageOverwriteTests : TempDirFixture
{
    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }

    private static OverwriteRefusedException Refused(string path, string reasonPart)
    {
        var before = Directory.Exists(path) ? PackageSamples.Files(path) : null;
        var e = Assert.Throws<OverwriteRefusedException>(() => MlPackage.Write(path, PackageSamples.MultiFunction()))!;
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        Assert.That(e.Message, Does.Contain($"'{full}'").And.Contain(reasonPart));
        Assert.That(e.DestinationPath, Is.EqualTo(full));
        if (before is not null)
        {
            var after = PackageSamples.Files(path);
            Assert.That(after.Keys, Is.EqualTo(before.Keys), "nothing in the folder is removed or added");
            foreach (var k in before.Keys) Assert.That(after[k], Is.EqualTo(before[k]), k);
        }
        return e;
    }

    [Test]
    public void A_folder_of_other_files_is_refused_and_kept()
    {
        string notes = Path.Combine(_dir, "out");
        Directory.CreateDirectory(Path.Combine(notes, "sub"));
        File.WriteAllText(Path.Combine(notes, "notes.txt"), "keep me");
        File.WriteAllText(Path.Combine(notes, "sub", "more.txt"), "and me");
        Refused(notes, "holds 'notes.txt'");
        Assert.That(File.ReadAllText(Path.Combine(notes, "notes.txt")), Is.EqualTo("keep me"));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.EqualTo(new[] { notes }), "no temporaries left behind");
    }

    [Test]
    public void The_current_directory_is_refused_and_kept()
    {
        // "." resolves to the directory it names: here _dir, which holds a file of the user's.
        File.WriteAllText(Path.Combine(_dir, "train.csv"), "1,2,3");
        Refused(Path.Combine(_dir, "."), "holds 'train.csv'");
        Assert.That(File.ReadAllText(Path.Combine(_dir, "train.csv")), Is.EqualTo("1,2,3"));
    }

    [Test]
    public void An_empty_folder_is_replaced_since_it_holds_nothing_to_lose()
    {
        string empty = Path.Combine(_dir, "empty.mlpackage");
        Directory.CreateDirectory(empty);
        MlPackage.Write(empty, PackageSamples.MultiFunction());
        Assert.That(File.Exists(Path.Combine(empty, "Manifest.json")));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.EqualTo(new[] { empty }), "no temporaries left behind");
    }

    [Test]
    public void The_current_directory_is_refused_even_when_empty()
    {
        string cwd = Path.Combine(_dir, "work");
        Directory.CreateDirectory(cwd);
        string before = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = cwd;
            Refused(".", "it is the current directory");
        }
        finally { Environment.CurrentDirectory = before; }
        Assert.That(Directory.Exists(cwd));
    }

    [Test]
    public void A_package_with_anything_else_at_its_top_level_is_refused()
    {
        string pkg = Path.Combine(_dir, "Sample.mlpackage");
        MlPackage.Write(pkg, PackageSamples.Stateful());
        File.WriteAllText(Path.Combine(pkg, "README.txt"), "my notes about this model");
        Refused(pkg, "holds 'README.txt'");
    }

    [Test]
    public void A_manifest_without_a_root_model_item_is_refused()
    {
        string pkg = Path.Combine(_dir, "Sample.mlpackage");
        MlPackage.Write(pkg, PackageSamples.Stateful());
        File.WriteAllText(PackageSamples.ManifestFile(pkg), "{\"fileFormatVersion\": \"1.0.0\", \"itemInfoEntries\": {}, \"rootModelIdentifier\": \"X\"}");
        Refused(pkg, "does not name a root model item");
        File.WriteAllText(PackageSamples.ManifestFile(pkg), "not json");
        Refused(pkg, "does not name a root model item");
    }

    [Test]
    public void A_file_at_the_path_is_refused_and_kept()
    {
        string file = Path.Combine(_dir, "model.mlpackage");
        File.WriteAllText(file, "a file");
        Refused(file, "is a file");
        Assert.That(File.ReadAllText(file), Is.EqualTo("a file"));
    }

    [Test]
    public void A_package_written_by_coremltools_is_replaced()
    {
        string pkg = Path.Combine(_dir, "mlp_inference.mlpackage");
        CopyTree(FixtureReadTests.Package("mlp_inference"), pkg);
        MlPackage.Write(pkg, PackageSamples.MultiFunction());
        Assert.That(MlPackage.Open(pkg).Functions.Select(f => f.Name), Is.EqualTo(new[] { "main", "embed" }));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.EqualTo(new[] { pkg }));
    }

    [Test]
    public void A_damaged_package_of_ours_is_replaced()
    {
        string pkg = Path.Combine(_dir, "Sample.mlpackage");
        MlPackage.Write(pkg, PackageSamples.Stateful());
        File.Delete(PackageSamples.WeightFile(pkg));
        File.WriteAllBytes(PackageSamples.ModelFile(pkg), new byte[] { 1, 2, 3 });
        MlPackage.Write(pkg, PackageSamples.MultiFunction());
        Assert.That(MlPackage.Open(pkg).IsMultiFunction, Is.True);
    }

    // ---- temporaries of a killed writer ----

    private const string DeadPid = "2147483647";   // above any pid_max: never a running process

    private string Litter(string leaf, string suffix, bool asPackage)
    {
        string p = Path.Combine(_dir, $".{leaf}.{suffix}");
        if (asPackage) MlPackage.Write(p, PackageSamples.Stateful());
        else { Directory.CreateDirectory(Path.Combine(p, "Data")); File.WriteAllBytes(Path.Combine(p, "Data", "weight.bin"), new byte[1000]); }
        return p;
    }

    [Test]
    public void Temporaries_of_dead_writers_are_removed_by_the_next_write_and_live_ones_are_kept()
    {
        const string leaf = "model.mlpackage";
        string pkg = Path.Combine(_dir, leaf);
        MlPackage.Write(pkg, PackageSamples.Stateful());
        string legacyTmp = Litter(leaf, "tmp-" + Guid.NewGuid().ToString("N"), false);     // the names main wrote
        string legacyOld = Litter(leaf, "old-" + Guid.NewGuid().ToString("N"), true);
        string deadTmp = Litter(leaf, $"tmp-{DeadPid}-{Guid.NewGuid():N}", false);
        string liveTmp = Litter(leaf, $"tmp-{Environment.ProcessId}-{Guid.NewGuid():N}", false);   // a write in progress
        string otherLeaf = Litter("other.mlpackage", "tmp-" + Guid.NewGuid().ToString("N"), false); // another path's

        MlPackage.Write(pkg, PackageSamples.MultiFunction());

        Assert.That(Directory.Exists(legacyTmp) || Directory.Exists(legacyOld) || Directory.Exists(deadTmp), Is.False, "stale temporaries removed");
        Assert.That(Directory.Exists(liveTmp), Is.True, "a temporary of a running writer is left alone");
        Assert.That(Directory.Exists(otherLeaf), Is.True, "only temporaries of the path written are touched");
        Assert.That(MlPackage.Open(pkg).IsMultiFunction, Is.True);
    }

    [Test]
    public void A_package_left_aside_by_a_writer_killed_mid_replace_is_restored_not_deleted()
    {
        // The writer moved the old package to .old-… and died before moving the new one in: the
        // destination is missing and the .old- directory is the only copy of the user's model.
        const string leaf = "model.mlpackage";
        string pkg = Path.Combine(_dir, leaf);
        string aside = Litter(leaf, $"old-{DeadPid}-{Guid.NewGuid():N}", true);
        var saved = PackageSamples.Files(aside);

        // The next write fails after the clean-up: the package must be back in place.
        Assert.Throws<InvalidOperationException>(() =>
            AtomicFile.WriteDirectory(pkg, _ => throw new InvalidOperationException("disk full"), PackageManifest.WhyNotReplaceable));
        Assert.That(PackageSamples.Files(pkg), Is.EqualTo(saved));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.EqualTo(new[] { pkg }));
    }
}

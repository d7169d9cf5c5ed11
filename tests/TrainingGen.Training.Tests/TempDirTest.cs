using System.IO;
using NUnit.Framework;

namespace TrainingGen.Training.Tests;

/// <summary>A fixture with a fresh temporary directory per test (<c>_dir</c>), deleted afterwards.</summary>
public abstract class TempDirTest
{
    protected string _dir = "";
    [SetUp] public void CreateTempDir() => _dir = TestUtil.TempDir();
    [TearDown] public void DeleteTempDir() { try { Directory.Delete(_dir, true); } catch (IOException) { } }
}

using System;
using System.IO;
using NUnit.Framework;

namespace TrainingGen.Runtime.Tests;

/// <summary>A fixture with a fresh temporary directory per test (<c>_dir</c>), deleted afterwards.</summary>
public abstract class TempDirFixture
{
    protected string _dir = null!;

    [SetUp]
    public void CreateTempDir()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"tg-{GetType().Name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteTempDir()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }
}

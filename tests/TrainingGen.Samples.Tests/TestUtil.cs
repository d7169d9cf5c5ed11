using System;
using System.IO;
using System.Reflection;

namespace TrainingGen.Samples.Tests;

internal static class TestUtil
{
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "traininggen-samples-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs a sample's Program (its entry point, in this process) with <paramref name="args"/>; returns the exit code.</summary>
    public static int RunProgram(Assembly sample, params string[] args)
    {
        var main = sample.EntryPoint ?? throw new InvalidOperationException($"{sample.GetName().Name} has no entry point.");
        object?[] parameters = main.GetParameters().Length == 0 ? Array.Empty<object?>() : new object?[] { args };
        try
        {
            return main.Invoke(null, parameters) is int code ? code : 0;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;

namespace TrainingGen.PackageTests;

/// <summary>The result of a child process: exit code and the interleaved stdout/stderr.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>For assertion messages: the command, exit code, time and the captured output (the tail when long).</summary>
    public override string ToString()
    {
        const int max = 12000;
        string output = Output.Length <= max ? Output : "...\n" + Output.Substring(Output.Length - max);
        return $"$ {Command}\nexit code {ExitCode} after {Elapsed.TotalSeconds:F1} s\n{output}";
    }
}

/// <summary>
/// Runs <c>dotnet</c> (and the programs it installs) as child processes with a timeout, capturing
/// the output, in a clean and quiet environment: no telemetry or first-run messages, no MSBuild
/// node reuse, MSBuild server or compiler server left behind, and none of the MSBuild variables of the `dotnet test`
/// process that runs these tests.
/// </summary>
public static class DotNet
{
    /// <summary>The dotnet host running these tests (so children use the same SDK), else the one on PATH.</summary>
    public static string Host { get; } = FindHost();

    private static string FindHost()
    {
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet") return process;
        return "dotnet";
    }

    public static ProcessResult Run(string workingDirectory, TimeSpan timeout, params string[] args) =>
        Exec(Host, args, workingDirectory, timeout, null);

    public static ProcessResult Exec(string fileName, IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? extraEnvironment)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        ConfigureEnvironment(psi.Environment);
        if (extraEnvironment is not null)
            foreach (var kv in extraEnvironment) psi.Environment[kv.Key] = kv.Value;

        string command = fileName == Host ? "dotnet" : fileName;
        command += " " + string.Join(" ", args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        var output = new StringBuilder();
        using var stdoutDone = new ManualResetEventSlim();
        using var stderrDone = new ManualResetEventSlim();
        void Append(string? line) { if (line is not null) lock (output) output.AppendLine(line); }

        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is null) stdoutDone.Set(); else Append(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is null) stderrDone.Set(); else Append(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        int exitCode;
        if (process.WaitForExit((int)timeout.TotalMilliseconds))
        {
            exitCode = process.ExitCode;
        }
        else
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit(10_000);
            Append($"[timed out after {timeout.TotalSeconds:F0} s; killed]");
            exitCode = -1;
        }
        // A compiler server started by the build may hold the pipes open: wait briefly, not for it.
        stdoutDone.Wait(TimeSpan.FromSeconds(5));
        stderrDone.Wait(TimeSpan.FromSeconds(5));
        watch.Stop();
        string text;
        lock (output) text = output.ToString();
        var result = new ProcessResult(command, exitCode, text, watch.Elapsed);
        TestLog.Write(result);
        return result;
    }

    private static void ConfigureEnvironment(IDictionary<string, string?> env)
    {
        // Variables the SDK sets for the processes it starts (the test host among them): they would
        // point a child build at this process's MSBuild instead of letting it start cleanly.
        foreach (var key in env.Keys.ToList())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) ||
                key.StartsWith("MSBUILD", StringComparison.Ordinal) ||
                key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) ||
                key is "DOTNET_HOST_PATH" or "DOTNET_ROLL_FORWARD" or "DOTNET_ROLL_FORWARD_TO_PRERELEASE" ||
                key.StartsWith("NUGET_PACKAGES", StringComparison.OrdinalIgnoreCase))
                env.Remove(key);
        }
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["DOTNET_NOLOGO"] = "1";
        env["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        env["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";
        env["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1";
        env["DOTNET_ADD_GLOBAL_TOOLS_TO_PATH"] = "false";
        env["DOTNET_CLI_UI_LANGUAGE"] = "en";
        env["MSBUILDDISABLENODEREUSE"] = "1";
        env["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        env["UseSharedCompilation"] = "false";   // no compiler server outliving the tests
        env["NUGET_XMLDOC_MODE"] = "skip";
        // The apphost of an installed tool looks for the runtime next to the host used here.
        if (Path.IsPathRooted(Host)) env["DOTNET_ROOT"] = Path.GetDirectoryName(Host);
    }
}

/// <summary>Every child process, its time and output, for the test log (visible with --logger "console;verbosity=detailed").</summary>
public static class TestLog
{
    public static void Write(ProcessResult result) =>
        NUnit.Framework.TestContext.Progress.WriteLine($"[{result.Elapsed.TotalSeconds,6:F1} s] exit {result.ExitCode}: {result.Command}");
}

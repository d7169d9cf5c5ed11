using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace TrainingGen;

/// <summary>
/// Names and clean-up of the hidden siblings <see cref="AtomicFile"/> writes through:
/// <c>.{name}.tmp-{pid}-{guid}</c> (the new content being built) and <c>.{name}.old-{pid}-{guid}</c>
/// (a package stepping aside for its replacement). A process killed mid-write leaves them behind;
/// the next write to the same path removes those whose writer is gone.
/// <para>The writer's process id is in the name so that a write still in progress (another live
/// process, or this one) is never disturbed. Names written before the id was added
/// (<c>.{name}.tmp-{guid}</c>, <c>.{name}.old-{guid}</c>, <c>.{name}.{guid}.tmp</c>) count as stale.</para>
/// <para>An <c>.old-</c> directory is the previous package itself when its writer died between
/// moving it aside and moving the new one in: if the destination is missing, the newest such
/// directory is moved back rather than deleted, so no package is ever lost.</para>
/// </summary>
internal static class StaleTemporaries
{
    public const string TempKind = "tmp";
    public const string OldKind = "old";

    private static readonly Regex Pattern = new(
        @"^(?:(?<kind>tmp|old)-(?:(?<pid>\d{1,10})-)?[0-9a-f]{32}|[0-9a-f]{32}\.tmp)$",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);

    /// <summary>A fresh sibling name for <paramref name="leaf"/> in <paramref name="dir"/>.</summary>
    public static string NewName(string dir, string leaf, string kind) =>
        Path.Combine(dir, $".{leaf}.{kind}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");

    /// <summary>
    /// Removes the stale temporaries of <paramref name="leaf"/> in <paramref name="dir"/>. With
    /// <paramref name="restoreDirectory"/>, a missing destination is first restored from the newest
    /// stale <c>.old-</c> directory. Failures to delete are ignored (the write itself goes on).
    /// </summary>
    public static void Clean(string dir, string leaf, bool restoreDirectory)
    {
        string prefix = "." + leaf + ".";
        string[] stale;
        try
        {
            stale = Directory.EnumerateFileSystemEntries(dir, prefix + "*", SearchOption.TopDirectoryOnly)
                .Where(p => IsStale(Path.GetFileName(p).Substring(prefix.Length)))
                .ToArray();
        }
        catch (IOException) { return; }
        catch (UnauthorizedAccessException) { return; }
        if (stale.Length == 0) return;

        string target = Path.Combine(dir, leaf);
        if (restoreDirectory && !Directory.Exists(target) && !File.Exists(target))
        {
            var newestOld = stale
                .Where(p => Path.GetFileName(p).Substring(prefix.Length).StartsWith(OldKind + "-", StringComparison.Ordinal) && Directory.Exists(p))
                .OrderByDescending(Directory.GetLastWriteTimeUtc)
                .FirstOrDefault();
            if (newestOld is not null) Directory.Move(newestOld, target);
        }
        foreach (var p in stale)
        {
            try
            {
                if (Directory.Exists(p)) Directory.Delete(p, recursive: true);
                else if (File.Exists(p)) File.Delete(p);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsStale(string suffix)
    {
        var m = Pattern.Match(suffix);
        if (!m.Success) return false;
        var pid = m.Groups["pid"];
        if (!pid.Success) return true;
        if (!int.TryParse(pid.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int id)) return true;
        return id != Environment.ProcessId && !IsRunning(id);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}

using System;
using System.IO;
using System.Linq;

namespace TrainingGen;

/// <summary>
/// The one way TrainingGen writes files and packages (checkpoints, safetensors, <c>.mlpackage</c>
/// directories): build the new content completely in a hidden temporary sibling, flush it and its
/// directory to disk, then move it over the destination. A failure leaves whatever was at the
/// destination untouched and deletes the temporary.
/// <para>The destination is replaced only when it is recognisably what is being written (the
/// caller's recogniser says so: a checkpoint header, a safetensors header, a package manifest);
/// anything else — a folder of notes, the current directory, a file of another format, a directory
/// where a file goes — is refused with an <see cref="OverwriteRefusedException"/> and left alone.</para>
/// <para>Temporaries left by a process killed mid-write are removed by the next write to the same
/// path (<see cref="StaleTemporaries"/>).</para>
/// </summary>
internal static class AtomicFile
{
    /// <summary>Says why the existing destination must not be replaced, or null when it may be.</summary>
    public delegate string? Recogniser(string existingPath);

    /// <summary>Writes a single file at <paramref name="path"/> through <paramref name="write"/>.</summary>
    public static void Write(string path, Action<Stream> write, Recogniser whyNotReplaceable)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("The path is empty.", nameof(path));
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        string leaf = Path.GetFileName(full);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"The directory '{dir}' does not exist.");
        if (Directory.Exists(full))
            throw new OverwriteRefusedException(full, "it is a directory, and a directory is never replaced by a file");
        StaleTemporaries.Clean(dir, leaf, restoreDirectory: false);
        if (File.Exists(full) && whyNotReplaceable(full) is string why) throw new OverwriteRefusedException(full, why);

        string temp = StaleTemporaries.NewName(dir, leaf, StaleTemporaries.TempKind);
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            DirectorySync.Flush(dir);
        }
        catch
        {
            try { if (File.Exists(temp)) File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Writes a directory (a package) at <paramref name="path"/>: <paramref name="fill"/> receives an
    /// empty temporary directory to write into (use <see cref="WriteAllBytes"/> so files are flushed).
    /// </summary>
    public static void WriteDirectory(string path, Action<string> fill, Recogniser whyNotReplaceable)
    {
        ArgumentNullException.ThrowIfNull(path);
        string target = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{path}' has no parent directory.", nameof(path));
        string leaf = Path.GetFileName(target);
        if (File.Exists(target))
            throw new OverwriteRefusedException(target, "it is a file, and a file is never replaced by a package directory");
        Directory.CreateDirectory(parent);
        StaleTemporaries.Clean(parent, leaf, restoreDirectory: true);
        if (Directory.Exists(target))
        {
            // The process's own working directory is never moved aside, even when empty.
            if (string.Equals(target, Path.GetFullPath(Environment.CurrentDirectory).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
                throw new OverwriteRefusedException(target, "it is the current directory");
            // An empty directory holds nothing to lose (e.g. one the user made for the export), so it
            // is replaced; anything else only when the recogniser says it is a package.
            if (Directory.EnumerateFileSystemEntries(target).Any() && whyNotReplaceable(target) is string why)
                throw new OverwriteRefusedException(target, why);
        }

        string temp = StaleTemporaries.NewName(parent, leaf, StaleTemporaries.TempKind);
        try
        {
            Directory.CreateDirectory(temp);
            fill(temp);
            foreach (var d in Directory.EnumerateDirectories(temp, "*", SearchOption.AllDirectories)) DirectorySync.Flush(d);
            DirectorySync.Flush(temp);
            ReplaceDirectory(temp, target, parent, leaf);
            DirectorySync.Flush(parent);
        }
        finally
        {
            if (Directory.Exists(temp)) TryDelete(temp);
        }
    }

    /// <summary>Writes a file inside a directory being built by <see cref="WriteDirectory"/>, flushed to disk.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        fs.Write(bytes);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>Up to <paramref name="count"/> bytes from the start of a file (for recognisers).</summary>
    public static byte[] ReadPrefix(string path, int count)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[count];
        int n = 0, r;
        while (n < count && (r = fs.Read(buffer, n, count - n)) > 0) n += r;
        return n == count ? buffer : buffer.AsSpan(0, n).ToArray();
    }

    // A directory cannot be renamed over another, so the old one steps aside first; if the new one
    // cannot take its place, the old one goes back. A process killed between the two moves leaves
    // the old one under its .old- name, and the next write restores it (StaleTemporaries.Clean).
    private static void ReplaceDirectory(string temp, string target, string parent, string leaf)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temp, target);
            return;
        }
        string old = StaleTemporaries.NewName(parent, leaf, StaleTemporaries.OldKind);
        Directory.Move(target, old);
        try
        {
            Directory.Move(temp, target);
        }
        catch
        {
            Directory.Move(old, target);
            throw;
        }
        TryDelete(old);
    }

    internal static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

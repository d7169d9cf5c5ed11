using System;
using System.IO;

namespace TrainingGen;

/// <summary>
/// Writes a file atomically: the content goes to a temporary file in the same directory, which is
/// flushed to disk and then moved over the destination. If anything fails, the temporary file is
/// deleted and whatever was at the destination before is untouched.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("The path is empty.", nameof(path));
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"The directory '{dir}' does not exist.");
        if (Directory.Exists(full)) throw new IOException($"'{full}' is a directory.");
        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { if (File.Exists(temp)) File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}

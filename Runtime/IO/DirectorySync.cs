using System;
using System.Runtime.InteropServices;

namespace TrainingGen;

/// <summary>
/// Flushes a directory's entries to disk (fsync on the directory), so that a rename that has
/// returned survives a power loss. POSIX only: .NET has no API for it, and Windows commits
/// renames through its own journal. Best effort — a file system that refuses is not an error.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;   // O_RDONLY on Linux and macOS

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            int fd = Open(directory, ReadOnly);
            if (fd < 0) return;
            try { FSync(fd); }
            finally { Close(fd); }
        }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}

using System.IO;

namespace TrainingGen;

/// <summary>
/// A write was refused because the destination exists and is not recognisably what is being
/// written (a folder that is not a Core ML package, a file that is not a checkpoint, a directory
/// where a file goes, ...). Nothing was written and the destination is untouched.
/// </summary>
public sealed class OverwriteRefusedException : IOException
{
    public OverwriteRefusedException(string path, string reason)
        : base($"Refusing to replace '{path}': {reason}. Nothing was written; remove it yourself or choose another path.")
    {
        DestinationPath = path; Reason = reason;
    }

    /// <summary>The destination that was left alone (full path).</summary>
    public string DestinationPath { get; }
    /// <summary>Why it is not replaced.</summary>
    public string Reason { get; }
}

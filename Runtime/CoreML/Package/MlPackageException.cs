using System;

namespace TrainingGen.CoreML;

/// <summary>
/// A Core ML package could not be written or read. The message names the file (for example
/// <c>weight.bin</c>, <c>model.mlmodel</c>, <c>Manifest.json</c>), the field and the rule that failed.
/// </summary>
public sealed class MlPackageException : Exception
{
    public MlPackageException(string message) : base(message) { }
    public MlPackageException(string message, Exception innerException) : base(message, innerException) { }

    internal static MlPackageException At(string file, string field, string rule) => new($"{file}: {field}: {rule}");
}

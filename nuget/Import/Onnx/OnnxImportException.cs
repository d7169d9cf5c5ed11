using System;

namespace TrainingGen.Import.Onnx;

/// <summary>
/// An ONNX file that cannot be read or imported. The message is one sentence for the user: the file,
/// and for a graph problem the node's name, its op type and the opset it was exported with.
/// </summary>
public sealed class OnnxImportException : Exception
{
    public OnnxImportException(string message) : base(message) { }
    public OnnxImportException(string message, Exception inner) : base(message, inner) { }
}

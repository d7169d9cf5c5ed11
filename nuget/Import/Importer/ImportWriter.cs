using System;
using System.IO;
using System.Text;

namespace TrainingGen.Import;

/// <summary>Writes an <see cref="ImportResult"/> as <c>DIR/Name.cs</c> and <c>DIR/Name.safetensors</c>, each atomically.</summary>
public static class ImportWriter
{
    /// <summary>
    /// Writes both files into <paramref name="directory"/> (created if missing). An existing
    /// <c>Name.cs</c> is replaced only if it is an earlier import (it starts with the importer's
    /// header); anything else is refused with <see cref="OverwriteRefusedException"/>, as is a
    /// <c>Name.safetensors</c> that is not a safetensors file. Returns the two paths.
    /// </summary>
    public static (string Source, string Weights) Write(ImportResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        string source = Path.Combine(directory, result.ClassName + ".cs");
        string weights = Path.Combine(directory, result.ClassName + ".safetensors");
        // Refuse before writing anything, so a refused import leaves no half of its output.
        if (File.Exists(source) && WhyNotReplaceable(source) is string why) throw new OverwriteRefusedException(Path.GetFullPath(source), why);
        SafeTensors.Write(weights, System.Linq.Enumerable.Select(result.Weights, w => w.IsInt64
                ? SafeTensor.Int64(w.Name, w.Shape, System.Array.ConvertAll(w.Values, v => (long)v))
                : SafeTensor.Float32(w.Name, w.Shape, w.Values)),
            new System.Collections.Generic.Dictionary<string, string> { ["format"] = "pt", ["source"] = "traingen import" });
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(result.Source);
        AtomicFile.Write(source, s => s.Write(bytes), WhyNotReplaceable);
        return (source, weights);
    }

    private static string? WhyNotReplaceable(string path)
    {
        var head = AtomicFile.ReadPrefix(path, CSharpModelWriter.HeaderPrefix.Length);
        return Encoding.UTF8.GetString(head) == CSharpModelWriter.HeaderPrefix
            ? null
            : "it is not a file written by traingen import (its first line is not \"" + CSharpModelWriter.HeaderPrefix + "…\"); move it away or choose another --name";
    }
}

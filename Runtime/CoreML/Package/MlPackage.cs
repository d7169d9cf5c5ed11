using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Google.Protobuf;
using TrainingGen.CoreML.Mil;
using PbSpec = TrainingGen.CoreML.Proto;

namespace TrainingGen.CoreML;

/// <summary>
/// Reads and writes Core ML ML Program packages (<c>.mlpackage</c> directories, coreml-format.md §1):
/// <c>Manifest.json</c>, <c>Data/com.apple.CoreML/model.mlmodel</c> and
/// <c>Data/com.apple.CoreML/weights/weight.bin</c>.
/// </summary>
public static class MlPackage
{
    private const string ModelDirectory = "Data/com.apple.CoreML";

    /// <summary>
    /// Writes <paramref name="spec"/> as a package at <paramref name="path"/>. The package is
    /// built completely in a temporary sibling directory, flushed, and then moved into place; an
    /// existing package is replaced only once the new one is complete, so a failure leaves it intact.
    /// Only a package (a <c>Manifest.json</c> naming a root model, nothing else at the top level but
    /// <c>Data/</c>) is ever replaced: any other folder or file at <paramref name="path"/> is refused.
    /// Output is deterministic: writing the same spec twice gives byte-identical files.
    /// </summary>
    /// <exception cref="MlPackageException">The spec breaks a format rule.</exception>
    /// <exception cref="OverwriteRefusedException"><paramref name="path"/> exists and is not a package.</exception>
    public static void Write(string path, MlModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(spec);

        // Everything that can fail on the model happens before the disk is touched.
        var blobs = new WeightBlobWriter();
        var model = ModelProtoWriter.ToProto(spec, blobs);
        ModelValidator.Validate(model);
        byte[] modelBytes = model.ToByteArray();
        byte[] weightBytes = blobs.ToArray();
        byte[] manifest = Encoding.UTF8.GetBytes(PackageManifest.Render());

        AtomicFile.WriteDirectory(path, dir =>
        {
            string dataDir = Path.Combine(dir, ModelDirectory);
            Directory.CreateDirectory(Path.Combine(dataDir, "weights"));
            AtomicFile.WriteAllBytes(Path.Combine(dataDir, "model.mlmodel"), modelBytes);
            AtomicFile.WriteAllBytes(Path.Combine(dataDir, "weights", WeightBlobFormat.DefaultFileName), weightBytes);
            AtomicFile.WriteAllBytes(Path.Combine(dir, PackageManifest.FileName), manifest);
        }, PackageManifest.WhyNotReplaceable);
    }

    /// <summary>
    /// Opens and validates a package and loads the whole model, including every blob-stored
    /// const (as the <c>val</c> attribute of its <c>const</c> op).
    /// </summary>
    /// <exception cref="MlPackageException">The package breaks a format rule; the message names file, field and rule.</exception>
    public static MlModelSpec Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path))
            throw new MlPackageException($"{path}: the package directory does not exist");
        var info = PackageManifest.Read(path);

        PbSpec.Model model;
        try
        {
            model = PbSpec.Model.Parser.ParseFrom(File.ReadAllBytes(info.ModelFile));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new MlPackageException($"model.mlmodel: not a valid Core ML Model protobuf: {e.Message}", e);
        }
        ModelValidator.Validate(model);

        var readers = new Dictionary<string, WeightBlobReader>(StringComparer.Ordinal);
        // The standard weight file is validated even when no const refers to it.
        string standard = Path.Combine(info.WeightsDirectory, WeightBlobFormat.DefaultFileName);
        if (File.Exists(standard))
            readers.Add(WeightBlobFormat.DefaultFileName, new WeightBlobReader(File.ReadAllBytes(standard), WeightBlobFormat.DefaultFileName));

        WeightBlobReader Resolve(string fileName, string where)
        {
            const string prefix = "@model_path/weights/";
            if (!fileName.StartsWith(prefix, StringComparison.Ordinal))
                throw MlPackageException.At("model.mlmodel", where, $"'{fileName}' must start with '{prefix}'");
            string name = fileName.Substring(prefix.Length);
            if (name.Length == 0 || name.IndexOfAny(new[] { '/', '\\' }) >= 0 || name == "." || name == "..")
                throw MlPackageException.At("model.mlmodel", where, $"'{fileName}' must name a file directly inside weights/");
            if (readers.TryGetValue(name, out var r)) return r;
            string file = Path.Combine(info.WeightsDirectory, name);
            if (!File.Exists(file))
                throw MlPackageException.At("model.mlmodel", where, $"'{fileName}' does not exist in the package ({ModelDirectory}/weights/{name})");
            r = new WeightBlobReader(File.ReadAllBytes(file), name);
            readers.Add(name, r);
            return r;
        }

        return ModelProtoReader.FromProto(model, Resolve);
    }
}

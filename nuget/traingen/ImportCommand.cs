// `traingen import model.onnx --name Net [--namespace N] [--out DIR]`: an ONNX model → a [Model] C# class + safetensors weights.
using System;
using System.IO;
using TrainingGen.Import;
using TrainingGen.Import.Onnx;

namespace TrainingGen.Tool;

internal static class ImportCommand
{
    internal const string Usage =
        "  traingen import <model.onnx> --name <Class> [--namespace <N>] [--out <dir>] [--no-state-dict-names]\n" +
        "      Writes <dir>/<Class>.cs (a [Model] partial class: one property per layer named after the PyTorch\n" +
        "      module, a Forward with one statement per node) and <dir>/<Class>.safetensors (the weights by their\n" +
        "      state_dict names), and prints what it mapped. An op it cannot map, or a file that is not a valid\n" +
        "      ONNX model, is an error naming the node, op and opset (exit code 2); nothing is written then.";

    /// <summary>Runs the import; exit 0 on success, 2 on bad arguments, an unreadable or unsupported model, or a refused overwrite.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? model = null, name = null, ns = null, outDir = null;
        bool stateDictNames = true;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "--name": name = Next(); break;
                case "--namespace": ns = Next(); break;
                case "--out": outDir = Next(); break;
                case "--no-state-dict-names": stateDictNames = false; break;
                default:
                    if (a.StartsWith("--", StringComparison.Ordinal) || model is not null) return Error(stderr, $"unexpected argument '{a}'", usage: true);
                    model = a;
                    break;
            }
            if (a is "--name" or "--namespace" or "--out" && (i >= args.Length || args[i] == a)) return Error(stderr, $"'{a}' needs a value", usage: true);
        }
        if (model is null) return Error(stderr, "'import' needs the ONNX model to read", usage: true);
        if (name is null) return Error(stderr, "'import' needs --name <Class> (the C# class to write)", usage: true);
        try
        {
            var onnx = OnnxReader.Read(model);
            var result = OnnxImporter.Import(onnx, new ImportOptions
            {
                ClassName = name,
                Namespace = ns,
                EmitStateDictNames = stateDictNames,
                SourceName = Path.GetFileName(model),
            });
            var (source, weights) = ImportWriter.Write(result, outDir ?? Directory.GetCurrentDirectory());
            stdout.WriteLine($"Imported {model} (ONNX opset {onnx.Opset}, {onnx.Nodes.Count} nodes, {onnx.Initializers.Count} initializers):");
            foreach (var line in result.Mapped) stdout.WriteLine("  " + line);
            stdout.WriteLine($"Wrote {source}");
            stdout.WriteLine($"Wrote {weights} ({result.Weights.Count} tensors)");
            return 0;
        }
        catch (OnnxImportException e) { return Error(stderr, e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Error(stderr, e.Message);
        }
    }

    private static int Error(TextWriter stderr, string message, bool usage = false)
    {
        stderr.WriteLine($"traingen import: {message}");
        if (usage) stderr.WriteLine("Usage:\n" + Usage);
        return 2;
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TrainingGen.Import.Onnx;

namespace TrainingGen.Import;

/// <summary>
/// Writes the imported model as a C# source file a person would write: usings, one property per
/// layer (named after the PyTorch module path), and a <c>Forward</c> with one statement per mapped
/// node, each with its shape as a comment. Deterministic: the same model and options give the same text.
/// </summary>
internal static class CSharpModelWriter
{
    /// <summary>The first line of every imported file; <see cref="ImportWriter"/> replaces only files that start with it.</summary>
    public const string HeaderPrefix = "// Imported from ";

    public static string Write(OnnxModel model, ImportOptions options, IReadOnlyList<ImportedLayer> layers,
        IReadOnlyList<(string Name, int[] Shape, string OnnxName, OnnxDataType Type)> inputs, IReadOnlyList<(string Code, string Comment)> statements,
        RuntimeValue output)
    {
        var sb = new StringBuilder();
        void Line(string s = "") => sb.Append(s).Append('\n');
        string source = options.SourceName ?? Path.GetFileName(model.Path);
        string producer = model.Producer.Length > 0 ? $", exported by {model.Producer}" : "";
        Line($"{HeaderPrefix}{source} (ONNX opset {model.Opset}{producer}) by `traingen import`.");
        Line($"// The weights are in {options.ClassName}.safetensors under their PyTorch state_dict names. Re-run the import");
        Line("// rather than editing this file when the exported model changes.");
        Line("using TrainingGen;");
        Line();
        string indent = "";
        if (!string.IsNullOrEmpty(options.Namespace))
        {
            Line($"namespace {options.Namespace};");
            Line();
        }
        Line($"{indent}/// <summary>{Summary(model, inputs, output)}</summary>");
        Line($"{indent}[Model]");
        Line($"{indent}public partial class {options.ClassName}");
        Line($"{indent}{{");
        foreach (var l in layers)
        {
            var attrs = new List<string>();
            if (options.EmitStateDictNames) attrs.Add($"StateDictName(\"{l.StateDictPath}\")");
            if (l.Frozen) attrs.Add("Frozen");
            string prefix = attrs.Count == 0 ? "" : "[" + string.Join(", ", attrs) + "] ";
            Line($"{indent}    {prefix}public {l.Type} {l.Property} {{ get; }} = new({l.Arguments});");
        }
        if (layers.Count > 0) Line();
        // Integer inputs (token ids, indices) are IntTensor: int32 data, a package input of type int32.
        var parameters = inputs.Select(p => $"[Shape({Shapes.Arguments(p.Shape)})] {(p.Type == OnnxDataType.Float ? "Tensor" : "IntTensor")} {p.Name}");
        Line($"{indent}    public Tensor Forward({string.Join(", ", parameters)})");
        Line($"{indent}    {{");
        int width = statements.Count == 0 ? 0 : Math.Min(72, statements.Max(s => s.Code.Length));
        foreach (var (code, comment) in statements)
            Line($"{indent}        {code.PadRight(width)}  // {comment}");
        Line($"{indent}        return {output.Local};");
        Line($"{indent}    }}");
        Line($"{indent}}}");
        return sb.ToString();
    }

    private static string Summary(OnnxModel model, IReadOnlyList<(string Name, int[] Shape, string OnnxName, OnnxDataType Type)> inputs, RuntimeValue output)
    {
        string ins = string.Join(", ", inputs.Select(p => $"{Escape(p.OnnxName)} {Shapes.Format(p.Shape)}" + (p.Type == OnnxDataType.Float ? "" : $" ({p.Type.ToString().ToLowerInvariant()} indices: an IntTensor; <c>IntTensor.FromInt64</c> range-checks int64 data)")));
        string graph = model.Outputs.Count == 1 ? Escape(model.Outputs[0].Name) + " " : "";
        return $"Imported ONNX graph: {ins} → {graph}{Shapes.Format(output.Shape)}.";
    }

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}

using System;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TrainingGen.CoreML.Mil;

/// <summary>
/// Prints a MIL program as text in the style of the <c>model.mil</c> that Apple's compiler writes
/// into a compiled model: <c>program(1.0)</c>, one <c>func name&lt;iosNN&gt;(inputs) { ops } -&gt; (outputs);</c>
/// per function, each op as <c>type name = op(param = value, ...)[name = string("name")]</c>.
/// Constants of 10 or more elements are shown by type and size (their bytes live in weight.bin).
/// </summary>
public static class MilTextPrinter
{
    public static string Print(MilProgram program)
    {
        var sb = new StringBuilder();
        sb.Append("program(1.0)\n");
        if (program.BuildInfo.Count > 0)
            sb.Append("[buildInfo = dict<string, string>({")
              .Append(string.Join(", ", program.BuildInfo.Select(kv => $"{{{Quote(kv.Key)}, {Quote(kv.Value)}}}")))
              .Append("})]\n");
        sb.Append("{\n");
        foreach (var f in program.Functions) PrintFunction(sb, f);
        sb.Append("}\n");
        return sb.ToString();
    }

    public static string Print(MilFunction f)
    {
        var sb = new StringBuilder();
        PrintFunction(sb, f);
        return sb.ToString();
    }

    /// <summary>The deployment target a MIL opset string stands for (<c>CoreML8</c> → <c>ios18</c>).</summary>
    public static string Target(string opset) => opset switch
    {
        "CoreML5" => "ios15",
        "CoreML6" => "ios16",
        "CoreML7" => "ios17",
        "CoreML8" => "ios18",
        "CoreML9" => "ios26",
        _ => opset,
    };

    private static void PrintFunction(StringBuilder sb, MilFunction f)
    {
        sb.Append("    func ").Append(f.Name).Append('<').Append(Target(f.Opset)).Append(">(")
          .Append(string.Join(", ", f.Inputs.Select(i => $"{Type(i.Type)} {i.Name}")))
          .Append(") {\n");
        foreach (var op in f.Operations)
        {
            sb.Append("            ")
              .Append(string.Join(", ", op.Outputs.Select(o => $"{Type(o.Type)} {o.Name}")))
              .Append(" = ").Append(op.Type).Append('(');
            sb.Append(string.Join(", ", op.Inputs.Select(kv => $"{kv.Key} = {Bindings(kv.Value)}")));
            sb.Append(")[name = string(").Append(Quote(op.Name)).Append(')');
            foreach (var a in op.Attributes) sb.Append(", ").Append(a.Key).Append(" = ").Append(Value(a.Value));
            sb.Append("];\n");
        }
        sb.Append("        } -> (").Append(string.Join(", ", f.Outputs)).Append(");\n");
    }

    private static string Bindings(System.Collections.Generic.List<MilBinding> bindings)
    {
        var parts = bindings.Select(b => b.Name ?? Value(b.Value!)).ToList();
        return parts.Count == 1 ? parts[0] : "(" + string.Join(", ", parts) + ")";
    }

    private static string Type(MilValueType t) => t.IsState ? $"state<{Type(t.Tensor)}>" : Type(t.Tensor);

    private static string Type(MilTensorType t)
    {
        if (t.Shape is null) return $"tensor<{t.DType.TextName()}, *>";
        if (t.Shape.Length == 0) return t.DType.TextName();
        return $"tensor<{t.DType.TextName()}, [{string.Join(", ", t.Shape.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]>";
    }

    private static string Value(MilTensor v)
    {
        string type = Type(v.Type);
        if (v.Count >= 10) return $"{type}(/* {v.Count} values in weight.bin */)";
        var items = v.DType switch
        {
            MilDType.Bool => v.Bools!.Select(b => b ? "true" : "false"),
            MilDType.String => v.Strings!.Select(Quote),
            MilDType.Int64 => v.Longs!.Select(l => l.ToString(CultureInfo.InvariantCulture)),
            MilDType.Float16 or MilDType.Float32 or MilDType.Float64 => v.Floats!.Select(Number),
            _ => v.Ints!.Select(i => i.ToString(CultureInfo.InvariantCulture)),
        };
        var list = string.Join(", ", items);
        return v.Rank == 0 ? $"{type}({list})" : $"{type}([{list}])";
    }

    private static string Number(float f)
    {
        if (float.IsNegativeInfinity(f)) return "-inf";
        if (float.IsPositiveInfinity(f)) return "inf";
        if (float.IsNaN(f)) return "nan";
        var s = f.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s.Replace("E", "e") : s + ".0";
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

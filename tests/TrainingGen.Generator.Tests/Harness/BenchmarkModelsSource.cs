using System;
using System.IO;
using System.Linq;
using System.Text;

namespace TrainingGen.Tests.Harness;

/// <summary>
/// tests/Models/BenchmarkModels.cs as source text (embedded in the test assembly): whole class
/// declarations, with their doc comments, cut out by name for the driver tests.
/// </summary>
internal static class BenchmarkModelsSource
{
    private static readonly string Text = Read();

    private static string Read()
    {
        using var stream = typeof(BenchmarkModelsSource).Assembly.GetManifestResourceStream("BenchmarkModels.cs")
            ?? throw new InvalidOperationException("tests/Models/BenchmarkModels.cs is not embedded in the test assembly.");
        return new StreamReader(stream).ReadToEnd().Replace("\r\n", "\n");
    }

    /// <summary>A program of the named classes (in file order of the names given) in namespace <paramref name="ns"/>.</summary>
    public static string Program(string ns, params string[] classes)
    {
        var sb = new StringBuilder("using TrainingGen;\n\nnamespace ").Append(ns).Append(";\n");
        foreach (var c in classes) sb.Append('\n').Append(Class(c)).Append('\n');
        return sb.ToString();
    }

    /// <summary>One top-level class: from its doc comment or attributes to the closing brace at column 0.</summary>
    private static string Class(string name)
    {
        var lines = Text.Split('\n');
        int decl = Array.FindIndex(lines, l => l.StartsWith("public partial class " + name, StringComparison.Ordinal) &&
            (l.Length == ("public partial class " + name).Length || !char.IsLetterOrDigit(l["public partial class ".Length + name.Length])));
        if (decl < 0) throw new InvalidOperationException($"BenchmarkModels.cs declares no class '{name}'.");
        int start = decl;
        while (start > 0 && (lines[start - 1].StartsWith("[", StringComparison.Ordinal) || lines[start - 1].StartsWith("///", StringComparison.Ordinal))) start--;
        int end = Array.FindIndex(lines, decl, l => l == "}");
        return string.Join("\n", lines.Skip(start).Take(end - start + 1));
    }
}

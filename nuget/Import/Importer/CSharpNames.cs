using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TrainingGen.Import;

/// <summary>C# identifiers and literals for the generated source.</summary>
internal static class CSharpNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long",
        "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected", "public",
        "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string", "struct", "switch",
        "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void",
        "volatile", "while", "var", "record", "value", "async", "await", "dynamic", "nameof", "when", "yield", "file", "required",
    };

    public static bool IsKeyword(string name) => Keywords.Contains(name);

    public static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(c => char.IsLetterOrDigit(c) || c == '_') && !IsKeyword(name);

    /// <summary>The parts of a name split at anything that is not an ASCII letter or digit: <c>layers.0</c> → <c>layers</c>, <c>0</c>.</summary>
    private static IEnumerable<string> Parts(string name) =>
        new string(name.Select(c => c < 128 && char.IsLetterOrDigit(c) ? c : ' ').ToArray()).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A property name for a module path: <c>fc1</c> → <c>Fc1</c>, <c>layers.0</c> → <c>Layers0</c>, <c>linear_1</c> → <c>Linear1</c>.</summary>
    public static string ToProperty(string path)
    {
        var sb = new StringBuilder();
        foreach (var p in Parts(path)) sb.Append(char.ToUpperInvariant(p[0])).Append(p, 1, p.Length - 1);
        string s = sb.ToString();
        return s.Length == 0 ? "Layer" : char.IsDigit(s[0]) ? "Layer" + s : s;
    }

    /// <summary>A local name: lower camel case of <paramref name="name"/>, or <paramref name="fallback"/> when nothing usable is left.</summary>
    public static string ToLocal(string name, string fallback)
    {
        string p = ToProperty(name);
        if (p == "Layer" && Parts(name).FirstOrDefault() is null) return fallback;
        string s = char.ToLowerInvariant(p[0]) + p[1..];
        return IsKeyword(s) ? fallback : s;
    }

    /// <summary>A float literal that round-trips: <c>0.5f</c>, <c>1e-05f</c>, <c>-3f</c>.</summary>
    public static string Float(double value)
    {
        float f = (float)value;
        if (float.IsNaN(f) || float.IsInfinity(f)) throw new UnsupportedNodeException($"the constant {value} is not finite");
        string s = f.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
        return s + "f";
    }

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}

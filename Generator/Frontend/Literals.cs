using System;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace TrainingGen.Generator.Frontend;

/// <summary>Attribute argument values written back as C# literals for generated code.</summary>
internal static class Literals
{
    public static string Of(TypedConstant c)
    {
        if (c.IsNull) return "null";
        if (c.Kind == TypedConstantKind.Enum)
            return $"({c.Type!.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)}){Of(c.Value)}";
        return Of(c.Value);
    }

    private static string Of(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        double d => double.IsNaN(d) ? "double.NaN" : double.IsInfinity(d) ? (d > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity") : d.ToString("R", CultureInfo.InvariantCulture) + "d",
        float f => float.IsNaN(f) ? "float.NaN" : float.IsInfinity(f) ? (f > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity") : f.ToString("R", CultureInfo.InvariantCulture) + "f",
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r") + "\"",
        char ch => "'" + (ch == '\'' || ch == '\\' ? "\\" + ch : ch.ToString()) + "'",
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException($"Attribute argument of type {v.GetType().Name} cannot be written back."),
    };
}

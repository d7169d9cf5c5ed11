using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using TrainingGen.Optimizers;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Compile-time checks of optimizer hyper-parameters (TG4001). The rule itself is the runtime's
/// <see cref="HyperParameterRules"/> (linked source), so an attribute the generator accepts is one
/// the runtime's <c>Validate()</c> accepts too. Shared by the generator and the analyzers.
/// </summary>
internal static class OptimizerRules
{
    public static IEnumerable<HyperParameterRules.Problem> Check(AttributeData attribute)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var kv in attribute.NamedArguments)
            if (kv.Value.Value is IConvertible c && kv.Value.Value is not string)
                values[kv.Key] = c.ToDouble(CultureInfo.InvariantCulture);
        return HyperParameterRules.Check(Kind(attribute.AttributeClass?.Name ?? ""),
            name => values.TryGetValue(name, out var v) ? v : null);
    }

    /// <summary>The runtime's optimizer kind for an attribute class name: <c>AdamWAttribute</c> → <c>adamw</c>.</summary>
    private static string Kind(string attributeClass) =>
        (attributeClass.EndsWith("Attribute", StringComparison.Ordinal)
            ? attributeClass.Substring(0, attributeClass.Length - "Attribute".Length)
            : attributeClass).ToLowerInvariant();
}

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Names the package and the trainer show for a model's values: inputs and outputs (MIL-safe,
/// distinct from each other and from the names derived from parameters) and the loss's display name.
/// </summary>
internal static class ModelNaming
{
    /// <summary>True when an input would collide with a name the package derives from a parameter.</summary>
    internal static bool TrainingNamesClash(string param, string input) =>
        input == param + "_grad" || input == param + "_new" || input.StartsWith(param + "_", StringComparison.Ordinal) && input.EndsWith("_new", StringComparison.Ordinal);

    /// <summary>Package names of Forward's outputs after the loss: tuple element names in snake_case, else output_{i}; never an input's name.</summary>
    internal static List<string> OutputNames(IMethodSymbol forward, int count, IEnumerable<string> inputNames)
    {
        var taken = new HashSet<string>(inputNames, StringComparer.Ordinal) { "loss", "learning_rate", "step" };
        var names = new List<string>();
        var elements = (forward.ReturnType as INamedTypeSymbol)?.TupleElements ?? default;
        for (int i = 1; i < count; i++)
        {
            var field = !elements.IsDefault && i < elements.Length ? elements[i] : null;
            string name = field is not null && !field.IsImplicitlyDeclared && field.Name != field.CorrespondingTupleField?.Name
                ? StateNames.ToSnake(field.Name)
                : field is not null && !field.Name.StartsWith("Item", StringComparison.Ordinal) ? StateNames.ToSnake(field.Name) : $"output_{i}";
            name = InputName(name);
            while (!taken.Add(name)) name += "_out";
            names.Add(name);
        }
        return names;
    }

    /// <summary>A MIL-safe name for an input (reserved words such as <c>state</c> get a suffix).</summary>
    internal static string InputName(string name)
    {
        var reserved = new HashSet<string>(StringComparer.Ordinal)
        { "any", "bool", "program", "func", "tensor", "list", "dict", "tuple", "true", "false", "string", "state",
          "bf16", "fp16", "fp32", "fp64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64" };
        return reserved.Contains(name) ? name + "_workaround" : name;
    }

    internal static string LossDisplayName(MethodDeclarationSyntax forward, SemanticModel model)
    {
        var first = LossRule.FirstOutput(LossRule.ReturnedExpressions(forward).First());
        while (first is ParenthesizedExpressionSyntax p) first = p.Expression;
        if (first is IdentifierNameSyntax id && model.GetSymbolInfo(id).Symbol is ILocalSymbol local &&
            local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } init })
            first = init;
        return first is InvocationExpressionSyntax call && model.GetSymbolInfo(call).Symbol is IMethodSymbol m
            ? m.ContainingType.Name + "." + m.Name
            : first.ToString();
    }
}

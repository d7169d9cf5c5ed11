using System.Linq;
using Microsoft.CodeAnalysis;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Frontend;

/// <summary>Reading declarations: input [Shape]s, attributes on symbols, and the reporting every part of the parser uses.</summary>
internal sealed partial class ModelParser
{
    private int[] ReadShape(IParameterSymbol parameter, INamedTypeSymbol owner)
    {
        var shapeAttr = parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownNames.ShapeAttribute);
        var at = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_ct);
        if (parameter.Type.ToDisplayString() != KnownNames.Tensor && !IsIntTensor(parameter.Type))
        {
            Fail(at!, $"The input '{parameter.Name}' of type {parameter.Type.ToDisplayString()}", "training model inputs are Tensors (float32) or IntTensors (int32 class labels and token ids)");
        }
        if (shapeAttr is null)
        {
            Report(DiagnosticDescriptors.MissingShape, at, parameter.Name, owner.Name);
            throw new Abort();
        }
        // A [Shape] that is there but unusable is TG0007, at the attribute (ShapeAttributeRule.Check).
        if (ShapeAttributeRule.Check(shapeAttr, _ct) is { } problem)
        {
            Report(DiagnosticDescriptors.InvalidShape, problem.At ?? at, parameter.Name, problem.Reason);
            throw new Abort();
        }
        var shape = shapeAttr.ConstructorArguments[0].Values.Select(v => (int)v.Value!).ToArray();
        CheckRank(shape, shapeAttr.ApplicationSyntaxReference?.GetSyntax(_ct) ?? at, $"The input '{parameter.Name}'");
        return shape;
    }

    /// <summary>TG3002: Core ML rejects a package with any tensor of rank above 5, so the model's own values must stay within it.</summary>
    private void CheckRank(int[] shape, SyntaxNode? at, string what)
    {
        if (shape.Length <= MaxRank) return;
        Report(DiagnosticDescriptors.RankTooHigh, at, what, shape.Length, FormatShape(shape.ToEquatable()));
        throw new Abort();
    }

    /// <summary>Core ML's tensor rank limit ("Core ML only supports tensors with rank &lt;= 5").</summary>
    internal const int MaxRank = 5;

    // ---------------------------------------------------------------- symbols

    private static bool IsIntTensor(ITypeSymbol? type) => type?.ToDisplayString() == KnownNames.IntTensor;

    private static bool HasAttribute(ISymbol symbol, string metadataName) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == metadataName);

    private static string? OpName(ISymbol symbol)
    {
        foreach (var a in symbol.GetAttributes())
            if (a.AttributeClass?.ToDisplayString() == KnownNames.OpAttribute && a.ConstructorArguments.Length == 1)
                return a.ConstructorArguments[0].Value as string;
        return null;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    // ---------------------------------------------------------------- diagnostics

    private void Report(DiagnosticDescriptor d, SyntaxNode? at, params object?[] args) =>
        _diagnostics.Add(DiagnosticInfo.Create(d, at, args));

    private void Fail(SyntaxNode at, string construct, string reason)
    {
        Report(UnsupportedConstructs.For(at), at, construct, reason);
        throw new Abort();
    }
}

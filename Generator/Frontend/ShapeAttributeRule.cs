using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// TG0007: a <c>[Shape]</c> on a training input must be a constant list of dimensions, each
/// positive or <c>Dim.Batch</c> (at most one). C# already insists on constants in attributes
/// (CS0182), so what reaches here as "not constant" is an argument that does not bind; TG0007
/// then says what a usable [Shape] looks like instead of claiming the attribute is missing.
/// </summary>
internal static class ShapeAttributeRule
{
    public sealed class Problem
    {
        public Problem(SyntaxNode? at, string reason) { At = at; Reason = reason; }
        /// <summary>The offending argument (or the attribute), null when it has no syntax.</summary>
        public SyntaxNode? At { get; }
        public string Reason { get; }
    }

    /// <summary>Null when <paramref name="shape"/> is usable; otherwise where and why not.</summary>
    public static Problem? Check(AttributeData shape, CancellationToken ct)
    {
        var syntax = shape.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax;
        var args = syntax?.ArgumentList?.Arguments;
        SyntaxNode? At(int i) => args is { } a && i < a.Count ? a[i] : syntax;

        if (shape.ConstructorArguments.Length != 1 || shape.ConstructorArguments[0].IsNull ||
            shape.ConstructorArguments[0].Kind != TypedConstantKind.Array)
            return new Problem(syntax, "its arguments are not constant integers");
        var values = shape.ConstructorArguments[0].Values;
        if (values.Length == 0) return new Problem(syntax, "it lists no dimensions");
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i].Value is not int d) return new Problem(At(i), $"dimension {i} is not a constant integer");
            if (d == 0 || d < Dims.Batch) return new Problem(At(i), $"dimension {i} is {d}");
        }
        if (values.Count(v => (int)v.Value! == Dims.Batch) > 1) return new Problem(syntax, "Dim.Batch appears more than once");
        return null;
    }
}

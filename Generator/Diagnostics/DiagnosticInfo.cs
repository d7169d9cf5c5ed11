using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Diagnostics;

/// <summary>
/// A diagnostic kept as data: descriptor id, the syntax tree and span it points at (so the
/// rebuilt location is a real source location and #pragma works), and message arguments already
/// turned into strings.
/// </summary>
internal sealed record DiagnosticInfo(string Id, SyntaxTree? Tree, TextSpan Span, EquatableArray<string> Args)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor d, SyntaxNode? node, params object?[] args) =>
        new(d.Id, node?.SyntaxTree, node?.Span ?? default, args.Select(a => a?.ToString() ?? "").ToEquatable());

    public static DiagnosticInfo Create(DiagnosticDescriptor d, Location? location, params object?[] args) =>
        new(d.Id, location?.SourceTree, location?.SourceSpan ?? default, args.Select(a => a?.ToString() ?? "").ToEquatable());

    public Diagnostic ToDiagnostic()
    {
        var d = DiagnosticDescriptors.ById(Id);
        var loc = Tree is null ? Location.None : Location.Create(Tree, Span);
        return Diagnostic.Create(d, loc, Args.Cast<object>().ToArray());
    }
}

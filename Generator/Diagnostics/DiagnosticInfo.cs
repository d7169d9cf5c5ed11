using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Diagnostics;

/// <summary>
/// A diagnostic kept as data: descriptor id, the syntax tree and span it points at (so the
/// rebuilt location is a real source location and #pragma works), and message arguments already
/// turned into strings. <see cref="AlsoTree"/>/<see cref="AlsoSpan"/> is an optional additional
/// location (the callee's line when the primary location is the call that caused the problem).
/// </summary>
internal sealed record DiagnosticInfo(string Id, SyntaxTree? Tree, TextSpan Span, EquatableArray<string> Args,
    SyntaxTree? AlsoTree = null, TextSpan AlsoSpan = default)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor d, SyntaxNode? node, params object?[] args) =>
        new(d.Id, node?.SyntaxTree, node?.Span ?? default, args.Select(a => a?.ToString() ?? "").ToEquatable());

    public static DiagnosticInfo Create(DiagnosticDescriptor d, Location? location, params object?[] args) =>
        new(d.Id, location?.SourceTree, location?.SourceSpan ?? default, args.Select(a => a?.ToString() ?? "").ToEquatable());

    public Diagnostic ToDiagnostic()
    {
        var d = DiagnosticDescriptors.ById(Id);
        var loc = Tree is null ? Location.None : Location.Create(Tree, Span);
        var also = AlsoTree is null ? null : new[] { Location.Create(AlsoTree, AlsoSpan) };
        return Diagnostic.Create(d, loc, also, Args.Cast<object>().ToArray());
    }
}

using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.CodeFixes;

/// <summary>TG2002: marks a layer property that never receives a gradient <c>[Frozen]</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MarkFrozenCodeFixer)), Shared]
public sealed class MarkFrozenCodeFixer : SyntaxFixProvider<PropertyDeclarationSyntax>
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.NoGradient);

    protected override string Title => "Mark [Frozen]";

    protected override SyntaxNode? Rewrite(PropertyDeclarationSyntax property) =>
        CodeFixHelpers.WithLeadingAttribute(property, CodeFixHelpers.AttributeList($"[{CodeFixHelpers.Qualify(property, "Frozen")}]"),
            p => p.AttributeLists, (p, l) => p.WithAttributeLists(l));
}

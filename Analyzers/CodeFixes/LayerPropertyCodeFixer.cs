using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Frontend;

namespace TrainingGen.CodeFixes;

/// <summary>
/// TG0014: turns a layer field (<c>public Linear L2 = new(3, 3);</c>) into the get-only property
/// TrainingGen reads (<c>public Linear L2 { get; } = new(3, 3);</c>), keeping its attributes,
/// comments and indentation.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LayerPropertyCodeFixer)), Shared]
public sealed class LayerPropertyCodeFixer : SyntaxFixProvider<FieldDeclarationSyntax>
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.LayerField);

    protected override string Title => "Declare as a get-only property";

    protected override SyntaxNode? Rewrite(FieldDeclarationSyntax field)
    {
        // One layer per declaration: "Linear a = new(1, 1), b = new(2, 2);" is left to the user.
        if (field.Declaration.Variables.Count != 1) return null;
        string attributes = string.Concat(field.AttributeLists.Select(a => a.ToString() + " "));
        return ((PropertyDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration(attributes + LayerFieldRule.PropertyText(field.Declaration.Variables[0]))!)
            .WithLeadingTrivia(field.GetLeadingTrivia())
            .WithTrailingTrivia(field.GetTrailingTrivia());
    }
}

using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.CodeFixes;

/// <summary>The diagnostic ids the fixes handle (the descriptors live in the analyzer assembly).</summary>
internal static class DiagnosticIds
{
    public const string LossNotFirst = "TG0001";
    public const string NotPartial = "TG0002";
    public const string MissingShape = "TG0004";
    public const string OuterNotPartial = "TG0010";
    public const string LayerField = "TG0014";
    public const string MissingModelAttribute = "TG0015";
    public const string NoGradient = "TG2002";
}

internal static class CodeFixHelpers
{
    /// <summary>
    /// <paramref name="name"/> as written in this file: bare when a <c>using TrainingGen;</c> (or an
    /// enclosing TrainingGen namespace) brings it into scope, else <c>global::TrainingGen.</c>-qualified.
    /// </summary>
    public static string Qualify(SyntaxNode at, string name)
    {
        bool imported = at.SyntaxTree.GetRoot() is CompilationUnitSyntax unit &&
                        (unit.Usings.Any(IsTrainingGen) ||
                         at.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Usings.Any(IsTrainingGen) ||
                             n.Name.ToString() == "TrainingGen" || n.Name.ToString().StartsWith("TrainingGen.", System.StringComparison.Ordinal)));
        return imported ? name : "global::TrainingGen." + name;
    }

    private static bool IsTrainingGen(UsingDirectiveSyntax u) =>
        u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name?.ToString() is "TrainingGen" or "global::TrainingGen";

    /// <summary>An attribute list parsed from <paramref name="text"/> (e.g. <c>[Frozen]</c>).</summary>
    public static AttributeListSyntax AttributeList(string text) =>
        ((ClassDeclarationSyntax)SyntaxFactory.ParseCompilationUnit(text + " class C { }").Members[0]).AttributeLists[0]
            .WithoutTrivia();

    /// <summary><paramref name="node"/> with <paramref name="list"/> put first, on the same line: <c>[X] rest</c>.</summary>
    public static T WithLeadingAttribute<T>(T node, AttributeListSyntax list, System.Func<T, SyntaxList<AttributeListSyntax>> lists,
        System.Func<T, SyntaxList<AttributeListSyntax>, T> withLists) where T : SyntaxNode
    {
        var first = node.GetFirstToken();
        var stripped = node.ReplaceToken(first, first.WithLeadingTrivia());
        var added = list.WithLeadingTrivia(first.LeadingTrivia).WithTrailingTrivia(SyntaxFactory.Space);
        return withLists(stripped, lists(stripped).Insert(0, added));
    }
}

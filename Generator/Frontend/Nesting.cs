using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// TG0010: generated members of a nested training model are emitted inside its containing types,
/// so each of them must be partial. Shared by the generator's gate and the analyzers.
/// </summary>
internal static class Nesting
{
    /// <summary>The innermost containing type with no partial declaration, or null when all are partial.</summary>
    public static TypeDeclarationSyntax? OuterNotPartial(INamedTypeSymbol type, CancellationToken ct)
    {
        for (var t = type.ContainingType; t is not null; t = t.ContainingType)
        {
            var decls = t.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<TypeDeclarationSyntax>().ToList();
            if (!decls.Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword))) return decls.FirstOrDefault() ?? Missing;
        }
        return null;
    }

    // Stands for a containing type without source (cannot be partial either).
    private static readonly TypeDeclarationSyntax Missing = SyntaxFactory.ClassDeclaration("Missing");
}

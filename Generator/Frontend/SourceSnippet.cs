using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// The source text kept in the IR for comments in generated code: on one line and without C#
/// comments, so that editing a comment inside an expression leaves the model equal and the
/// incremental pipeline cached.
/// </summary>
internal static class SourceSnippet
{
    /// <summary>
    /// The tokens of <paramref name="source"/> joined by single spaces where the source had
    /// whitespace or line breaks between them; comments are dropped.
    /// </summary>
    public static string OneLine(string source)
    {
        var sb = new StringBuilder(source.Length);
        bool space = false;
        foreach (var token in SyntaxFactory.ParseTokens(source))
        {
            if (token.IsKind(SyntaxKind.EndOfFileToken)) break;
            space |= HasWhitespace(token.LeadingTrivia);
            if (space && sb.Length > 0) sb.Append(' ');
            sb.Append(token.Text);
            space = HasWhitespace(token.TrailingTrivia);
        }
        return sb.ToString();
    }

    private static bool HasWhitespace(SyntaxTriviaList trivia) =>
        trivia.Any(t => t.IsKind(SyntaxKind.WhitespaceTrivia) || t.IsKind(SyntaxKind.EndOfLineTrivia));
}

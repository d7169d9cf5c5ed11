using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.Tests.Harness;

/// <summary>
/// Declaration-level mutations for the generator fuzz, each a mistake users make (issue 10): a
/// generic model, a model nested in a (partial or not) class, a layer property written as a field,
/// a number moved into a const / static readonly field or a MathF expression, a dropped attribute.
/// Every mutation changes the text; the description's first word names the kind.
/// </summary>
internal static class StructuralMutations
{
    public static (string Text, string Description) Apply(string kind, string source, SyntaxNode root, Random rng)
    {
        var classes = root.DescendantNodes().OfType<ClassDeclarationSyntax>().ToList();
        switch (kind)
        {
            case "MakeGeneric":
            {
                var c = Pick(classes, rng);
                return (source.Insert(c.Identifier.Span.End, "<T>"), $"generic {c.Identifier.Text}<T>");
            }
            case "Nest":
            {
                var c = Pick(classes, rng);
                bool partial = rng.Next(2) == 0;
                string outer = $"public static {(partial ? "partial " : "")}class Outer{rng.Next(10)} {{ ";
                return (source.Substring(0, c.SpanStart) + outer + c.ToString() + " }" + source.Substring(c.Span.End),
                    $"nest {c.Identifier.Text} in a {(partial ? "partial" : "non-partial")} class");
            }
            case "PropertyToField":
            {
                var properties = root.DescendantNodes().OfType<PropertyDeclarationSyntax>().Where(p => p.AccessorList is not null).ToList();
                if (properties.Count == 0) return Apply("DropAttribute", source, root, rng);
                var p = Pick(properties, rng);
                string text = source.Remove(p.AccessorList!.SpanStart, p.AccessorList.Span.Length);
                // "public Linear Fc { get; }" without an initializer still needs its semicolon as a field.
                if (p.Initializer is null) text = text.Insert(p.AccessorList.SpanStart, ";");
                return (text, $"field instead of property {p.Identifier.Text}");
            }
            case "ConstantToMember":
            {
                var literals = root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.NumericLiteralToken) &&
                    t.Parent?.Ancestors().OfType<ClassDeclarationSyntax>().Any() == true).ToList();
                if (literals.Count == 0) return Apply("MakeGeneric", source, root, rng);
                var lit = Pick(literals, rng);
                var owner = lit.Parent!.Ancestors().OfType<ClassDeclarationSyntax>().First();
                string type = lit.Text.EndsWith("d", StringComparison.OrdinalIgnoreCase) ? "double"
                    : lit.Text.Contains('.') || lit.Text.EndsWith("f", StringComparison.OrdinalIgnoreCase) ? "float" : "int";
                int style = rng.Next(3);
                string name = "K" + rng.Next(100);
                if (style == 2)
                {
                    string root2 = type == "float" ? $"MathF.Sqrt({lit.Text} * {lit.Text})" : $"Math.Abs({lit.Text})";
                    return (source.Remove(lit.SpanStart, lit.Span.Length).Insert(lit.SpanStart, root2), $"constant {lit.Text} at {lit.SpanStart} as {root2}");
                }
                string member = $" private {(style == 0 ? "const" : "static readonly")} {type} {name} = {lit.Text}; ";
                string replaced = source.Remove(lit.SpanStart, lit.Span.Length).Insert(lit.SpanStart, name);
                return (replaced.Insert(owner.OpenBraceToken.Span.End, member), $"constant {lit.Text} at {lit.SpanStart} as {(style == 0 ? "const" : "static readonly")} {name}");
            }
            default:
            {
                var attributes = root.DescendantNodes().OfType<AttributeSyntax>().ToList();
                if (attributes.Count == 0) return Apply("MakeGeneric", source, root, rng);
                var a = Pick(attributes, rng);
                var list = (AttributeListSyntax)a.Parent!;
                var span = list.Attributes.Count == 1 ? list.Span
                    : a == list.Attributes.Last() ? TextSpan(list.Attributes[list.Attributes.Count - 2].Span.End, a.Span.End)
                    : TextSpan(a.SpanStart, list.Attributes[list.Attributes.IndexOf(a) + 1].SpanStart);
                return (source.Remove(span.Start, span.Length), $"drop attribute {a.Name}");
            }
        }
    }

    private static Microsoft.CodeAnalysis.Text.TextSpan TextSpan(int start, int end) => Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(start, end);

    private static T Pick<T>(IReadOnlyList<T> items, Random rng) => items[rng.Next(items.Count)];
}

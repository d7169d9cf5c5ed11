using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// TG0014: a layer or sub-model declared as a field (<c>public Linear L2 = new(3, 3);</c>). The
/// front end finds parameters through get-only properties only, so such a field would be skipped
/// or reported as an unknown call. Shared by the analyzer (the message shows the property to
/// write), the parser (which stops on it) and the code fix (which writes that property).
/// </summary>
internal static class LayerFieldRule
{
    /// <summary>An instance field whose type is a layer ([Op] type) or a [Model] class.</summary>
    public static bool IsLayerField(IFieldSymbol field) =>
        !field.IsStatic && !field.IsConst && !field.IsImplicitlyDeclared && field.Type is INamedTypeSymbol t &&
        t.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() is KnownNames.OpAttribute or KnownNames.ModelAttribute);

    /// <summary>The get-only property that replaces <paramref name="declarator"/>, as one line of C#.</summary>
    public static string PropertyText(VariableDeclaratorSyntax declarator)
    {
        var field = declarator.Parent?.Parent as FieldDeclarationSyntax;
        var modifiers = field?.Modifiers.Where(m => !m.IsKind(SyntaxKind.ReadOnlyKeyword)).Select(m => m.Text) ?? Enumerable.Empty<string>();
        string type = (declarator.Parent as VariableDeclarationSyntax)?.Type.ToString() ?? "var";
        string init = declarator.Initializer is { } i ? " = " + i.Value.ToString() : "";
        return string.Join(" ", modifiers.Concat(new[] { type, declarator.Identifier.Text, "{ get; }" })) + init + ";";
    }

    /// <summary>The property for the message, or a generic example when the field has no source.</summary>
    public static string AsProperty(IFieldSymbol field, VariableDeclaratorSyntax? declarator) =>
        declarator is null ? $"public {field.Type.Name} {field.Name} {{ get; }} = new(...);" : PropertyText(declarator);
}

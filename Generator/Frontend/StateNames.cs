using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// PyTorch-style names for C# members: <c>Linear1</c> → <c>linear_1</c>, <c>Backend</c> →
/// <c>backend</c>, <c>FC2</c> → <c>fc_2</c>, <c>HiddenLayer</c> → <c>hidden_layer</c>. Parameter
/// paths join these with dots, as a state_dict does (<c>backend.linear_1.weight</c>). A
/// <c>[StateDictName("fc1")]</c> on a layer or sub-model property replaces its derived name.
/// </summary>
internal static class StateNames
{
    public const string AttributeName = "TrainingGen.StateDictNameAttribute";

    /// <summary>
    /// The state_dict segment(s) a layer or sub-model property contributes: its valid
    /// [StateDictName], else its snake-case name (an invalid attribute is TG0017; the model is then skipped).
    /// </summary>
    public static string Of(IPropertySymbol p) =>
        Explicit(p) is { } a && a.Name is { } name && Invalid(name, topLevel: false) is null ? name : ToSnake(p.Name);

    /// <summary>The property's [StateDictName] attribute and its name argument (null when not a constant string), or null without one.</summary>
    public static (AttributeData Attribute, string? Name)? Explicit(IPropertySymbol p)
    {
        foreach (var a in p.GetAttributes())
            if (a.AttributeClass?.ToDisplayString() == AttributeName)
                return (a, a.ConstructorArguments.Length == 1 ? a.ConstructorArguments[0].Value as string : null);
        return null;
    }

    /// <summary>
    /// Why <paramref name="name"/> cannot be a state_dict name, or null: one or more dot-separated
    /// segments of ASCII letters, digits and '_'; a top-level one (a training model's own property)
    /// must not start with a digit, since the package names its inputs after it.
    /// </summary>
    public static string? Invalid(string? name, bool topLevel)
    {
        if (string.IsNullOrEmpty(name)) return "it is empty";
        foreach (var segment in name!.Split('.'))
        {
            if (segment.Length == 0) return "it has an empty segment (two dots, or a dot at an end)";
            if (segment.FirstOrDefault(c => !(c < 128 && (char.IsLetterOrDigit(c) || c == '_'))) is var bad && bad != default)
                return $"'{bad}' is not an ASCII letter, digit, '_' or '.'";
        }
        if (topLevel && char.IsDigit(name[0])) return "a training model's own property must give a name that starts with a letter or '_'";
        return null;
    }

    public static string ToSnake(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            char prev = i > 0 ? name[i - 1] : '\0';
            char next = i + 1 < name.Length ? name[i + 1] : '\0';
            bool boundary = i > 0 && prev != '_' && (
                char.IsUpper(c) && (char.IsLower(prev) || char.IsDigit(prev) || char.IsUpper(prev) && char.IsLower(next)) ||
                char.IsDigit(c) && char.IsLetter(prev));
            if (boundary) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>A valid MIL identifier for a state_dict path (dots become underscores).</summary>
    public static string ToMil(string path) => path.Replace('.', '_');
}

using System.Text;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// PyTorch-style names for C# members: <c>Linear1</c> → <c>linear_1</c>, <c>Backend</c> →
/// <c>backend</c>, <c>FC2</c> → <c>fc_2</c>, <c>HiddenLayer</c> → <c>hidden_layer</c>. Parameter
/// paths join these with dots, as a state_dict does (<c>backend.linear_1.weight</c>).
/// </summary>
internal static class StateNames
{
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

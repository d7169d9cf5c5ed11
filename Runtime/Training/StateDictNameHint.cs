using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TrainingGen;

/// <summary>
/// The hint a failed import gives when a file's name and a trainer's name differ only by '_'
/// (<c>fc1.weight</c> in a PyTorch file, <c>fc_1.weight</c> from a property <c>Fc1</c>): which
/// <see cref="StateDictNameAttribute"/> makes them equal. The property name is rebuilt from the
/// trainer's segment by the naming rule in reverse (<c>fc_1</c> → <c>Fc1</c>,
/// <c>hidden_layer</c> → <c>HiddenLayer</c>), which is what the rule gives for ordinary C# names.
/// </summary>
internal static class StateDictNameHint
{
    /// <summary>
    /// The hint for <paramref name="name"/> against <paramref name="others"/>, or null when no other
    /// name matches it up to '_'. <paramref name="fileSide"/>: <paramref name="name"/> is the file's
    /// (the others are the trainer's), else the trainer's.
    /// </summary>
    public static string? For(string name, IEnumerable<string> others, bool fileSide = true)
    {
        string key = Strip(name);
        string? match = others.FirstOrDefault(o => o != name && Strip(o) == key);
        if (match is null) return null;
        string fileName = fileSide ? name : match, trainerName = fileSide ? match : name;
        var fileSegments = fileName.Split('.');
        var trainerSegments = trainerName.Split('.');
        var fixes = new List<string>();
        for (int i = 0; i < fileSegments.Length && i < trainerSegments.Length; i++)
            if (fileSegments[i] != trainerSegments[i])
                fixes.Add($"[StateDictName(\"{fileSegments[i]}\")] to property {Pascal(trainerSegments[i])}");
        return $" — the {(fileSide ? "trainer" : "file")} has '{match}', which differs only by '_': add " + string.Join(" and ", fixes) + ".";
    }

    private static string Strip(string s) => s.Replace("_", "");

    private static string Pascal(string segment)
    {
        var sb = new StringBuilder(segment.Length);
        foreach (var part in segment.Split(new[] { '_' }, StringSplitOptions.RemoveEmptyEntries))
            sb.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
        return sb.ToString();
    }
}

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;
using TrainingGen.Generator.Frontend;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Emit;

/// <summary>
/// One readable name per value of the training step, used for the trainer's fields and for the
/// package's MIL values: the user's local (<c>h</c>, <c>pred</c>), the layer that computed it
/// (<c>Linear1_out</c>), <c>d</c> + the value it is the gradient of (<c>dPred</c>), else its first
/// operand and op (<c>h_relu</c>). Public names are fixed (inputs, parameters, their gradients,
/// outputs, dropout masks): apps bind to them. Every name is a valid C# and MIL identifier, and
/// clashes get a deterministic suffix (<c>h2</c>, <c>h3</c>) in node order.
/// </summary>
internal sealed partial class ValueNames
{
    /// <summary>Names the trainer's own members or the package's functions use (bare, without the field's underscore).</summary>
    private static readonly string[] Reserved =
    {
        "batch", "seed", "step", "learningRate", "training", "optimizer", "parameters", "outputs", "dropoutRng",
        "loss", "learning_rate", "b", "v", "lr",
    };

    private readonly string[] _names;
    private readonly HashSet<string> _taken = new(System.StringComparer.Ordinal);
    private readonly List<string> _reservedPrefixes = new();
    private readonly Dictionary<(int, string), string> _derived = new();

    public ValueNames(IReadOnlyList<Node> nodes, IReadOnlyDictionary<int, string>? fixedNames = null, IEnumerable<string>? reservedPrefixes = null)
    {
        _names = new string[nodes.Count];
        _taken.UnionWith(Reserved);
        if (reservedPrefixes is not null) _reservedPrefixes.AddRange(reservedPrefixes);
        if (fixedNames is not null)
            foreach (var f in fixedNames.OrderBy(f => f.Key)) { _names[f.Key] = f.Value; _taken.Add(f.Value); }
        for (int id = 0; id < nodes.Count; id++)
            _names[id] ??= Claim(Base(nodes, id));
    }

    public string this[int id] => _names[id];

    /// <summary>
    /// A second name belonging to a value, e.g. its shape field (<c>h_shape</c>); claimed on first
    /// use, so it is unique too.
    /// </summary>
    public string Derived(int id, string what)
    {
        // Trainer fields only, never MIL values: the MIL prefixes do not apply.
        if (!_derived.TryGetValue((id, what), out var name)) _derived[(id, what)] = name = Claim(_names[id] + "_" + what, checkPrefixes: false);
        return name;
    }

    /// <summary>A name as a C# identifier: public names are kept as apps see them, so a keyword among them (<c>out</c>) is written <c>@out</c>.</summary>
    public static string Verbatim(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>The name of the gradient of a value named <paramref name="value"/>: <c>pred</c> → <c>dPred</c>.</summary>
    public static string GradientOf(string value) =>
        "d" + char.ToUpperInvariant(value.TrimStart('_')[0]) + value.TrimStart('_').Substring(1);

    /// <summary>The name a value would have before clashes are resolved.</summary>
    public static string Base(IReadOnlyList<Node> nodes, int id)
    {
        var n = nodes[id];
        string root = Root(n);
        if (root.Length > 0) return root;
        if (n.Args.Count > 0 && n.Args[0] >= 0)
        {
            // h_relu, h_relu_max_pool2d; past a few ops the chain stops reading well, so start again from the op.
            string operand = Base(nodes, n.Args[0]);
            return (operand.Length <= 24 ? operand : nodes[n.Args[0]].Op) + "_" + n.Op;
        }
        return n.Op;
    }

    /// <summary>A name the value has by itself: its display name, an input's name, a constant's value, the layer whose output it is.</summary>
    private static string Root(Node n)
    {
        if (n.Display.Length > 0) return n.Display;
        if (n.Op == "input") return n.Name;
        if (n.Op == "const") return "c_" + n.Scalar.ToString("R", CultureInfo.InvariantCulture).Replace('-', 'm').Replace('.', '_');
        // Net.Forward(x) / Linear1.Forward(h): the user's source names the layer that made this value.
        int dot = n.Source.IndexOf(".Forward(", System.StringComparison.Ordinal);
        return dot > 0 && n.Source.Take(dot).All(c => char.IsLetterOrDigit(c) || c == '_') ? n.Source.Substring(0, dot) + "_out" : "";
    }

    private string Claim(string wanted, bool checkPrefixes = true)
    {
        string stem = Identifier(wanted);
        // A name the runtime derives from a public one (w_exp_avg, w_new) is left to it.
        for (int i = 0; checkPrefixes && PrefixTaken(stem) && i < 4; i++) stem = "_" + stem;
        string name = stem;
        // A stem ending in a digit takes "_k" so "conv1" + 2 reads conv1_2, not conv12.
        for (int k = 2; _taken.Contains(name); k++)
            name = char.IsDigit(stem[stem.Length - 1]) ? stem + "_" + k.ToString(CultureInfo.InvariantCulture) : stem + k.ToString(CultureInfo.InvariantCulture);
        _taken.Add(name);
        return name;
    }

    private bool PrefixTaken(string name) => _reservedPrefixes.Any(p => name.StartsWith(p, System.StringComparison.Ordinal));

    /// <summary>ASCII letters, digits and '_', not starting with a digit, no C# keyword, no MIL reserved word.</summary>
    private static string Identifier(string s)
    {
        var sb = new StringBuilder(s.Length + 1);
        foreach (char c in s) sb.Append(c < 128 && (char.IsLetterOrDigit(c) || c == '_') ? c : '_');
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, 'v');
        string name = ModelNaming.InputName(sb.ToString());
        return SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? name + "_" : name;
    }
}

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TrainingGen.Generator.Emit;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Ops;

/// <summary>What a VJP rule can do while the backward pass is built.</summary>
internal sealed class AdContext
{
    private readonly List<Node> _nodes;
    private readonly HashSet<int> _active;
    private readonly Dictionary<int, int> _adjoint;
    private readonly int _forwardCount;
    // Backward nodes by what they compute (op, operands, shape, attributes): a rule asking for a
    // value that already exists gets that node, so d(x * x) computes g·x once, not twice.
    private readonly Dictionary<string, int> _computed = new(System.StringComparer.Ordinal);

    public AdContext(List<Node> nodes, HashSet<int> active, Dictionary<int, int> adjoint)
    {
        _nodes = nodes; _active = active; _adjoint = adjoint; _forwardCount = nodes.Count;
    }

    public Node Node(int id) => _nodes[id];
    public EquatableArray<int> ShapeOf(int id) => _nodes[id].Shape;
    public bool IsActive(int id) => id >= 0 && _active.Contains(id);

    /// <summary>
    /// Adds a backward node, or returns the existing node that computes the same value. Fills are
    /// never shared: each is a gradient of its own (two frozen-path parameters' zero gradients).
    /// </summary>
    public int Add(string op, int[] args, EquatableArray<int> shape, string source, params double[] attrs)
    {
        string key = op + "|" + string.Join(",", args) + "|" + string.Join(",", shape) + "|" +
                     string.Join(",", attrs.Select(a => a.ToString("R", CultureInfo.InvariantCulture)));
        if (op != "fill" && _computed.TryGetValue(key, out int same)) return same;
        int id = _nodes.Count;
        _nodes.Add(new Node(id, op, args.ToEquatable(), shape, attrs.ToEquatable(), "", source));
        if (op != "fill") _computed[key] = id;
        return id;
    }

    /// <summary>Sums <paramref name="g"/> down to the shape of <paramref name="target"/> (undoes broadcasting).</summary>
    public int SumTo(int g, int target, string source) =>
        ShapeOf(g).Equals(ShapeOf(target)) ? g : Add("sum_to", new[] { g }, ShapeOf(target), source);

    /// <summary>
    /// Adds <paramref name="g"/> to the adjoint of <paramref name="value"/> (if it is active) and
    /// names the contribution after it (<c>dH</c> for the gradient of <c>h</c>).
    /// </summary>
    public void Contribute(int value, int g)
    {
        if (!IsActive(value)) return;
        string name = ValueNames.GradientOf(ValueNames.Base(_nodes, value));
        if (_adjoint.TryGetValue(value, out int prev))
        {
            // Partial sums are dH_part; the accumulated gradient is dH.
            NameGradient(prev, name + "_part", replacing: name);
            NameGradient(g, name + "_part", replacing: name);
            _adjoint[value] = Add("add", new[] { prev, g }, ShapeOf(value), "accumulate d/d(" + _nodes[value].Source + ")");
        }
        else _adjoint[value] = g;
        NameGradient(_adjoint[value], name, replacing: "");
    }

    private void NameGradient(int grad, string name, string replacing)
    {
        if (grad >= _forwardCount && (_nodes[grad].Display.Length == 0 || _nodes[grad].Display == replacing))
            _nodes[grad] = _nodes[grad] with { Display = name };
    }
}

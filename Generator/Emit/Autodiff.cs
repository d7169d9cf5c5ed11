using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Emit;

/// <summary>
/// The backward pass as more IR: reverse-mode AD done once, at compile time, for one model.
/// <see cref="Nodes"/> holds forward then backward nodes in one id space;
/// <see cref="ParamGrads"/> gives, per parameter, the node holding its gradient (−1 when frozen).
/// </summary>
internal sealed record BackwardPlan(EquatableArray<Node> Nodes, int ForwardCount, EquatableArray<int> ParamGrads);

/// <summary>
/// Reverse-mode differentiation on the IR. Only values on a path from a trainable parameter to
/// the loss get adjoints (activity analysis), so frozen parameters and inputs cost nothing. Each
/// rule is the op's vector–Jacobian product; broadcasting is undone with <c>sum_to</c>.
/// </summary>
internal static class Autodiff
{
    public static BackwardPlan Differentiate(TrainingModelIr ir)
    {
        var nodes = ir.Nodes.ToList();
        int forwardCount = nodes.Count;
        var active = ActiveValues(ir);
        var adjoint = new Dictionary<int, int>();

        int Add(string op, int[] args, EquatableArray<int> shape, double scalar, string source, string name = "")
        {
            int id = nodes.Count;
            nodes.Add(new Node(id, op, args.ToEquatable(), shape, scalar, name, source));
            return id;
        }
        EquatableArray<int> ShapeOf(int id) => nodes[id].Shape;
        int SumTo(int g, int target, string src) =>
            ShapeOf(g).Equals(ShapeOf(target)) ? g : Add("sum_to", new[] { g }, ShapeOf(target), 0, src);
        void Contribute(int value, int g)
        {
            if (!active.Contains(value)) return;
            adjoint[value] = adjoint.TryGetValue(value, out int prev)
                ? Add("add", new[] { prev, g }, ShapeOf(value), 0, "accumulate d/d(" + nodes[value].Source + ")")
                : g;
        }

        // dL/dL = 1
        adjoint[ir.LossNode] = Add("fill", System.Array.Empty<int>(), EquatableArray<int>.Empty, 1.0, "d(loss)/d(loss) = 1");

        for (int i = forwardCount - 1; i >= 0; i--)
        {
            if (!adjoint.TryGetValue(i, out int g)) continue;
            var n = nodes[i];
            string src = n.Source;
            switch (n.Op)
            {
                case "add":
                    Contribute(n.Args[0], SumTo(g, n.Args[0], "d(a + b)/da: " + src));
                    Contribute(n.Args[1], SumTo(g, n.Args[1], "d(a + b)/db: " + src));
                    break;
                case "sub":
                    Contribute(n.Args[0], SumTo(g, n.Args[0], "d(a - b)/da: " + src));
                    if (active.Contains(n.Args[1]))
                        Contribute(n.Args[1], SumTo(Add("neg", new[] { g }, ShapeOf(g), 0, "d(a - b)/db = -g: " + src), n.Args[1], "d(a - b)/db: " + src));
                    break;
                case "mul":
                    if (active.Contains(n.Args[0]))
                        Contribute(n.Args[0], SumTo(Add("mul", new[] { g, n.Args[1] }, ShapeOf(g), 0, "d(a * b)/da = g * b: " + src), n.Args[0], "d(a * b)/da: " + src));
                    if (active.Contains(n.Args[1]))
                        Contribute(n.Args[1], SumTo(Add("mul", new[] { g, n.Args[0] }, ShapeOf(g), 0, "d(a * b)/db = g * a: " + src), n.Args[1], "d(a * b)/db: " + src));
                    break;
                case "div":
                    if (active.Contains(n.Args[0]))
                        Contribute(n.Args[0], SumTo(Add("div", new[] { g, n.Args[1] }, ShapeOf(g), 0, "d(a / b)/da = g / b: " + src), n.Args[0], "d(a / b)/da: " + src));
                    if (active.Contains(n.Args[1]))
                    {
                        // d(a/b)/db = −g·(a/b)/b
                        int gy = Add("mul", new[] { g, i }, ShapeOf(g), 0, "d(a / b)/db: g * (a / b): " + src);
                        int q = Add("div", new[] { gy, n.Args[1] }, ShapeOf(g), 0, "d(a / b)/db: g * (a / b) / b: " + src);
                        Contribute(n.Args[1], SumTo(Add("neg", new[] { q }, ShapeOf(g), 0, "d(a / b)/db = -g * a / b^2: " + src), n.Args[1], "d(a / b)/db: " + src));
                    }
                    break;
                case "neg":
                    Contribute(n.Args[0], Add("neg", new[] { g }, ShapeOf(g), 0, "d(-a)/da = -g: " + src));
                    break;
                case "relu":
                    Contribute(n.Args[0], Add("relu_grad", new[] { g, i }, ShapeOf(g), 0, "d(relu(a))/da = g * (y > 0): " + src));
                    break;
                case "mean":
                    Contribute(n.Args[0], Add("mean_grad", new[] { g }, ShapeOf(n.Args[0]), 0, "d(mean(a))/da = g / count(a): " + src));
                    break;
                case "sum":
                    Contribute(n.Args[0], Add("sum_grad", new[] { g }, ShapeOf(n.Args[0]), 0, "d(sum(a))/da = g: " + src));
                    break;
                case "linear":
                {
                    int x = n.Args[0], w = n.Args[1], b = n.Args[2];
                    if (active.Contains(w)) Contribute(w, Add("linear_dw", new[] { g, x }, ShapeOf(w), 0, "d(x·Wᵀ + b)/dW = gᵀ·x: " + src));
                    if (b >= 0 && active.Contains(b)) Contribute(b, Add("linear_db", new[] { g }, ShapeOf(b), 0, "d(x·Wᵀ + b)/db = Σ_rows g: " + src));
                    if (active.Contains(x)) Contribute(x, Add("linear_dx", new[] { g, w }, ShapeOf(x), 0, "d(x·Wᵀ + b)/dx = g·W: " + src));
                    break;
                }
            }
        }

        var grads = new List<int>();
        for (int p = 0; p < ir.Params.Count; p++)
        {
            if (!ir.Params[p].Trainable) { grads.Add(-1); continue; }
            int node = ParamNode(ir, p);
            // A trainable parameter the loss does not depend on gets a zero gradient.
            grads.Add(adjoint.TryGetValue(node, out int gid) ? gid
                : Add("fill", System.Array.Empty<int>(), ir.Params[p].Shape, 0.0, "no path to the loss: gradient is zero"));
        }
        return new BackwardPlan(nodes.ToEquatable(), forwardCount, grads.ToEquatable());
    }

    public static int ParamNode(TrainingModelIr ir, int paramIndex)
    {
        string key = paramIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var n in ir.Nodes) if (n.Op == "param" && n.Name == key) return n.Id;
        throw new KeyNotFoundException($"No node for parameter {paramIndex}.");
    }

    /// <summary>Values that depend on a trainable parameter and that the loss depends on.</summary>
    private static HashSet<int> ActiveValues(TrainingModelIr ir)
    {
        var fromParams = new HashSet<int>();
        foreach (var n in ir.Nodes)
        {
            bool seed = n.Op == "param" && ir.Params[int.Parse(n.Name, System.Globalization.CultureInfo.InvariantCulture)].Trainable;
            if (seed || n.Args.Any(a => a >= 0 && fromParams.Contains(a))) fromParams.Add(n.Id);
        }
        var toLoss = new HashSet<int>();
        var stack = new Stack<int>();
        stack.Push(ir.LossNode);
        while (stack.Count > 0)
        {
            int id = stack.Pop();
            if (id < 0 || !toLoss.Add(id)) continue;
            foreach (var a in ir.Nodes[id].Args) stack.Push(a);
        }
        fromParams.IntersectWith(toLoss);
        return fromParams;
    }
}

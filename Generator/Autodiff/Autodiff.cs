using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;

// The stage has its own folder (pipeline order: Frontend, Autodiff, Planning, Emit); the namespace
// stays Emit, where its only callers are, so moving it needs no edit to them.
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
        var nodes = ir.Nodes.Select(n => n.Op == "param" && n.Display.Length == 0 ? n with { Display = ParamDisplay(ir, n) } : n).ToList();
        int forwardCount = nodes.Count;
        var adjoint = new Dictionary<int, int>();
        var ad = new AdContext(nodes, ActiveValues(ir), adjoint);

        // dL/dL = 1
        adjoint[ir.LossNode] = ad.Add("fill", System.Array.Empty<int>(), EquatableArray<int>.Empty, "d(loss)/d(loss) = 1", 1.0);
        nodes[adjoint[ir.LossNode]] = nodes[adjoint[ir.LossNode]] with { Display = "dLoss" };

        for (int i = forwardCount - 1; i >= 0; i--)
            if (adjoint.TryGetValue(i, out int g))
                OpRules.Get(nodes[i].Op).Backward(ad, nodes[i], g);

        var grads = new List<int>();
        for (int p = 0; p < ir.Params.Count; p++)
        {
            if (!ir.Params[p].Trainable) { grads.Add(-1); continue; }
            int node = ParamNode(ir, p);
            // A trainable parameter the loss does not depend on gets a zero gradient.
            grads.Add(adjoint.TryGetValue(node, out int gid) ? gid
                : ad.Add("fill", System.Array.Empty<int>(), ir.Params[p].Shape, "no path to the loss: gradient is zero", 0.0));
        }
        return new BackwardPlan(nodes.ToEquatable(), forwardCount, grads.ToEquatable());
    }

    /// <summary>How the user's code reaches a parameter, as a name: <c>model.Net.Fc1.Weight</c> → <c>Fc1_Weight</c>.</summary>
    private static string ParamDisplay(TrainingModelIr ir, Node n)
    {
        var path = ir.Params[int.Parse(n.Name, System.Globalization.CultureInfo.InvariantCulture)].ModelAccess.TrimEnd('!').Split('.');
        return string.Join("_", path.Skip(System.Math.Max(1, path.Length - 2)));
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
        fromParams.IntersectWith(IrQueries.LossNodes(ir));
        return fromParams;
    }
}

using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.Generator.Model;

/// <summary>Questions the emitters ask of a parsed model.</summary>
internal static class IrQueries
{
    /// <summary>The forward nodes the prediction outputs depend on (they never read labels).</summary>
    public static HashSet<int> PredictionNodes(TrainingModelIr ir) => Reachable(ir.Nodes, ir.Outputs.Select(o => o.NodeId));

    /// <summary>The nodes the loss depends on (including itself).</summary>
    public static HashSet<int> LossNodes(TrainingModelIr ir) => Reachable(ir.Nodes, new[] { ir.LossNode });

    /// <summary>
    /// All nodes the given nodes depend on, including themselves. Absent operands (−1) and ids
    /// outside <paramref name="nodes"/> are skipped.
    /// </summary>
    public static HashSet<int> Reachable(IReadOnlyList<Node> nodes, IEnumerable<int> roots)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>(roots);
        while (stack.Count > 0)
        {
            int id = stack.Pop();
            if (id < 0 || id >= nodes.Count || !seen.Add(id)) continue;
            foreach (var a in nodes[id].Args) stack.Push(a);
        }
        return seen;
    }
}

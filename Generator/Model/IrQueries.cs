using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.Generator.Model;

/// <summary>Questions the emitters ask of a parsed model.</summary>
internal static class IrQueries
{
    /// <summary>The forward nodes the prediction outputs depend on (they never read labels).</summary>
    public static HashSet<int> PredictionNodes(TrainingModelIr ir)
    {
        var pred = new HashSet<int>();
        var stack = new Stack<int>(ir.Outputs.Select(o => o.NodeId));
        while (stack.Count > 0)
        {
            int id = stack.Pop();
            if (id < 0 || !pred.Add(id)) continue;
            foreach (var a in ir.Nodes[id].Args) stack.Push(a);
        }
        return pred;
    }
}

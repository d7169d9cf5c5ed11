using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

// The stage has its own folder (pipeline order: Frontend, Autodiff, Planning, Emit); the namespace
// stays Emit, where its only callers are, so moving it needs no edit to them.
namespace TrainingGen.Generator.Emit;

/// <summary>
/// Which buffer holds each value of a training step. Values are computed in a fixed order
/// (predictions, loss, backward); once a value's last reader has run, its buffer is free for a
/// later value of the same size. Values that must outlive the step — outputs, the loss, parameter
/// gradients, constants written once, dropout masks — keep buffers of their own.
/// </summary>
internal sealed class BufferPlan
{
    private readonly Dictionary<int, int> _owner;

    private BufferPlan(Dictionary<int, int> owner, List<int> owners, Dictionary<int, List<int>> sharing)
    {
        _owner = owner; Owners = owners; Sharing = sharing;
    }

    /// <summary>The node whose <c>_t</c> field holds the value of <paramref name="id"/>.</summary>
    public int Owner(int id) => _owner.TryGetValue(id, out int o) ? o : id;

    /// <summary>Nodes that own a buffer (one field each).</summary>
    public List<int> Owners { get; }

    /// <summary>For each owner, every value stored in its buffer over a step.</summary>
    public Dictionary<int, List<int>> Sharing { get; }

    /// <summary>
    /// Plans the buffers for values computed in <paramref name="schedule"/>'s order. A value another
    /// node's call computes with it (<paramref name="fused"/>: first → second, always neighbours in the
    /// schedule) is never stored and gets no buffer; the inputs of the pair are freed only once the second
    /// value has its buffer, so the fused call never writes a buffer it reads.
    /// </summary>
    public static BufferPlan Create(TrainingModelIr ir, BackwardPlan plan, IReadOnlyList<int> schedule, IReadOnlyDictionary<int, int> fused)
    {
        var nodes = plan.Nodes;
        var pinned = new HashSet<int>(ir.Outputs.Select(o => o.NodeId)) { ir.LossNode };
        foreach (var g in plan.ParamGrads) if (g >= 0) pinned.Add(g);
        foreach (var n in nodes) if (n.Op is "const" or "fill" or "dropout_mask") pinned.Add(n.Id);

        var lastUse = new Dictionary<int, int>();
        for (int i = 0; i < schedule.Count; i++)
            foreach (var a in nodes[schedule[i]].Args)
                if (a >= 0) lastUse[a] = i;

        var owner = new Dictionary<int, int>();
        var owners = new List<int>();
        var sharing = new Dictionary<int, List<int>>();
        var free = new Dictionary<string, Stack<int>>();
        var pending = new List<int>(); // inputs of an absorbed value, freed after its partner's buffer is taken
        for (int i = 0; i < schedule.Count; i++)
        {
            var n = nodes[schedule[i]];
            if (n.Op is "input" or "param") continue;
            if (fused.ContainsKey(n.Id))
            {
                pending.AddRange(n.Args.Where(a => a >= 0 && lastUse.TryGetValue(a, out int l) && l == i));
                continue;
            }
            string size = Count(n.Shape);
            int buffer;
            if (!pinned.Contains(n.Id) && free.TryGetValue(size, out var stack) && stack.Count > 0) buffer = stack.Pop();
            else { buffer = n.Id; owners.Add(buffer); sharing[buffer] = new List<int>(); }
            owner[n.Id] = buffer;
            sharing[buffer].Add(n.Id);

            // Free what died here (after this node is computed, so no op writes over its own input).
            var dying = n.Args.Where(a => a >= 0 && lastUse.TryGetValue(a, out int l) && l == i).Concat(pending).Distinct().ToList();
            pending.Clear();
            if (!lastUse.ContainsKey(n.Id)) dying.Add(n.Id);
            foreach (var d in dying)
            {
                if (!owner.TryGetValue(d, out int b) || pinned.Contains(d)) continue;
                string key = Count(nodes[d].Shape);
                if (!free.TryGetValue(key, out var s)) free[key] = s = new Stack<int>();
                s.Push(b);
            }
        }
        return new BufferPlan(owner, owners, sharing);
    }
}

using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Emit;

/// <summary>The trainer's passes (one kernel call per value), the optimizer step and the closing summary.</summary>
internal sealed partial class TrainerEmitter
{
    private void GeneratePasses()
    {
        w.Line("/// <summary>The part of the forward pass that computes the predictions (features only).</summary>");
        Pass($"private void RunPredictions({List(_features, InputArg)})", _order.Predictions);
        w.Line("/// <summary>The rest of the forward pass: the loss.</summary>");
        Pass($"private void RunLoss({List(_ir.Inputs, InputArg)})", _order.Loss);
        w.Line("/// <summary>The backward pass, from dL/dL = 1 to every trainable parameter.</summary>");
        Pass($"private void RunBackward({List(_ir.Inputs, InputArg)})", Enumerable.Range(_plan.ForwardCount, _nodes.Count - _plan.ForwardCount));
    }

    private string InputArg(Input i) => $"{(i.IsInteger ? "int" : "float")}[] {_ctx.Ref(i.NodeId)}";

    private void Pass(string signature, IEnumerable<int> ids)
    {
        using (w.Block(signature))
            foreach (var id in ids)
            {
                if (Fusion.AbsorbedBy(_ctx, _nodes[id]) is { } why)
                    w.Line($"// {_ctx.Names[id]} = {Comment(_nodes[id].Source)}: {why}");
                else if (OpRules.Get(_nodes[id].Op).Trainer(_ctx, _nodes[id]) is { } code)
                    w.Line($"// {_ctx.Names[id]} = {Comment(_nodes[id].Source)}").Line(code);
            }
        w.Line();
    }

    private void GenerateApplyUpdate()
    {
        w.Line("/// <summary>The optimizer's update of every trainable parameter from the current gradients.</summary>");
        using (w.Block("public void ApplyUpdate()"))
            w.Line(ThreadScope).Line("_optimizer.Step(LearningRate, _step);").Line("_step++;");
        w.Line();
    }

    /// <summary>Comments after the class: what the backward pass keeps from the forward pass, and the memory the buffers take.</summary>
    private void GenerateSummary()
    {
        var used = new HashSet<int>();
        for (int id = _plan.ForwardCount; id < _nodes.Count; id++)
            foreach (var a in _nodes[id].Args) if (a >= 0 && a < _plan.ForwardCount) used.Add(a);
        w.Line("// Saved for the backward pass (forward values its rules read):");
        foreach (var id in used.Where(id => _nodes[id].Op is not ("input" or "param" or "const")).OrderBy(i => i))
            w.Line(_ctx.FusedWith(id) is int second and >= 0
                ? $"//   {_ctx.Names[id]} (not stored: the call that computes it stores {_ctx.Names[second]}) {EmitShape(_nodes[id].Shape)} = {Comment(_nodes[id].Source)}"
                : $"//   {_ctx.Names[id]} in {_ctx.Ref(id)} {EmitShape(_nodes[id].Shape)} = {Comment(_nodes[id].Source)}");

        var all = Bytes(_nodes.Where(n => n.Op is not ("input" or "param")).Select(n => n.Id));
        var reused = Bytes(_buffers.Owners);
        long paramBytes = _ir.Params.Sum(p => Elements(p.Shape) * 4);
        long trainableBytes = _ir.Params.Where(p => p.Trainable).Sum(p => Elements(p.Shape) * 4);
        w.Line($"// Buffers: {_buffers.Owners.Count} for {_nodes.Count(n => n.Op is not ("input" or "param"))} values, {reused.PerSample} bytes per sample in the batch + {reused.Fixed} bytes " +
               $"(without reuse: {all.PerSample} + {all.Fixed}); parameters {paramBytes} bytes (trainable {trainableBytes} bytes, plus optimizer state per slot).");
    }

    /// <summary>The bytes of some values: the part that grows with the batch (per sample) and the fixed part.</summary>
    private (long PerSample, long Fixed) Bytes(IEnumerable<int> ids)
    {
        long perSample = 0, fixedBytes = 0;
        foreach (var id in ids)
        {
            var shape = _nodes[id].Shape;
            long bytes = Elements(shape.Where(d => d != Dims.Batch)) * 4;
            if (shape.Any(d => d == Dims.Batch)) perSample += bytes; else fixedBytes += bytes;
        }
        return (perSample, fixedBytes);
    }

    private static long Elements(IEnumerable<int> shape) => shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Forward nodes split into the prediction part (features only) and the loss part.</summary>
    private sealed class ForwardOrder
    {
        public ForwardOrder(TrainingModelIr ir)
        {
            var pred = IrQueries.PredictionNodes(ir);
            Predictions = ir.Nodes.Select(n => n.Id).Where(pred.Contains).ToList();
            Loss = ir.Nodes.Select(n => n.Id).Where(id => !pred.Contains(id)).ToList();
        }
        public List<int> Predictions { get; }
        public List<int> Loss { get; }
    }
}

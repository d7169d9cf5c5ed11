using System.Linq;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Emit;

/// <summary>The bodies every function composes (predictions, loss, backward, optimizer update) and the values they share.</summary>
internal sealed partial class PackageEmitter
{
    private void GenerateBodies()
    {
        var predictions = IrQueries.PredictionNodes(_ir);
        w.Line("/// <summary>The forward ops that compute the predictions (training: batch statistics; otherwise running ones).</summary>");
        using (w.Block($"private void MilPredictions({Mil}.MilFunctionBuilder b, MilValues v, bool training, long batch)"))
        {
            // main passes batch = -1: a flexible batch, which reshape infers (MIL allows one −1 entry).
            var predictionCtx = _ctx.WithBatch("batch");
            foreach (var n in _ir.Nodes.Where(n => predictions.Contains(n.Id))) EmitNode(predictionCtx, n);
        }
        w.Line();
        w.Line("/// <summary>The forward ops that compute the loss; returns it reshaped to [1], named \"loss\".</summary>");
        using (w.Block($"private {Mil}.MilVar MilLoss({Mil}.MilFunctionBuilder b, MilValues v, bool training)"))
        {
            foreach (var n in _ir.Nodes.Where(n => !predictions.Contains(n.Id))) EmitNode(_ctx, n);
            w.Line($"return b.Reshape({_ctx.V(_ir.LossNode)}, new long[] {{ 1 }}, {Names}.Loss);");
        }
        w.Line();
        w.Line("/// <summary>The backward pass as explicit ops, from dL/dL = 1.</summary>");
        using (w.Block($"private void MilBackward({Mil}.MilFunctionBuilder b, MilValues v)"))
            for (int id = _plan.ForwardCount; id < _plan.Nodes.Count; id++) EmitNode(_ctx, _plan.Nodes[id]);
        w.Line();
        GenerateUpdateParameter();
    }

    /// <summary>One value: <c>v.h = b.Relu(v.Conv1_out, name: "h");</c>, named as in the trainer.</summary>
    private void EmitNode(EmitContext c, Node n)
    {
        if (OpRules.Get(n.Op).Mil(c, n, new MilName(c.Names[n.Id])) is { } code)
            w.Line($"{c.V(n.Id)} = {code}; // {Comment(n.Source)}");
    }

    private void GenerateUpdateParameter()
    {
        w.Line("/// <summary>The optimizer's update of one parameter: its state slots in, the updated parameter and slots out.</summary>");
        using (w.Block($"private (global::TrainingGen.CoreML.Mil.MilVar Param, {Mil}.MilVar[] Slots) UpdateParameter({Mil}.MilFunctionBuilder b, {Mil}.MilVar param, {Mil}.MilVar grad, string name, long[] shape, {Mil}.MilVar lr, {Mil}.MilVar step)"))
            w.Line("var slots = global::TrainingGen.TrainingPackage.DeclareSlots(b, _optimizer, name, shape);")
             .Line($"return _optimizer.EmitUpdate(b, param, grad, slots, lr, step, {Names}.Updated(name), global::TrainingGen.TrainingPackage.UpdatedSlotNames(_optimizer, name));");
        w.Line();
    }

    /// <summary>update and train_step: learning rate and step in, then every trainable parameter's update; parameters out first, then slots.</summary>
    private void EmitUpdate()
    {
        w.Line($"var lr = b.Input({Names}.LearningRate, {Mil}.MilDType.Float32, 1L);");
        w.Line($"var step = b.Input({Names}.Step, {Mil}.MilDType.Int32, 1L);");
        foreach (var p in _trainable)
            w.Line($"var {Updated(p)} = UpdateParameter(b, {Param(p)}, {_ctx.V(_plan.ParamGrads[p])}, {Literal(_ir.Params[p].MilName)}, {LongArray(_ir.Params[p].Shape)}, lr, step); // {_ir.Params[p].Path}");
        foreach (var p in _trainable) w.Line($"b.Output({Updated(p)}.Param);");
        foreach (var p in _trainable) w.Line($"foreach (var s in {Updated(p)}.Slots) b.Output(s);");
    }

    private string Updated(int p) => _ctx.Names[Autodiff.ParamNode(_ir, p)] + "_update";

    /// <summary>The MIL values of one function being built, one field per value of the step, named like the trainer's buffers.</summary>
    private void GenerateValues()
    {
        w.Line("/// <summary>The values of the function being built, by name.</summary>");
        using (w.Block("private sealed class MilValues"))
            foreach (var n in _plan.Nodes.Where(HasMilValue))
                w.Line($"public {Mil}.MilVar {ValueNames.Verbatim(_ctx.Names[n.Id])} = null!; // {n.Op}: {Comment(n.Source)}");
    }

    private bool HasMilValue(Node n) => n.Op is "input" or "param" || OpRules.Get(n.Op).Mil(_ctx, n, MilName.None) is not null;
}

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Emit;

/// <summary>The public names of a model's values (kept apart: the analyzers link the naming rules but not autodiff).</summary>
internal sealed partial class ValueNames
{
    /// <summary>The names of a model's values, with the public ones fixed as the package declares them.</summary>
    public static ValueNames For(TrainingModelIr ir, BackwardPlan plan)
    {
        var fixedNames = new Dictionary<int, string>();
        foreach (var i in ir.Inputs) fixedNames[i.NodeId] = i.Name;
        for (int p = 0; p < ir.Params.Count; p++)
        {
            fixedNames[Autodiff.ParamNode(ir, p)] = ir.Params[p].MilName;
            if (plan.ParamGrads[p] >= 0 && !fixedNames.ContainsKey(plan.ParamGrads[p])) fixedNames[plan.ParamGrads[p]] = ir.Params[p].MilName + "_grad";
        }
        foreach (var o in ir.Outputs)
            if (!fixedNames.ContainsKey(o.NodeId)) fixedNames[o.NodeId] = o.Name;
        foreach (var n in ir.Nodes.Where(n => n.Op == "dropout_mask")) fixedNames[n.Id] = "dropout_mask_" + n.Int(0).ToString(CultureInfo.InvariantCulture);
        // Optimizer slots (w_exp_avg), updated values (w_new) and output tensors (out_pred) are named from these prefixes.
        // Counters (bn_num_batches_tracked) are trainer fields named after their path.
        var prefixes = ir.Params.Select(p => p.MilName + "_").Concat(ir.Outputs.Select(o => "out_" + o.Name)).Append("dropout_mask_")
            .Concat(ir.Counters.Select(k => k.MilName));
        return new ValueNames(plan.Nodes, fixedNames, prefixes);
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using TrainingGen.Generator.Frontend;
using TrainingGen.Generator.Model;

namespace TrainingGen.Analyzers;

/// <summary>
/// TG2002: trainable layer properties that never receive a gradient, found from the parsed model.
/// A layer Forward never calls has no parameters in the IR at all; a layer whose parameters are
/// in the IR but not on a path to the loss gets a zero gradient every step (the autodiff fills
/// it). Either way the optimizer would spend state on weights that never move. Frozen layers
/// (the property, or a sub-model above it, marked [Frozen]) are fine.
/// </summary>
internal static class GradientRule
{
    public static IEnumerable<(IPropertySymbol Property, string Reason)> ParametersWithoutGradient(INamedTypeSymbol model, TrainingModelIr ir)
    {
        var toLoss = IrQueries.LossNodes(ir);
        var paramNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in ir.Nodes)
            if (n.Op == "param") paramNode[n.Name] = n.Id;

        // Access path of a layer property (model.Backend.Linear1) → does any trainable parameter of it reach the loss?
        var layers = new Dictionary<string, bool>(StringComparer.Ordinal);
        for (int i = 0; i < ir.Params.Count; i++)
        {
            var p = ir.Params[i];
            if (!p.Trainable) continue;
            int dot = p.ModelAccess.LastIndexOf('.');
            if (dot <= 0) continue;
            string layer = p.ModelAccess.Substring(0, dot);
            bool reaches = paramNode.TryGetValue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out int node) && toLoss.Contains(node);
            layers[layer] = (layers.TryGetValue(layer, out bool r) && r) || reaches;
        }

        var results = new List<(IPropertySymbol, string)>();
        Walk(model, "model", frozen: false, depth: 0, ir, layers, results);
        return results;
    }

    private static void Walk(INamedTypeSymbol type, string access, bool frozen, int depth, TrainingModelIr ir,
        Dictionary<string, bool> layers, List<(IPropertySymbol, string)> results)
    {
        if (depth > 16) return;
        foreach (var p in ParameterNames.LayerProperties(type))
        {
            string at = access + "." + p.Name;
            bool isFrozen = frozen || p.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.FrozenAttribute);
            bool used = ir.Params.Any(q => q.ModelAccess.StartsWith(at + ".", StringComparison.Ordinal));
            if (!used)
            {
                if (!isFrozen && HasParameters(p.Type, 0)) results.Add((p, "Forward never uses it"));
                continue;
            }
            if (isFrozen) continue;
            if (p.Type is INamedTypeSymbol sub && ParameterNames.IsModel(sub))
                Walk(sub, at, isFrozen, depth + 1, ir, layers, results);
            else if (layers.TryGetValue(at, out bool reaches) && !reaches)
                results.Add((p, "its output does not reach the loss"));
        }
    }

    /// <summary>A layer, or a sub-model holding at least one layer somewhere.</summary>
    private static bool HasParameters(ITypeSymbol t, int depth) =>
        t is INamedTypeSymbol n && depth < 16 &&
        (!ParameterNames.IsModel(n) || ParameterNames.LayerProperties(n).Any(p => HasParameters(p.Type, depth + 1)));
}

using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.CoreML.Mil;

/// <summary>
/// The oldest MIL opset (and so the oldest Core ML / OS) a function can be written for, from what
/// its ops use (coreml-format.md §2.2, §6): a package asks no more of the device than it needs.
/// Opsets pair one to one with specification versions: CoreML5 ↔ 6 (iOS 15) … CoreML9 ↔ 10.
/// </summary>
public static class MilOpsets
{
    /// <summary>ML Program opsets, oldest first; index + 6 is the paired specification version.</summary>
    public static readonly IReadOnlyList<string> Ordered = new[] { "CoreML5", "CoreML6", "CoreML7", "CoreML8", "CoreML9" };

    public static int SpecificationVersion(string opset)
    {
        int i = Ordered.ToList().IndexOf(opset);
        return i >= 0 ? i + 6 : throw new ArgumentException($"'{opset}' is not an ML Program opset ({string.Join(", ", Ordered)}).", nameof(opset));
    }

    /// <summary>Op types that do not exist before an opset.</summary>
    private static readonly Dictionary<string, string> OpIntroduced = new(StringComparer.Ordinal)
    {
        ["fill_like"] = "CoreML6",
        ["read_state"] = "CoreML8", ["write_state"] = "CoreML8", ["slice_update"] = "CoreML8",
        ["scaled_dot_product_attention"] = "CoreML8",
    };

    /// <summary>Parameters an op only has from an opset on (a program must not bind them earlier).</summary>
    private static readonly Dictionary<(string Op, string Parameter), string> ParameterIntroduced = new()
    {
        [("gather", "batch_dims")] = "CoreML6",
        [("gather_nd", "batch_dims")] = "CoreML6",
        [("gather", "validate_indices")] = "CoreML7",
        [("gather_along_axis", "validate_indices")] = "CoreML7",
        [("gather_nd", "validate_indices")] = "CoreML7",
        [("scatter", "validate_indices")] = "CoreML7",
        [("scatter_along_axis", "validate_indices")] = "CoreML7",
        [("scatter_nd", "validate_indices")] = "CoreML7",
    };

    /// <summary>The oldest opset that has every op, parameter and input/output type <paramref name="f"/> uses.</summary>
    public static string Required(MilFunction f)
    {
        int need = 0;
        void Need(string opset) => need = Math.Max(need, Ordered.ToList().IndexOf(opset));

        // Zero inputs and states need spec 9 (InterfaceValidators: "Empty input is only valid in
        // specification version >= 9"); fp16 inputs and outputs need spec 7.
        if (f.Inputs.Count == 0 || f.Inputs.Any(i => i.Type.IsState)) Need("CoreML8");
        var io = f.Inputs.Select(i => i.Type.Tensor.DType).Concat(f.Outputs.Select(o => f.TypeOf(o).Tensor.DType));
        if (io.Any(t => t == MilDType.Float16)) Need("CoreML6");

        var consts = new HashSet<string>(f.Operations.Where(op => op.Type == "const").Select(op => op.Name), StringComparer.Ordinal);
        bool Runtime(MilOperation op, string parameter) =>
            op.Input(parameter) is { } b && b.Any(x => x.Name is not null && !consts.Contains(x.Name));
        foreach (var op in f.Operations)
        {
            if (OpIntroduced.TryGetValue(op.Type, out var introduced)) Need(introduced);
            foreach (var input in op.Inputs)
                if (ParameterIntroduced.TryGetValue((op.Type, input.Key), out var p)) Need(p);
            // iOS 17 lets these be runtime values (§6.7); before that they must be constants.
            if (op.Type == "conv" && Runtime(op, "bias")) Need("CoreML7");
            if (op.Type == "conv_transpose" && (Runtime(op, "weight") || Runtime(op, "bias"))) Need("CoreML7");
            if (op.Type == "cast" && ConstString(f, op, "dtype") is "int8" or "uint8" or "int16" or "uint16") Need("CoreML7");
        }
        return Ordered[need];
    }

    /// <summary>A copy of <paramref name="f"/> declared for <paramref name="opset"/> (same inputs, ops and outputs).</summary>
    public static MilFunction WithOpset(MilFunction f, string opset)
    {
        SpecificationVersion(opset);
        var copy = new MilFunction(f.Name, opset);
        copy.Inputs.AddRange(f.Inputs);
        copy.Operations.AddRange(f.Operations);
        copy.Outputs.AddRange(f.Outputs);
        return copy;
    }

    private static string? ConstString(MilFunction f, MilOperation op, string parameter)
    {
        var binding = op.Input(parameter)?.FirstOrDefault();
        var value = binding?.Value ?? f.Operations.FirstOrDefault(o => o.Type == "const" && o.Name == binding?.Name)?.Attribute("val");
        return value?.Strings is { Length: 1 } s ? s[0] : null;
    }
}

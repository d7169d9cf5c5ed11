using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>
/// iOS18 states: <c>read_state(input)</c> returns the current value of the state bound by name;
/// <c>write_state(input, data)</c> replaces it (no outputs). Values persist for the caller of
/// <see cref="MilInterpreter.Run(System.Collections.Generic.IReadOnlyDictionary{string, TrainingGen.CoreML.Mil.MilTensor}, System.Collections.Generic.IDictionary{string, TrainingGen.CoreML.Mil.MilTensor})"/>.
/// </summary>
internal static class StateOps
{
    public static void Register(Dictionary<string, OpKernel> k)
    {
        k["read_state"] = ctx => new[] { ctx.State("input").Value };
        k["write_state"] = WriteState;
    }

    private static NdArray[] WriteState(OpContext ctx)
    {
        var cell = ctx.State("input");
        var data = ctx.Tensor("data");
        var shape = cell.Type.Shape;
        bool shapeOk = shape is null ||
            (shape.Length == data.Rank && shape.Zip(data.Shape, (e, g) => e < 0 || e == g).All(b => b));
        if (data.DType != cell.Type.DType || !shapeOk)
            throw ctx.Error($"data {data.TypeText} does not match state '{cell.Name}' of type {cell.Type}.");
        cell.Value = data;
        return System.Array.Empty<NdArray>();
    }
}

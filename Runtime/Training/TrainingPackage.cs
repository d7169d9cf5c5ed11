using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;

namespace TrainingGen;

/// <summary>
/// Turns the functions a generated trainer builds into a multi-function ML Program
/// (spec 9, opset CoreML8): descriptions derived from each function's signature, so they cannot
/// disagree with the program, and the training manifest in the metadata.
/// </summary>
public static class TrainingPackage
{
    public const int SpecificationVersion = 9;
    public const string Opset = "CoreML8";

    public static MlModelSpec Assemble(IReadOnlyList<MilFunction> functions, string defaultFunction,
        TrainingManifest manifest, string shortDescription)
    {
        if (!functions.Any(f => f.Name == defaultFunction))
            throw new ArgumentException($"The default function '{defaultFunction}' is not among the functions.");
        var spec = new MlModelSpec
        {
            SpecificationVersion = SpecificationVersion,
            IsMultiFunction = true,
            DefaultFunctionName = defaultFunction,
            ShortDescription = shortDescription,
            Author = "TrainingGen",
            VersionString = typeof(TrainingPackage).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        };
        foreach (var f in functions)
        {
            spec.Program.Functions.Add(f);
            spec.Functions.Add(Describe(f));
        }
        spec.UserDefined[TrainingManifest.MetadataKey] = manifest.ToJson();
        spec.UserDefined["com.traininggen.version"] = spec.VersionString;
        return spec;
    }

    /// <summary>
    /// A single-function inference package from <paramref name="main"/>, with the description at
    /// the top level as Core ML expects for one function. It is declared for the oldest opset its
    /// ops need (<see cref="MilOpsets.Required"/>; CoreML5, spec 6 / iOS 15, for a plain network)
    /// rather than the training package's iOS 18, so it runs on every device that can run it.
    /// </summary>
    public static MlModelSpec AssembleInference(MilFunction main, string shortDescription)
    {
        if (main.Name != "main") throw new ArgumentException("An inference package's function must be named 'main'.");
        string opset = MilOpsets.Required(main);
        main = MilOpsets.WithOpset(main, opset);
        var spec = new MlModelSpec
        {
            SpecificationVersion = MilOpsets.SpecificationVersion(opset),
            IsMultiFunction = false,
            ShortDescription = shortDescription,
            Author = "TrainingGen",
            VersionString = typeof(TrainingPackage).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        };
        spec.Program.Functions.Add(main);
        spec.Functions.Add(Describe(main));
        spec.UserDefined["com.traininggen.version"] = spec.VersionString;
        return spec;
    }

    /// <summary>The type of <paramref name="t"/> with a size-1 axis inserted at <paramref name="axis"/> (expand_dims).</summary>
    public static MilTensorType Expanded(MilTensorType t, int axis)
    {
        var s = t.Shape!.ToList();
        s.Insert(axis, 1);
        return new MilTensorType(t.DType, s.ToArray());
    }

    /// <summary>Declares the optimizer state inputs of one parameter (slot order) in a function being built.</summary>
    public static MilVar[] DeclareSlots(MilFunctionBuilder b, Optimizers.Optimizer optimizer, string param, long[] shape) =>
        optimizer.SlotNames.Select(s => b.Input(TrainingNames.Slot(param, s), MilDType.Float32, shape)).ToArray();

    /// <summary>Names of the updated state outputs of one parameter.</summary>
    public static string[] UpdatedSlotNames(Optimizers.Optimizer optimizer, string param) =>
        optimizer.SlotNames.Select(s => TrainingNames.Updated(TrainingNames.Slot(param, s))).ToArray();

    /// <summary>A function description from its inputs and block outputs. Rank-0 values are declared as [1].</summary>
    public static FunctionSpec Describe(MilFunction f)
    {
        var d = new FunctionSpec(f.Name);
        foreach (var i in f.Inputs)
        {
            var fs = Feature(i.Name, i.Type.Tensor, i.Type.IsState, isInput: true);
            if (i.Type.IsState) d.States.Add(fs); else d.Inputs.Add(fs);
        }
        foreach (var o in f.Outputs) d.Outputs.Add(Feature(o, f.TypeOf(o).Tensor, false, isInput: false));
        return d;
    }

    /// <summary>
    /// A description feature. An input with unknown dimensions (a flexible batch) gets a default of 1
    /// there and a shapeRange of [1, unbounded); an output with unknown dimensions is written with
    /// an empty shape, as coremltools does.
    /// </summary>
    private static FeatureSpec Feature(string name, MilTensorType t, bool isState, bool isInput)
    {
        var shape = t.Shape ?? throw new InvalidOperationException($"'{name}' has unknown rank; packages use static ranks.");
        if (shape.Length == 0) return new FeatureSpec(name, t.DType, new long[] { 1 }, isState);
        if (!shape.Any(d => d < 0)) return new FeatureSpec(name, t.DType, shape, isState);
        if (!isInput) return new FeatureSpec(name, t.DType, Array.Empty<long>(), isState);
        return new FeatureSpec(name, t.DType, shape.Select(d => d < 0 ? 1 : d).ToArray(), isState,
            shape.Select(d => d < 0 ? (1L, -1L) : (d, d)).ToArray());
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;
using PbSpec = TrainingGen.CoreML.Proto;
using PbMil = TrainingGen.CoreML.Proto.MilSpec;

namespace TrainingGen.CoreML;

/// <summary>
/// Structural checks of a <c>Model</c> protobuf holding an ML Program (coreml-format.md §2.2,
/// §2.5, §3, §10). Used by the writer before anything is written and by the reader after parsing.
/// Blob references are checked separately, when the weight file is read.
/// </summary>
internal static class ModelValidator
{
    private const string File = "model.mlmodel";

    /// <summary>Spec version ↔ opset pairing for ML Programs (§2.2).</summary>
    public static readonly IReadOnlyDictionary<int, string> OpsetForSpec = new Dictionary<int, string>
    {
        [6] = "CoreML5", [7] = "CoreML6", [8] = "CoreML7", [9] = "CoreML8", [10] = "CoreML9",
    };

    private static MlPackageException Error(string field, string rule) => MlPackageException.At(File, field, rule);

    public static void Validate(PbSpec.Model model)
    {
        int spec = model.SpecificationVersion;
        if (model.TypeCase != PbSpec.Model.TypeOneofCase.MlProgram)
            throw Error("Model.Type", $"the model is not an ML Program (field mlProgram = 502 is not set{(model.TypeCase == PbSpec.Model.TypeOneofCase.None ? "" : $"; found {model.TypeCase}")})");
        if (spec < 6 || spec > 10)
            throw Error("specificationVersion", $"is {spec}; ML Programs need 6..10");
        if (model.IsUpdatable)
            throw Error("isUpdatable", "is true; ML Programs cannot be updatable");

        var program = model.MlProgram;
        if (program.Version != 1)
            throw Error("mlProgram.version", $"is {program.Version}, expected 1");
        if (program.Functions.Count == 0)
            throw Error("mlProgram.functions", "the program has no functions");

        var description = model.Description ?? new PbSpec.ModelDescription();
        bool multi = description.Functions.Count > 0 || description.DefaultFunctionName.Length > 0;

        foreach (var (name, fn) in program.Functions)
            ValidateFunction(name, fn);

        // Spec version vs. the opset of main (the default function for multifunction models without "main").
        string mainName = program.Functions.ContainsKey("main") ? "main"
            : multi && program.Functions.ContainsKey(description.DefaultFunctionName) ? description.DefaultFunctionName
            : program.Functions.Keys.First();
        string opset = program.Functions[mainName].Opset;
        string expected = OpsetForSpec[spec];
        if (opset != expected)
        {
            string reverse = OpsetForSpec.FirstOrDefault(kv => kv.Value == opset).Key is int s and > 0
                ? $" ({opset} pairs with specificationVersion {s})" : $" ({opset} is not a known ML Program opset)";
            throw Error($"mlProgram.functions[\"{mainName}\"].opset",
                $"is {opset} but specificationVersion is {spec}, which pairs with {expected}{reverse}");
        }

        if (multi) ValidateMultiFunction(spec, description, program);
        else ValidateSingleFunction(spec, description, program);

        if (description.TrainingInput.Count > 0)
            throw Error("description.trainingInput", "must be empty for ML Programs (only updatable neural networks have training inputs)");
    }

    private static void ValidateMultiFunction(int spec, PbSpec.ModelDescription d, PbMil.Program program)
    {
        if (spec < 9)
            throw Error("description.functions", $"multifunction descriptions need specificationVersion ≥ 9, got {spec}");
        if (d.Input.Count > 0 || d.Output.Count > 0 || d.State.Count > 0)
            throw Error("description.input/output/state", "must be empty in a multifunction model (each FunctionDescription carries its own)");
        if (d.PredictedFeatureName.Length > 0 || d.PredictedProbabilitiesName.Length > 0)
            throw Error("description.predictedFeatureName", "must be empty in a multifunction model");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in d.Functions)
        {
            if (!seen.Add(fd.Name))
                throw Error($"description.functions[\"{fd.Name}\"]", "the function is described twice");
            if (!program.Functions.TryGetValue(fd.Name, out var fn))
                throw Error($"description.functions[\"{fd.Name}\"]", "names no function of mlProgram.functions");
            ValidateInterface($"description.functions[\"{fd.Name}\"]", spec, fd.Input, fd.Output, fd.State, fd.Name, fn);
        }
        foreach (var name in program.Functions.Keys)
            if (!seen.Contains(name))
                throw Error("description.functions", $"mlProgram function '{name}' has no FunctionDescription");
        if (d.DefaultFunctionName.Length == 0)
            throw Error("description.defaultFunctionName", "must be set in a multifunction model");
        if (!seen.Contains(d.DefaultFunctionName))
            throw Error("description.defaultFunctionName", $"'{d.DefaultFunctionName}' is not one of description.functions ({string.Join(", ", seen)})");
    }

    private static void ValidateSingleFunction(int spec, PbSpec.ModelDescription d, PbMil.Program program)
    {
        if (program.Functions.Count != 1 || !program.Functions.ContainsKey("main"))
            throw Error("mlProgram.functions",
                $"a single-function model must have exactly one function named 'main' (found {string.Join(", ", program.Functions.Keys.Select(k => $"'{k}'"))}); use description.functions for several");
        ValidateInterface("description", spec, d.Input, d.Output, d.State, "main", program.Functions["main"]);
    }

    private static void ValidateInterface(string where, int spec,
        IList<PbSpec.FeatureDescription> inputs, IList<PbSpec.FeatureDescription> outputs, IList<PbSpec.FeatureDescription> states,
        string fnName, PbMil.Function fn)
    {
        if (outputs.Count == 0) throw Error($"{where}.output", "at least one output is required");
        if (inputs.Count == 0 && states.Count == 0 && spec < 9)
            throw Error($"{where}.input", $"empty input is only valid in specificationVersion ≥ 9 (got {spec})");

        var fnInputs = fn.Inputs.ToDictionary(i => i.Name, i => i.Type, StringComparer.Ordinal);
        var described = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (list, kind) in new[] { (inputs, "input"), (states, "state") })
        {
            foreach (var f in list)
            {
                string field = $"{where}.{kind}[\"{f.Name}\"]";
                var arr = CheckFeature(field, f, spec, kind == "state");
                if (!described.Add(f.Name)) throw Error(field, "the feature is described twice");
                if (!fnInputs.TryGetValue(f.Name, out var t))
                    throw Error(field, $"function '{fnName}' has no input named '{f.Name}'");
                bool isStateFeature = f.Type.TypeCase == PbSpec.FeatureType.TypeOneofCase.StateType;
                bool isStateInput = t.TypeCase == PbMil.ValueType.TypeOneofCase.StateType;
                if (isStateFeature != isStateInput)
                    throw Error(field, isStateInput ? $"function '{fnName}' input '{f.Name}' is a state, so its description must be a stateType in state"
                                                    : $"function '{fnName}' input '{f.Name}' is not a state but is described as one");
                CheckDType(field, arr, isStateInput ? t.StateType.WrappedType?.TensorType : t.TensorType);
            }
        }
        foreach (var name in fnInputs.Keys)
            if (!described.Contains(name))
                throw Error(where, $"function '{fnName}' input '{name}' is not described in input/state");

        var block = fn.BlockSpecializations[fn.Opset];
        var outNames = outputs.Select(o => o.Name).ToList();
        if (!outNames.SequenceEqual(block.Outputs))
            throw Error($"{where}.output", $"names [{string.Join(", ", outNames)}] differ from function '{fnName}' block outputs [{string.Join(", ", block.Outputs)}]");
        var types = ValueTypes(fn, block);
        foreach (var f in outputs)
        {
            string field = $"{where}.output[\"{f.Name}\"]";
            var arr = CheckFeature(field, f, spec, false);
            if (f.Type.TypeCase != PbSpec.FeatureType.TypeOneofCase.MultiArrayType)
                throw Error(field, "outputs must be multi-arrays");
            if (f.Type.IsOptional) throw Error(field, "outputs cannot be optional");
            CheckDType(field, arr, types.TryGetValue(f.Name, out var vt) ? vt.TensorType : null);
        }
    }

    private static Dictionary<string, PbMil.ValueType> ValueTypes(PbMil.Function fn, PbMil.Block block)
    {
        var d = new Dictionary<string, PbMil.ValueType>(StringComparer.Ordinal);
        foreach (var i in fn.Inputs) d[i.Name] = i.Type;
        foreach (var op in block.Operations) foreach (var o in op.Outputs) d[o.Name] = o.Type;
        return d;
    }

    private static PbSpec.ArrayFeatureType CheckFeature(string field, PbSpec.FeatureDescription f, int spec, bool inStateList)
    {
        if (f.Name.Length == 0) throw Error(field, "the feature name is empty");
        if (f.Type is null) throw Error($"{field}.type", "is not set");
        PbSpec.ArrayFeatureType arr;
        switch (f.Type.TypeCase)
        {
            case PbSpec.FeatureType.TypeOneofCase.MultiArrayType:
                if (inStateList) throw Error($"{field}.type", "a feature in state must be a stateType");
                arr = f.Type.MultiArrayType;
                break;
            case PbSpec.FeatureType.TypeOneofCase.StateType:
                if (spec < 9) throw Error($"{field}.type", $"states need specificationVersion ≥ 9 (got {spec})");
                if (f.Type.IsOptional) throw Error($"{field}.type", "states cannot be optional");
                arr = f.Type.StateType.ArrayType ?? throw Error($"{field}.type.stateType", "arrayType is not set");
                if (arr.ShapeFlexibilityCase != PbSpec.ArrayFeatureType.ShapeFlexibilityOneofCase.None)
                    throw Error($"{field}.type.stateType.arrayType", "states cannot have flexible shapes");
                if (arr.Shape.Count == 0) throw Error($"{field}.type.stateType.arrayType.shape", "states need an explicit non-empty shape");
                break;
            default:
                throw Error($"{field}.type", $"{f.Type.TypeCase} features are not supported (multiArrayType or stateType only)");
        }
        if (arr.Shape.Any(s => s < 0)) throw Error($"{field}.shape", $"[{string.Join(", ", arr.Shape)}] has a negative dimension");
        if (arr.ShapeFlexibilityCase == PbSpec.ArrayFeatureType.ShapeFlexibilityOneofCase.EnumeratedShapes)
            throw Error($"{field}.type.multiArrayType.enumeratedShapes", "enumerated shapes are not supported by this reader");
        if (arr.DefaultOptionalValueCase != PbSpec.ArrayFeatureType.DefaultOptionalValueOneofCase.None)
            throw Error($"{field}.type.multiArrayType", "default values for optional inputs are not supported by this reader");
        var dt = arr.DataType;
        bool ok = dt switch
        {
            PbSpec.ArrayFeatureType.Types.ArrayDataType.Float32 or PbSpec.ArrayFeatureType.Types.ArrayDataType.Double
                or PbSpec.ArrayFeatureType.Types.ArrayDataType.Int32 => true,
            PbSpec.ArrayFeatureType.Types.ArrayDataType.Float16 => spec >= 7,
            PbSpec.ArrayFeatureType.Types.ArrayDataType.Int8 => spec >= 10,
            _ => false,
        };
        if (!ok) throw Error($"{field}.dataType", $"{dt} is not allowed with specificationVersion {spec} (FLOAT32/DOUBLE/INT32; FLOAT16 from 7; INT8 from 10)");
        return arr;
    }

    private static void CheckDType(string field, PbSpec.ArrayFeatureType arr, PbMil.TensorType? t)
    {
        if (t is null) return;
        var expected = t.DataType switch
        {
            PbMil.DataType.Float32 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Float32,
            PbMil.DataType.Float16 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Float16,
            PbMil.DataType.Float64 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Double,
            PbMil.DataType.Int32 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Int32,
            PbMil.DataType.Int8 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Int8,
            _ => PbSpec.ArrayFeatureType.Types.ArrayDataType.InvalidArrayDataType,
        };
        if (arr.DataType != expected)
            throw Error($"{field}.dataType", $"is {arr.DataType} but the program's value has MIL type {t.DataType}");
    }

    private static void ValidateFunction(string name, PbMil.Function fn)
    {
        string where = $"mlProgram.functions[\"{name}\"]";
        if (!MilNames.IsValid(name)) throw Error(where, $"'{name}' is not a valid MIL identifier");
        if (fn.Opset.Length == 0) throw Error($"{where}.opset", "is empty");
        if (!fn.BlockSpecializations.TryGetValue(fn.Opset, out var block))
            throw Error($"{where}.block_specializations",
                $"opset '{fn.Opset}' is not a key (keys: {string.Join(", ", fn.BlockSpecializations.Keys.Select(k => $"'{k}'"))})");
        string bw = $"{where}.block_specializations[\"{fn.Opset}\"]";

        var defined = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in fn.Inputs)
        {
            string iw = $"{where}.inputs[\"{input.Name}\"]";
            CheckIdentifier(iw, input.Name);
            if (defined.ContainsKey(input.Name)) throw Error(iw, $"duplicate value name '{input.Name}' (already defined by {defined[input.Name]})");
            CheckValueType($"{iw}.type", input.Type, allowState: true);
            defined.Add(input.Name, "a function input");
        }
        if (block.Inputs.Count > 0) throw Error($"{bw}.inputs", "a function's block must not declare inputs");

        var opNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < block.Operations.Count; i++)
        {
            var op = block.Operations[i];
            string ow = $"{bw}.operations[{i}] ({op.Type})";
            if (op.Type.Length == 0) throw Error(ow, "the op type is empty");
            if (op.Blocks.Count > 0) throw Error($"{ow}.blocks", "nested blocks (control flow) are not supported");
            if (op.Attributes.TryGetValue("name", out var nameValue))
            {
                string? opName = StringScalar(nameValue);
                if (opName is null) throw Error($"{ow}.attributes[\"name\"]", "must be a rank-0 string value");
                CheckIdentifier($"{ow}.attributes[\"name\"]", opName);
                if (!opNames.Add(opName)) throw Error($"{ow}.attributes[\"name\"]", $"duplicate op name '{opName}'");
            }
            foreach (var (key, value) in op.Attributes)
                CheckValue($"{ow}.attributes[\"{key}\"]", value);

            foreach (var (param, arg) in op.Inputs)
            {
                string pw = $"{ow}.inputs[\"{param}\"]";
                if (arg.Arguments.Count == 0) throw Error(pw, "has no bindings");
                foreach (var b in arg.Arguments)
                {
                    switch (b.BindingCase)
                    {
                        case PbMil.Argument.Types.Binding.BindingOneofCase.Name:
                            if (!defined.ContainsKey(b.Name))
                                throw Error(pw, $"refers to '{b.Name}', which is not defined before this op (ops must be in topological order)");
                            break;
                        case PbMil.Argument.Types.Binding.BindingOneofCase.Value:
                            CheckValue(pw, b.Value);
                            break;
                        default:
                            throw Error(pw, "a binding has neither name nor value");
                    }
                }
            }
            foreach (var o in op.Outputs)
            {
                string vw = $"{ow}.outputs[\"{o.Name}\"]";
                CheckIdentifier(vw, o.Name);
                if (defined.TryGetValue(o.Name, out var by))
                    throw Error(vw, $"duplicate value name '{o.Name}' (already defined by {by})");
                CheckValueType($"{vw}.type", o.Type, allowState: false);
                defined.Add(o.Name, $"operations[{i}] ({op.Type})");
            }
        }
        var outs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in block.Outputs)
        {
            if (!defined.ContainsKey(output)) throw Error($"{bw}.outputs", $"'{output}' is not defined in the function");
            if (!outs.Add(output)) throw Error($"{bw}.outputs", $"'{output}' is listed twice");
        }
    }

    private static void CheckIdentifier(string field, string name)
    {
        if (!MilNames.IsValid(name))
            throw Error(field, $"'{name}' is not a valid MIL identifier ([A-Za-z_][A-Za-z0-9_@]*, not a reserved word)");
    }

    private static void CheckValue(string field, PbMil.Value v)
    {
        if (v.Type is null) throw Error($"{field}.type", "Value.type is not set");
        if (v.Type.TypeCase != PbMil.ValueType.TypeOneofCase.TensorType)
            throw Error($"{field}.type", $"{v.Type.TypeCase} values are not supported (tensor values only)");
        CheckTensorType($"{field}.type.tensorType", v.Type.TensorType, requireConstantShape: true);
        switch (v.ValueCase)
        {
            case PbMil.Value.ValueOneofCase.ImmediateValue:
                if (v.ImmediateValue.ValueCase != PbMil.Value.Types.ImmediateValue.ValueOneofCase.Tensor)
                    throw Error($"{field}.immediateValue", $"{v.ImmediateValue.ValueCase} immediate values are not supported (tensor only)");
                break;
            case PbMil.Value.ValueOneofCase.BlobFileValue:
                break;
            default:
                throw Error(field, "the Value has neither immediateValue nor blobFileValue");
        }
    }

    private static void CheckValueType(string field, PbMil.ValueType? t, bool allowState)
    {
        if (t is null) throw Error(field, "is not set");
        switch (t.TypeCase)
        {
            case PbMil.ValueType.TypeOneofCase.TensorType:
                CheckTensorType($"{field}.tensorType", t.TensorType, requireConstantShape: false);
                break;
            case PbMil.ValueType.TypeOneofCase.StateType when allowState:
                if (t.StateType.WrappedType?.TypeCase != PbMil.ValueType.TypeOneofCase.TensorType)
                    throw Error($"{field}.stateType.wrappedType", "must be a tensorType");
                CheckTensorType($"{field}.stateType.wrappedType.tensorType", t.StateType.WrappedType.TensorType, requireConstantShape: true);
                break;
            default:
                throw Error(field, $"{t.TypeCase} types are not supported here (tensorType{(allowState ? " or stateType" : "")})");
        }
    }

    private static void CheckTensorType(string field, PbMil.TensorType t, bool requireConstantShape)
    {
        if (!Enum.IsDefined(typeof(MilDType), (int)t.DataType))
            throw Error($"{field}.dataType", $"{t.DataType} is not supported");
        if (t.Rank < -1) throw Error($"{field}.rank", $"is {t.Rank}");
        if (t.Rank == -1)
        {
            if (requireConstantShape) throw Error($"{field}.rank", "is -1 (unknown) but a constant shape is required");
            if (t.Dimensions.Count > 0) throw Error($"{field}.dimensions", "must be empty when rank is -1");
            return;
        }
        if (t.Dimensions.Count != t.Rank)
            throw Error($"{field}.dimensions", $"has {t.Dimensions.Count} entries but rank is {t.Rank}");
        foreach (var d in t.Dimensions)
        {
            if (d.DimensionCase == PbMil.Dimension.DimensionOneofCase.Constant)
            {
                if (d.Constant.Size > int.MaxValue) throw Error($"{field}.dimensions", $"size {d.Constant.Size} is too large");
            }
            else if (requireConstantShape || d.DimensionCase != PbMil.Dimension.DimensionOneofCase.Unknown)
                throw Error($"{field}.dimensions", "every dimension must be a constant here");
        }
    }

    /// <summary>The string of a rank-0 STRING immediate value, or null.</summary>
    internal static string? StringScalar(PbMil.Value? v) =>
        v?.Type?.TensorType is { DataType: PbMil.DataType.String, Rank: 0 } &&
        v.ImmediateValue?.Tensor?.Strings is { Values.Count: 1 } s ? s.Values[0] : null;
}

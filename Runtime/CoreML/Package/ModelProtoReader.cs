using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;
using PbSpec = TrainingGen.CoreML.Proto;
using PbMil = TrainingGen.CoreML.Proto.MilSpec;

namespace TrainingGen.CoreML;

/// <summary>
/// Converts a validated <c>Model</c> protobuf (see <see cref="ModelValidator"/>) into an
/// <see cref="MlModelSpec"/>, loading blob-stored consts through <c>blobFile</c>.
/// </summary>
internal static class ModelProtoReader
{
    private const string File = "model.mlmodel";

    /// <param name="model">A model that passed <see cref="ModelValidator.Validate"/>.</param>
    /// <param name="blobFile">Resolves a <c>BlobFileValue.fileName</c> to its reader; <c>where</c> is the field for errors.</param>
    public static MlModelSpec FromProto(PbSpec.Model model, Func<string, string, WeightBlobReader> blobFile)
    {
        var d = model.Description ?? new PbSpec.ModelDescription();
        var spec = new MlModelSpec
        {
            SpecificationVersion = model.SpecificationVersion,
            IsMultiFunction = d.Functions.Count > 0 || d.DefaultFunctionName.Length > 0,
        };
        if (spec.IsMultiFunction)
        {
            spec.DefaultFunctionName = d.DefaultFunctionName;
            foreach (var fd in d.Functions)
                spec.Functions.Add(Function(fd.Name, fd.Input, fd.Output, fd.State));
        }
        else
        {
            spec.DefaultFunctionName = null;
            spec.Functions.Add(Function(model.MlProgram.Functions.Keys.Single(), d.Input, d.Output, d.State));
        }
        if (d.Metadata is { } m)
        {
            spec.ShortDescription = NullIfEmpty(m.ShortDescription);
            spec.VersionString = NullIfEmpty(m.VersionString);
            spec.Author = NullIfEmpty(m.Author);
            spec.License = NullIfEmpty(m.License);
            foreach (var (k, v) in m.UserDefined) spec.UserDefined[k] = v;
        }
        spec.Program = Program(model.MlProgram, blobFile);
        return spec;
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static FunctionSpec Function(string name, IEnumerable<PbSpec.FeatureDescription> inputs,
        IEnumerable<PbSpec.FeatureDescription> outputs, IEnumerable<PbSpec.FeatureDescription> states)
    {
        var f = new FunctionSpec(name);
        f.Inputs.AddRange(inputs.Select(Feature));
        f.Outputs.AddRange(outputs.Select(Feature));
        f.States.AddRange(states.Select(Feature));
        return f;
    }

    private static FeatureSpec Feature(PbSpec.FeatureDescription f)
    {
        bool isState = f.Type.TypeCase == PbSpec.FeatureType.TypeOneofCase.StateType;
        var arr = isState ? f.Type.StateType.ArrayType : f.Type.MultiArrayType;
        var dtype = arr.DataType switch
        {
            PbSpec.ArrayFeatureType.Types.ArrayDataType.Float32 => MilDType.Float32,
            PbSpec.ArrayFeatureType.Types.ArrayDataType.Float16 => MilDType.Float16,
            PbSpec.ArrayFeatureType.Types.ArrayDataType.Double => MilDType.Float64,
            PbSpec.ArrayFeatureType.Types.ArrayDataType.Int32 => MilDType.Int32,
            PbSpec.ArrayFeatureType.Types.ArrayDataType.Int8 => MilDType.Int8,
            var other => throw MlPackageException.At(File, $"description feature '{f.Name}'.dataType", $"{other} is not supported"),
        };
        (long, long)[]? ranges = null;
        if (arr.ShapeFlexibilityCase == PbSpec.ArrayFeatureType.ShapeFlexibilityOneofCase.ShapeRange)
        {
            ranges = arr.ShapeRange.SizeRanges.Select(r =>
                r.LowerBound <= long.MaxValue ? ((long)r.LowerBound, r.UpperBound)
                : throw MlPackageException.At(File, $"description feature '{f.Name}'.shapeRange", $"lower bound {r.LowerBound} is too large")).ToArray();
        }
        return new FeatureSpec(f.Name, dtype, arr.Shape.ToArray(), isState, ranges, NullIfEmpty(f.ShortDescription));
    }

    private static MilProgram Program(PbMil.Program p, Func<string, string, WeightBlobReader> blobFile)
    {
        var program = new MilProgram();
        foreach (var (name, fn) in p.Functions)
            program.Functions.Add(Function(name, fn, blobFile));
        if (p.Attributes.TryGetValue("buildInfo", out var buildInfo) &&
            buildInfo.ImmediateValue?.Dictionary is { } dict)
        {
            foreach (var kv in dict.Values)
            {
                string? k = ModelValidator.StringScalar(kv.Key);
                string? v = ModelValidator.StringScalar(kv.Value);
                if (k is null || v is null)
                    throw MlPackageException.At(File, "mlProgram.attributes[\"buildInfo\"]", "entries must be rank-0 string → string");
                program.BuildInfo.Add(new(k, v));
            }
        }
        return program;
    }

    private static MilFunction Function(string name, PbMil.Function fn, Func<string, string, WeightBlobReader> blobFile)
    {
        var f = new MilFunction(name, fn.Opset);
        foreach (var i in fn.Inputs) f.Inputs.Add(new MilNamedValue(i.Name, ValueType(i.Type)));
        var block = fn.BlockSpecializations[fn.Opset];
        for (int index = 0; index < block.Operations.Count; index++)
        {
            var op = block.Operations[index];
            string where = $"mlProgram.functions[\"{name}\"].block_specializations[\"{fn.Opset}\"].operations[{index}] ({op.Type})";
            string opName = op.Attributes.TryGetValue("name", out var nv)
                ? ModelValidator.StringScalar(nv)!
                : op.Outputs.Count > 0 ? op.Outputs[0].Name : $"{op.Type}_{index}";
            var o = new MilOperation(op.Type, opName);
            foreach (var (param, arg) in op.Inputs)
            {
                var bindings = arg.Arguments.Select(b =>
                    b.BindingCase == PbMil.Argument.Types.Binding.BindingOneofCase.Name
                        ? MilBinding.To(b.Name)
                        : MilBinding.Inline(Value($"{where}.inputs[\"{param}\"]", b.Value, blobFile))).ToList();
                o.Inputs.Add(new(param, bindings));
            }
            foreach (var output in op.Outputs) o.Outputs.Add(new MilNamedValue(output.Name, ValueType(output.Type)));
            foreach (var (key, value) in op.Attributes)
                if (key != "name") o.Attributes.Add(new(key, Value($"{where} '{opName}'.attributes[\"{key}\"]", value, blobFile)));
            f.Operations.Add(o);
        }
        f.Outputs.AddRange(block.Outputs);
        return f;
    }

    private static MilValueType ValueType(PbMil.ValueType t) =>
        t.TypeCase == PbMil.ValueType.TypeOneofCase.StateType
            ? MilValueType.StateOf(TensorType(t.StateType.WrappedType.TensorType))
            : MilValueType.Of(TensorType(t.TensorType));

    private static MilTensorType TensorType(PbMil.TensorType t) =>
        new((MilDType)(int)t.DataType, t.Rank < 0 ? null
            : t.Dimensions.Select(d => d.DimensionCase == PbMil.Dimension.DimensionOneofCase.Constant ? (long)d.Constant.Size : -1L).ToArray());

    private static MilTensor Value(string where, PbMil.Value v, Func<string, string, WeightBlobReader> blobFile)
    {
        var t = v.Type.TensorType;
        var dtype = (MilDType)(int)t.DataType;
        int[] shape = t.Dimensions.Select(d => checked((int)d.Constant.Size)).ToArray();
        long count = shape.Aggregate(1L, (a, x) => a * x);
        if (v.ValueCase == PbMil.Value.ValueOneofCase.BlobFileValue)
        {
            var reader = blobFile(v.BlobFileValue.FileName, $"{where}.blobFileValue.fileName");
            return reader.ReadTensor(v.BlobFileValue.Offset, dtype, shape, $"{File}: {where}.blobFileValue.offset");
        }
        return Immediate($"{where}.immediateValue.tensor", v.ImmediateValue.Tensor, dtype, shape, count);
    }

    private static MilTensor Immediate(string where, PbMil.TensorValue tv, MilDType dtype, int[] shape, long count)
    {
        var expected = dtype switch
        {
            MilDType.Float32 => PbMil.TensorValue.ValueOneofCase.Floats,
            MilDType.Float64 => PbMil.TensorValue.ValueOneofCase.Doubles,
            MilDType.Int32 or MilDType.Int16 => PbMil.TensorValue.ValueOneofCase.Ints,
            MilDType.Int64 => PbMil.TensorValue.ValueOneofCase.LongInts,
            MilDType.Bool => PbMil.TensorValue.ValueOneofCase.Bools,
            MilDType.String => PbMil.TensorValue.ValueOneofCase.Strings,
            _ => PbMil.TensorValue.ValueOneofCase.Bytes,
        };
        if (tv.ValueCase == PbMil.TensorValue.ValueOneofCase.None && count == 0)
            return Empty(dtype, shape);
        if (tv.ValueCase != expected)
            throw MlPackageException.At(File, where, $"holds {tv.ValueCase} but the value's type is {dtype.TextName()}, which is encoded as {expected}");
        long actual = tv.ValueCase switch
        {
            PbMil.TensorValue.ValueOneofCase.Floats => tv.Floats.Values.Count,
            PbMil.TensorValue.ValueOneofCase.Doubles => tv.Doubles.Values.Count,
            PbMil.TensorValue.ValueOneofCase.Ints => tv.Ints.Values.Count,
            PbMil.TensorValue.ValueOneofCase.LongInts => tv.LongInts.Values.Count,
            PbMil.TensorValue.ValueOneofCase.Bools => tv.Bools.Values.Count,
            PbMil.TensorValue.ValueOneofCase.Strings => tv.Strings.Values.Count,
            _ => tv.Bytes.Values.Length / WeightBlobFormat.ElementSize(dtype),
        };
        if (actual != count || (expected == PbMil.TensorValue.ValueOneofCase.Bytes && tv.Bytes.Values.Length != count * WeightBlobFormat.ElementSize(dtype)))
            throw MlPackageException.At(File, where,
                $"holds {(expected == PbMil.TensorValue.ValueOneofCase.Bytes ? $"{tv.Bytes.Values.Length} bytes" : $"{actual} elements")} but the type {dtype.TextName()}[{string.Join(",", shape)}] needs {count} elements");
        return dtype switch
        {
            MilDType.Float32 => MilTensor.Float32(shape, tv.Floats.Values.ToArray()),
            MilDType.Float64 => MilTensor.Float64(shape, tv.Doubles.Values.Select(x => (float)x).ToArray()),
            MilDType.Int32 => MilTensor.Int32(shape, tv.Ints.Values.ToArray()),
            MilDType.Int16 => MilTensor.OfInts(MilDType.Int16, shape, tv.Ints.Values.ToArray()),
            MilDType.Int64 => MilTensor.Int64(shape, tv.LongInts.Values.ToArray()),
            MilDType.Bool => MilTensor.Bool(shape, tv.Bools.Values.ToArray()),
            MilDType.String => MilTensor.String(shape, tv.Strings.Values.ToArray()),
            _ => WeightBlobFormat.Decode(dtype, shape, tv.Bytes.Values.Span),
        };
    }

    private static MilTensor Empty(MilDType dtype, int[] shape) => dtype switch
    {
        MilDType.Float16 or MilDType.Float32 or MilDType.Float64 => MilTensor.OfFloats(dtype, shape, Array.Empty<float>()),
        MilDType.Int64 => MilTensor.Int64(shape, Array.Empty<long>()),
        MilDType.Bool => MilTensor.Bool(shape, Array.Empty<bool>()),
        MilDType.String => MilTensor.String(shape, Array.Empty<string>()),
        _ => MilTensor.OfInts(dtype, shape, Array.Empty<int>()),
    };
}

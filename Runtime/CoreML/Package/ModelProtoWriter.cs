using System;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;
using TrainingGen.CoreML.Mil;
using PbSpec = TrainingGen.CoreML.Proto;
using PbMil = TrainingGen.CoreML.Proto.MilSpec;

namespace TrainingGen.CoreML;

/// <summary>
/// Converts an <see cref="MlModelSpec"/> into the <c>Model</c> protobuf, placing large consts into
/// a <see cref="WeightBlobWriter"/> (coreml-format.md §2, §3, §5).
/// </summary>
internal static class ModelProtoWriter
{
    /// <summary>coremltools' rule: consts with at least this many elements go to weight.bin.</summary>
    public const int BlobThreshold = 10;

    public static PbSpec.Model ToProto(MlModelSpec spec, WeightBlobWriter blobs)
    {
        var model = new PbSpec.Model
        {
            SpecificationVersion = spec.SpecificationVersion,
            Description = Description(spec),
            MlProgram = Program(spec.Program, blobs),
        };
        return model;
    }

    private static PbSpec.ModelDescription Description(MlModelSpec spec)
    {
        var d = new PbSpec.ModelDescription();
        if (spec.IsMultiFunction)
        {
            foreach (var f in spec.Functions)
            {
                var fd = new PbSpec.FunctionDescription { Name = f.Name };
                fd.Input.AddRange(f.Inputs.Select(Feature));
                fd.Output.AddRange(f.Outputs.Select(Feature));
                fd.State.AddRange(f.States.Select(Feature));
                d.Functions.Add(fd);
            }
            string? def = spec.DefaultFunctionName;
            if (def is null && spec.Functions.Count > 0)
                def = spec.Functions.Any(f => f.Name == "main") ? "main" : spec.Functions[0].Name;
            if (def is not null) d.DefaultFunctionName = def;
        }
        else
        {
            if (spec.Functions.Count != 1)
                throw new MlPackageException(
                    $"model.mlmodel: description: a single-function model (IsMultiFunction = false) needs exactly one FunctionSpec, got {spec.Functions.Count}");
            var f = spec.Functions[0];
            d.Input.AddRange(f.Inputs.Select(Feature));
            d.Output.AddRange(f.Outputs.Select(Feature));
            d.State.AddRange(f.States.Select(Feature));
        }

        if (spec.ShortDescription is not null || spec.Author is not null || spec.License is not null ||
            spec.VersionString is not null || spec.UserDefined.Count > 0)
        {
            var m = new PbSpec.Metadata();
            if (spec.ShortDescription is not null) m.ShortDescription = spec.ShortDescription;
            if (spec.VersionString is not null) m.VersionString = spec.VersionString;
            if (spec.Author is not null) m.Author = spec.Author;
            if (spec.License is not null) m.License = spec.License;
            foreach (var kv in spec.UserDefined) m.UserDefined.Add(kv.Key, kv.Value);
            d.Metadata = m;
        }
        return d;
    }

    internal static PbSpec.ArrayFeatureType.Types.ArrayDataType ArrayDataType(MilDType t, string feature) => t switch
    {
        MilDType.Float32 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Float32,
        MilDType.Float16 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Float16,
        MilDType.Float64 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Double,
        MilDType.Int32 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Int32,
        MilDType.Int8 => PbSpec.ArrayFeatureType.Types.ArrayDataType.Int8,
        _ => throw new MlPackageException(
            $"model.mlmodel: description feature '{feature}'.type.multiArrayType.dataType: {t.TextName()} is not a Core ML multi-array type (FLOAT32, FLOAT16, DOUBLE, INT32, INT8)"),
    };

    private static PbSpec.FeatureDescription Feature(FeatureSpec f)
    {
        var arr = new PbSpec.ArrayFeatureType { DataType = ArrayDataType(f.DType, f.Name) };
        arr.Shape.AddRange(f.Shape);
        if (f.ShapeRanges is not null)
        {
            var range = new PbSpec.ArrayFeatureType.Types.ShapeRange();
            foreach (var (lower, upper) in f.ShapeRanges)
            {
                if (lower < 0)
                    throw new MlPackageException($"model.mlmodel: description feature '{f.Name}'.type.multiArrayType.shapeRange: lower bound {lower} is negative");
                range.SizeRanges.Add(new PbSpec.SizeRange { LowerBound = (ulong)lower, UpperBound = upper });
            }
            arr.ShapeRange = range;
        }
        var type = f.IsState
            ? new PbSpec.FeatureType { StateType = new PbSpec.StateFeatureType { ArrayType = arr } }
            : new PbSpec.FeatureType { MultiArrayType = arr };
        var d = new PbSpec.FeatureDescription { Name = f.Name, Type = type };
        if (f.ShortDescription is not null) d.ShortDescription = f.ShortDescription;
        return d;
    }

    private static PbMil.Program Program(MilProgram program, WeightBlobWriter blobs)
    {
        var p = new PbMil.Program { Version = 1 };
        foreach (var f in program.Functions)
        {
            if (p.Functions.ContainsKey(f.Name))
                throw new MlPackageException($"model.mlmodel: mlProgram.functions: the program defines function '{f.Name}' twice");
            p.Functions.Add(f.Name, Function(f, blobs));
        }
        if (program.BuildInfo.Count > 0)
            p.Attributes.Add("buildInfo", StringDictionary(program.BuildInfo));
        return p;
    }

    private static PbMil.Function Function(MilFunction f, WeightBlobWriter blobs)
    {
        var fn = new PbMil.Function { Opset = f.Opset };
        foreach (var i in f.Inputs) fn.Inputs.Add(NamedValue(i));
        var block = new PbMil.Block();
        block.Outputs.AddRange(f.Outputs);
        foreach (var op in f.Operations) block.Operations.Add(Operation(op, blobs));
        fn.BlockSpecializations.Add(f.Opset, block);
        return fn;
    }

    private static PbMil.Operation Operation(MilOperation op, WeightBlobWriter blobs)
    {
        var o = new PbMil.Operation { Type = op.Type };
        foreach (var (param, bindings) in op.Inputs)
        {
            var arg = new PbMil.Argument();
            foreach (var b in bindings)
            {
                if (b.Name is not null) arg.Arguments.Add(new PbMil.Argument.Types.Binding { Name = b.Name });
                else if (b.Value is not null) arg.Arguments.Add(new PbMil.Argument.Types.Binding { Value = Immediate(b.Value) });
                else throw new MlPackageException($"model.mlmodel: op '{op.Name}' ({op.Type}).inputs[\"{param}\"]: a binding has neither a name nor a value");
            }
            if (o.Inputs.ContainsKey(param))
                throw new MlPackageException($"model.mlmodel: op '{op.Name}' ({op.Type}).inputs: parameter '{param}' is bound twice");
            o.Inputs.Add(param, arg);
        }
        foreach (var output in op.Outputs) o.Outputs.Add(NamedValue(output));
        o.Attributes.Add("name", Immediate(MilTensor.Scalar(op.Name)));
        foreach (var (key, value) in op.Attributes)
        {
            if (key == "name" || o.Attributes.ContainsKey(key))
                throw new MlPackageException($"model.mlmodel: op '{op.Name}' ({op.Type}).attributes: key '{key}' is given twice");
            bool blob = op.Type == "const" && key == "val" && value.Count >= BlobThreshold &&
                        value.DType is MilDType.Float32 or MilDType.Float16 or MilDType.Int8 or MilDType.UInt8;
            o.Attributes.Add(key, blob ? BlobValue(value, blobs) : Immediate(value));
        }
        return o;
    }

    private static PbMil.Value BlobValue(MilTensor t, WeightBlobWriter blobs) => new()
    {
        Type = ValueType(MilValueType.Of(t.Type)),
        BlobFileValue = new PbMil.Value.Types.BlobFileValue { FileName = WeightBlobFormat.ProgramFileName, Offset = blobs.Add(t) },
    };

    internal static PbMil.NamedValueType NamedValue(MilNamedValue v) => new() { Name = v.Name, Type = ValueType(v.Type) };

    internal static PbMil.ValueType ValueType(MilValueType t) =>
        t.IsState
            ? new PbMil.ValueType { StateType = new PbMil.StateType { WrappedType = new PbMil.ValueType { TensorType = TensorType(t.Tensor) } } }
            : new PbMil.ValueType { TensorType = TensorType(t.Tensor) };

    internal static PbMil.TensorType TensorType(MilTensorType t)
    {
        var tt = new PbMil.TensorType { DataType = (PbMil.DataType)(int)t.DType, Rank = t.Rank };
        if (t.Shape is not null)
        {
            foreach (long d in t.Shape)
            {
                tt.Dimensions.Add(d >= 0
                    ? new PbMil.Dimension { Constant = new PbMil.Dimension.Types.ConstantDimension { Size = (ulong)d } }
                    : new PbMil.Dimension { Unknown = new PbMil.Dimension.Types.UnknownDimension { Variadic = false } });
            }
        }
        return tt;
    }

    /// <summary>An immediate value encoded as coremltools does (§3.3); <c>Value.type</c> always set.</summary>
    internal static PbMil.Value Immediate(MilTensor t)
    {
        var tv = new PbMil.TensorValue();
        switch (t.DType)
        {
            case MilDType.Float32:
                tv.Floats = new PbMil.TensorValue.Types.RepeatedFloats();
                tv.Floats.Values.AddRange(t.Floats!);
                break;
            case MilDType.Float64:
                tv.Doubles = new PbMil.TensorValue.Types.RepeatedDoubles();
                tv.Doubles.Values.AddRange(t.Floats!.Select(v => (double)v));
                break;
            case MilDType.Int32:
            case MilDType.Int16:
                if (t.DType == MilDType.Int16) WeightBlobFormat.Encode(t); // range check
                tv.Ints = new PbMil.TensorValue.Types.RepeatedInts();
                tv.Ints.Values.AddRange(t.Ints!);
                break;
            case MilDType.Int64:
                tv.LongInts = new PbMil.TensorValue.Types.RepeatedLongInts();
                tv.LongInts.Values.AddRange(t.Longs!);
                break;
            case MilDType.Bool:
                tv.Bools = new PbMil.TensorValue.Types.RepeatedBools();
                tv.Bools.Values.AddRange(t.Bools!);
                break;
            case MilDType.String:
                tv.Strings = new PbMil.TensorValue.Types.RepeatedStrings();
                tv.Strings.Values.AddRange(t.Strings!);
                break;
            case MilDType.Float16:
            case MilDType.Int8:
            case MilDType.UInt8:
                tv.Bytes = new PbMil.TensorValue.Types.RepeatedBytes { Values = ByteString.CopyFrom(WeightBlobFormat.Encode(t)) };
                break;
            default:
                throw new MlPackageException($"model.mlmodel: immediate value: dtype {t.DType} has no immediate encoding");
        }
        return new PbMil.Value
        {
            Type = ValueType(MilValueType.Of(t.Type)),
            ImmediateValue = new PbMil.Value.Types.ImmediateValue { Tensor = tv },
        };
    }

    /// <summary>A string→string dictionary value (the form of coremltools' <c>buildInfo</c>).</summary>
    private static PbMil.Value StringDictionary(IEnumerable<KeyValuePair<string, string>> entries)
    {
        var stringType = new PbMil.ValueType { TensorType = new PbMil.TensorType { DataType = PbMil.DataType.String } };
        var dict = new PbMil.DictionaryValue();
        foreach (var (k, v) in entries)
            dict.Values.Add(new PbMil.DictionaryValue.Types.KeyValuePair { Key = Immediate(MilTensor.Scalar(k)), Value = Immediate(MilTensor.Scalar(v)) });
        return new PbMil.Value
        {
            Type = new PbMil.ValueType { DictionaryType = new PbMil.DictionaryType { KeyType = stringType, ValueType = stringType.Clone() } },
            ImmediateValue = new PbMil.Value.Types.ImmediateValue { Dictionary = dict },
        };
    }
}

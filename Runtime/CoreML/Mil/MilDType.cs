namespace TrainingGen.CoreML.Mil;

/// <summary>MIL element types. The numeric values are the MIL.proto <c>DataType</c> enum values.</summary>
public enum MilDType
{
    Bool = 1,
    String = 2,
    Float16 = 10,
    Float32 = 11,
    Float64 = 12,
    Int8 = 21,
    Int16 = 22,
    Int32 = 23,
    Int64 = 24,
    UInt8 = 31,
}

/// <summary>Names MIL uses for element types in text form (<c>fp32</c>, <c>int32</c>, ...).</summary>
public static class MilDTypeNames
{
    public static string TextName(this MilDType t) => t switch
    {
        MilDType.Bool => "bool",
        MilDType.String => "string",
        MilDType.Float16 => "fp16",
        MilDType.Float32 => "fp32",
        MilDType.Float64 => "fp64",
        MilDType.Int8 => "int8",
        MilDType.Int16 => "int16",
        MilDType.Int32 => "int32",
        MilDType.Int64 => "int64",
        MilDType.UInt8 => "uint8",
        _ => t.ToString(),
    };
}

namespace TrainingGen;

/// <summary>The element type of a tensor a trainer takes as input.</summary>
public enum TensorDType
{
    /// <summary>IEEE single precision: <see cref="Tensor"/>. Core ML's <c>fp32</c> / FLOAT32.</summary>
    Float32,
    /// <summary>32-bit signed integers: <see cref="IntTensor"/>. Core ML's <c>int32</c> / INT32.</summary>
    Int32,
}

/// <summary>
/// What a trainer's input list holds: a float <see cref="Tensor"/> (features, float labels) or an
/// <see cref="IntTensor"/> (class labels, token ids). The list forms of <see cref="ITrainer"/> take
/// <c>IReadOnlyList&lt;ITensorInput&gt;</c>; because <see cref="System.Collections.Generic.IReadOnlyList{T}"/>
/// is covariant, a <c>Tensor[]</c> or <c>List&lt;Tensor&gt;</c> passes as it is.
/// </summary>
public interface ITensorInput
{
    /// <summary>The dimensions, outermost first.</summary>
    int[] Shape { get; }
    /// <summary>The number of elements.</summary>
    int Count { get; }
    /// <summary>The element type.</summary>
    TensorDType DType { get; }
}

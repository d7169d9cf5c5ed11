using System;

namespace TrainingGen;

/// <summary>
/// A free learnable tensor (like <c>torch.nn.Parameter</c>), e.g. a learned scale, positional
/// embedding or class token. Its state_dict name is the property path; initialised U(−1/√n, 1/√n)
/// with n its last dimension.
/// </summary>
[Op("parameter")]
public sealed class Parameter
{
    public Parameter(params int[] shape)
    {
        if (shape.Length == 0 || Array.Exists(shape, d => d <= 0))
            throw new ArgumentException($"Parameter shape {ShapeUtil.Format(shape)} must have positive dimensions.");
        Value = new Tensor(shape);
        ParameterInit.UniformEager(Value.Data, shape[^1]);
    }

    public Tensor Value { get; }

    /// <summary>Returns the tensor (so <c>Forward</c> code reads like any other layer).</summary>
    public Tensor Forward() => Value;
}

using System;

namespace TrainingGen;

/// <summary>Marks a partial class as a model: trainable layers as properties, a <c>Forward</c> method.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ModelAttribute : Attribute { }

/// <summary>
/// Marks the partial class that wraps a model and its loss. Its <c>Forward</c> takes features and
/// labels (each with a <see cref="ShapeAttribute"/>) and returns the loss first, then the
/// predictions. The generator adds <c>CreateTrainer</c>, a compiled trainer and package export.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TrainingModelAttribute : Attribute { }

/// <summary>Marks a static method that computes a scalar loss from ops; it is inlined by the generator.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class LossAttribute : Attribute { }

/// <summary>The static shape of a <c>Forward</c> input; use <see cref="Dim.Batch"/> for the batch dimension.</summary>
[AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
public sealed class ShapeAttribute : Attribute
{
    public ShapeAttribute(params int[] dims) { Dims = dims; }
    public int[] Dims { get; }
}

/// <summary>Excludes a layer (or a whole sub-model) property from training: no gradients, no optimizer state.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class FrozenAttribute : Attribute { }

/// <summary>
/// Binds a runtime method (or layer class) to the generator's op-table entry of that name
/// (Generator/Ops/OpTable.cs), which declares its shape rule, derivative and lowerings. The
/// generator reads this attribute from the symbol to know which op a call in <c>Forward</c> stands for.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, Inherited = false)]
public sealed class OpAttribute : Attribute
{
    public OpAttribute(string name) { Name = name; }
    public string Name { get; }

    /// <summary>The op computes a loss, so it counts as a loss for "the first output is a loss" (TG0001).</summary>
    public bool IsLoss { get; set; }
}

/// <summary>
/// The state_dict name of a layer or sub-model property, instead of the one derived from the C#
/// name (<c>Fc1</c> → <c>fc_1</c>): <c>[StateDictName("fc1")] public Linear Fc1 { get; } = new(256, 120);</c>
/// gives <c>fc1.weight</c> and <c>fc1.bias</c>, so a PyTorch state_dict loads by name. The name is
/// used everywhere a parameter is named: safetensors import and export, checkpoints, the trainer's
/// <see cref="ITrainer.Parameters"/> and the training package (<c>fc1_weight</c>). One or more
/// dot-separated segments of ASCII letters, digits and '_' (<c>"0"</c> or <c>"features.0"</c> for a
/// torch <c>nn.Sequential</c> index); the analyzer rejects other names (TG0017), names that meet
/// another property's (TG0018) and the attribute on a property that holds no layer (TG0019).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class StateDictNameAttribute : Attribute
{
    public StateDictNameAttribute(string name) { Name = name; }
    /// <summary>The state_dict path segment(s) this property contributes.</summary>
    public string Name { get; }
}

using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TrainingGen;

/// <summary>
/// The JSON training manifest stored in a training package's metadata under
/// <see cref="MetadataKey"/>: the role of every function input and output, the parameters, the
/// optimizer and the loss. An app (or the Evaluator) wires the training loop from it alone.
/// See docs/package-format.md.
/// </summary>
public sealed class TrainingManifest
{
    public const string MetadataKey = "com.traininggen.training_manifest";
    public const string CurrentFormat = "traininggen-training-manifest/1";

    [JsonPropertyName("format")] public string Format { get; set; } = CurrentFormat;
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [JsonPropertyName("loss")] public string Loss { get; set; } = "";
    [JsonPropertyName("loss_output")] public string LossOutput { get; set; } = "loss";
    [JsonPropertyName("features")] public List<ManifestTensor> Features { get; set; } = new();
    [JsonPropertyName("labels")] public List<ManifestTensor> Labels { get; set; } = new();
    [JsonPropertyName("predictions")] public List<ManifestTensor> Predictions { get; set; } = new();
    [JsonPropertyName("parameters")] public List<ManifestParameter> Parameters { get; set; } = new();
    [JsonPropertyName("optimizer")] public ManifestOptimizer Optimizer { get; set; } = new();
    /// <summary>
    /// Every dropout of the training functions, by ordinal: the mask input an app must fill for each
    /// step (0 with probability p, else 1/(1 − p)) and that p. Empty when the model has no dropout.
    /// </summary>
    [JsonPropertyName("dropouts")] public List<ManifestDropout> Dropouts { get; set; } = new();
    /// <summary>For every function, the role of each input and output by name.</summary>
    [JsonPropertyName("functions")] public SortedDictionary<string, ManifestFunction> Functions { get; set; } = new(System.StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static TrainingManifest FromJson(string json) =>
        JsonSerializer.Deserialize<TrainingManifest>(json, Options)
        ?? throw new JsonException("The training manifest is empty.");
}

public sealed class ManifestTensor
{
    /// <summary>The dtype of a float tensor (the default).</summary>
    public const string Float32 = "fp32";
    /// <summary>The dtype of an integer input (an <see cref="IntTensor"/> of the model): class labels, token ids.</summary>
    public const string Int32 = "int32";

    [JsonPropertyName("name")] public string Name { get; set; } = "";
    /// <summary>The element type, as MIL names it: <see cref="Float32"/> or <see cref="Int32"/>.</summary>
    [JsonPropertyName("dtype")] public string DType { get; set; } = Float32;
    [JsonPropertyName("shape")] public int[] Shape { get; set; } = System.Array.Empty<int>();
}

public sealed class ManifestParameter
{
    /// <summary>PyTorch state_dict name.</summary>
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    /// <summary>Name of the function input that carries it.</summary>
    [JsonPropertyName("input")] public string Input { get; set; } = "";
    [JsonPropertyName("shape")] public int[] Shape { get; set; } = System.Array.Empty<int>();
    [JsonPropertyName("trainable")] public bool Trainable { get; set; }
    /// <summary>True for buffers (running statistics): inputs of every function, updated by train_step.</summary>
    [JsonPropertyName("buffer")] public bool Buffer { get; set; }
    /// <summary>The element type when it is not fp32: <c>int32</c> for a counter such as BatchNorm's num_batches_tracked (absent = fp32).</summary>
    [JsonPropertyName("dtype"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DType { get; set; }
    [JsonPropertyName("gradient")] public string? Gradient { get; set; }
    [JsonPropertyName("updated")] public string? Updated { get; set; }
    /// <summary>Optimizer slots of this parameter: slot name → function input name.</summary>
    [JsonPropertyName("state")] public SortedDictionary<string, string> State { get; set; } = new(System.StringComparer.Ordinal);
}

public sealed class ManifestDropout
{
    /// <summary>Name of the mask input of forward, backward and train_step (<c>dropout_mask_N</c>).</summary>
    [JsonPropertyName("mask")] public string Mask { get; set; } = "";
    /// <summary>The probability of zeroing an element (torch's <c>p</c>).</summary>
    [JsonPropertyName("probability")] public double Probability { get; set; }
    [JsonPropertyName("shape")] public int[] Shape { get; set; } = System.Array.Empty<int>();
}

public sealed class ManifestOptimizer
{
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("hyper_parameters")] public SortedDictionary<string, double> HyperParameters { get; set; } = new(System.StringComparer.Ordinal);
    [JsonPropertyName("flags")] public SortedDictionary<string, bool> Flags { get; set; } = new(System.StringComparer.Ordinal);
    [JsonPropertyName("learning_rate_input")] public string LearningRateInput { get; set; } = "learning_rate";
    [JsonPropertyName("step_input")] public string StepInput { get; set; } = "step";
}

public sealed class ManifestFunction
{
    /// <summary>Input name → role (feature, label, parameter, gradient, optimizer_state, hyper_parameter).</summary>
    [JsonPropertyName("inputs")] public List<ManifestRole> Inputs { get; set; } = new();
    /// <summary>Output name → role (loss, prediction, gradient, parameter, optimizer_state).</summary>
    [JsonPropertyName("outputs")] public List<ManifestRole> Outputs { get; set; } = new();
}

public sealed class ManifestRole
{
    public ManifestRole() { }
    public ManifestRole(string name, string role) { Name = name; Role = role; }
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("role")] public string Role { get; set; } = "";
}

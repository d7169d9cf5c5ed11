using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Frontend.ShapeRules;

namespace TrainingGen.Generator.Ops;

/// <summary>A layer's constant constructor arguments by parameter name (bools as 0/1), and a <c>params int[]</c> shape.</summary>
internal sealed class LayerArgs
{
    private readonly IReadOnlyDictionary<string, double> _values;

    public LayerArgs(IReadOnlyDictionary<string, double> values, IReadOnlyList<int> dims)
    {
        _values = values; Dims = dims;
    }

    /// <summary>The dimensions of a layer constructed from a shape (<c>new Parameter(4, 8)</c>).</summary>
    public IReadOnlyList<int> Dims { get; }

    public double this[string name] => _values.TryGetValue(name, out var v) ? v : 0;
    /// <summary>The value of a nullable argument given as <c>null</c> (−∞: no real argument has it, and it compares equal to itself).</summary>
    public const double Null = double.NegativeInfinity;
    public int Int(string name) => (int)this[name];
    public bool Flag(string name) => this[name] != 0;
}

/// <summary>One parameter (or buffer) a layer owns: its state_dict name, C# member, shape and initialization.</summary>
internal sealed class LayerParam
{
    public LayerParam(string name, string member, Func<LayerArgs, int[]> shape, string init = "uniform", bool buffer = false, Func<LayerArgs, bool>? when = null)
    {
        Name = name; Member = member; Shape = shape; Init = init; IsBuffer = buffer; When = when;
    }

    /// <summary>The state_dict suffix (<c>weight</c> → <c>fc.weight</c>); "" for a layer that is its one parameter.</summary>
    public string Name { get; }
    /// <summary>The C# member the trainer copies through (<c>Weight</c>, <c>Bias!</c> when nullable).</summary>
    public string Member { get; }
    public Func<LayerArgs, int[]> Shape { get; }
    /// <summary>uniform (±1/√fan-in), ones, zeros or normal.</summary>
    public string Init { get; }
    /// <summary>State the optimizer does not train (BatchNorm running statistics).</summary>
    public bool IsBuffer { get; }
    /// <summary>Whether the layer has this parameter (bias = false); the node's operand is then −1.</summary>
    public Func<LayerArgs, bool>? When { get; }
}

/// <summary>
/// How the parser lowers <c>layer.Forward(x)</c> for a layer class marked <c>[Op]</c>: its
/// constructor arguments, the parameters it owns, the input shape it accepts and the IR node it
/// becomes (operands: the input, then one per parameter). A new layer is one spec here plus its
/// op-table entry (its rules).
/// </summary>
internal sealed class LayerSpec
{
    public LayerSpec(string op, string display, string takes, LayerParam[] parameters, Func<LayerArgs, int> fanIn,
        Func<LayerArgs, EquatableArray<int>, int[]?> output, Func<LayerArgs, string, string> requirement)
    {
        Op = op; Display = display; Takes = takes; Params = parameters; FanIn = fanIn; Output = output; Requirement = requirement;
    }

    /// <summary>The op name of the layer class's <c>[Op]</c> and of its IR node.</summary>
    public string Op { get; }
    /// <summary>The class name, as diagnostics print it.</summary>
    public string Display { get; }
    /// <summary>What Forward takes ("one input", "the indices", or "none" for a layer without input).</summary>
    public string Takes { get; }
    public int Inputs => Takes == "none" ? 0 : 1;
    public IReadOnlyList<LayerParam> Params { get; }
    /// <summary>The fan-in that scales the uniform initialization.</summary>
    public Func<LayerArgs, int> FanIn { get; }
    /// <summary>The output shape for an input shape, or null when the layer cannot take that input.</summary>
    public Func<LayerArgs, EquatableArray<int>, int[]?> Output { get; }
    /// <summary>"Linear(4, 2) 'fc' needs an input of shape [batch, ..., 4]", given the property name: TG3001's sentence.</summary>
    public Func<LayerArgs, string, string> Requirement { get; }
    /// <summary>Why the constructor arguments are unusable, or null.</summary>
    public Func<LayerArgs, string?> Invalid { get; private set; } = _ => null;
    /// <summary>Report <see cref="Invalid"/> at the Forward call rather than at the property's initializer.</summary>
    public bool InvalidAtCall { get; private set; }
    public Func<LayerArgs, double[]> Attrs { get; private set; } = _ => Array.Empty<double>();
    /// <summary>The input is integer indices (Embedding): it must not depend on a trainable parameter.</summary>
    public bool TakesIndices { get; private set; }
    /// <summary>For a layer built from a shape (<c>params int[]</c>): the usage its other arguments are told.</summary>
    public string? DimsUsage { get; private set; }

    /// <summary>Values of constructor parameters a creation may leave out (their C# defaults).</summary>
    public IReadOnlyDictionary<string, double> Defaults { get; private set; } = new Dictionary<string, double>();

    public LayerSpec WithDefaults(params (string Name, double Value)[] defaults)
    {
        Defaults = defaults.ToDictionary(d => d.Name, d => d.Value, StringComparer.Ordinal);
        return this;
    }
    public LayerSpec Validate(Func<LayerArgs, string?> invalid, bool atCall = false) { Invalid = invalid; InvalidAtCall = atCall; return this; }
    public LayerSpec WithAttrs(Func<LayerArgs, double[]> attrs) { Attrs = attrs; return this; }
    public LayerSpec Indices() { TakesIndices = true; return this; }
    public LayerSpec FromDims(string usage) { DimsUsage = usage; return this; }
    /// <summary>An int64 counter the layer keeps besides its parameters: state_dict suffix and C# member (BatchNorm's num_batches_tracked).</summary>
    public (string Name, string Member)? Counter { get; private set; }
    public LayerSpec WithCounter(string name, string member) { Counter = (name, member); return this; }
}

/// <summary>The layer classes a model can own (the op table's <see cref="OpKind.Layer"/> entries name these).</summary>
internal static class LayerSpecs
{
    /// <summary>Parameter(d0, ..., dn): a free tensor, itself the value of its Forward().</summary>
    public static readonly LayerSpec Parameter = new LayerSpec("parameter", "Parameter", "none",
            new[] { new LayerParam("", "Value", a => a.Dims.ToArray()) },
            a => a.Dims.Count == 0 ? 0 : a.Dims[a.Dims.Count - 1], (a, x) => null, (a, name) => "")
        .FromDims("Parameter takes its shape as constant dimensions, e.g. new(4, 8)")
        .Validate(a => a.Dims.Count == 0 ? "Parameter needs at least one dimension" : null, atCall: true);

    /// <summary>Linear(in, out, bias): x [batch, ..., in] → [batch, ..., out].</summary>
    public static readonly LayerSpec Linear = new LayerSpec("linear", "Linear", "one input",
            new[]
            {
                new LayerParam("weight", "Weight", a => new[] { a.Int("outFeatures"), a.Int("inFeatures") }),
                new LayerParam("bias", "Bias!", a => new[] { a.Int("outFeatures") }, when: a => a.Flag("bias")),
            },
            a => a.Int("inFeatures"),
            (a, x) => x.Count >= 2 && x[x.Count - 1] == a.Int("inFeatures") ? x.Take(x.Count - 1).Append(a.Int("outFeatures")).ToArray() : null,
            (a, name) => $"Linear({a.Int("inFeatures")}, {a.Int("outFeatures")}) '{name}' needs an input of shape [batch, ..., {a.Int("inFeatures")}]")
        .WithDefaults(("bias", 1))
        .Validate(a => a.Int("inFeatures") > 0 && a.Int("outFeatures") > 0 ? null : "Linear sizes must be positive constants");

    /// <summary>Conv2d: x [n, in, h, w] → [n, out, h', w'] with attrs (k, stride, padding, dilation, groups).</summary>
    public static readonly LayerSpec Conv2d = new LayerSpec("conv2d", "Conv2d", "one input",
            new[]
            {
                new LayerParam("weight", "Weight", a => new[] { a.Int("outChannels"), a.Int("inChannels") / a.Int("groups"), a.Int("kernelSize"), a.Int("kernelSize") }),
                new LayerParam("bias", "Bias!", a => new[] { a.Int("outChannels") }, when: a => a.Flag("bias")),
            },
            a => a.Int("inChannels") / a.Int("groups") * a.Int("kernelSize") * a.Int("kernelSize"),
            (a, x) =>
            {
                if (x.Count != 4 || x[1] != a.Int("inChannels") || x[2] == Dims.Batch || x[3] == Dims.Batch) return null;
                int oh = ConvExtent(a, x[2]), ow = ConvExtent(a, x[3]);
                return oh > 0 && ow > 0 ? new[] { x[0], a.Int("outChannels"), oh, ow } : null;
            },
            (a, name) => $"Conv2d({a.Int("inChannels")}, {a.Int("outChannels")}, {a.Int("kernelSize")}) '{name}' needs an input of shape [batch, {a.Int("inChannels")}, h, w] " +
                $"with h, w ≥ {a.Int("dilation") * (a.Int("kernelSize") - 1) + 1 - 2 * a.Int("padding")}")
        .Validate(a =>
        {
            int ci = a.Int("inChannels"), co = a.Int("outChannels"), g = a.Int("groups");
            return ci <= 0 || co <= 0 || a.Int("kernelSize") <= 0 || a.Int("stride") <= 0 || a.Int("padding") < 0 || a.Int("dilation") <= 0 || g <= 0 || ci % g != 0 || co % g != 0
                ? "Conv2d sizes must be positive, padding ≥ 0, and groups must divide both channel counts" : null;
        })
        .WithDefaults(("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1), ("bias", 1))
        .WithAttrs(a => new double[] { a.Int("kernelSize"), a.Int("stride"), a.Int("padding"), a.Int("dilation"), a.Int("groups") });

    /// <summary>LayerNorm over the last dimension: weight (ones) and bias (zeros) of [dim]; attr ε.</summary>
    public static readonly LayerSpec LayerNorm = new LayerSpec("layer_norm", "LayerNorm", "one input",
            new[]
            {
                new LayerParam("weight", "Weight!", a => new[] { a.Int("normalizedShape") }, "ones", when: a => a.Flag("elementwiseAffine")),
                new LayerParam("bias", "Bias!", a => new[] { a.Int("normalizedShape") }, "zeros", when: a => a.Flag("elementwiseAffine")),
            },
            a => a.Int("normalizedShape"),
            (a, x) => x.Count >= 1 && x[x.Count - 1] == a.Int("normalizedShape") ? x.ToArray() : null,
            (a, name) => $"LayerNorm({a.Int("normalizedShape")}) '{name}' needs an input of shape [..., {a.Int("normalizedShape")}]")
        .WithDefaults(("eps", 1e-5), ("elementwiseAffine", 1))
        .WithAttrs(a => new[] { a["eps"] });

    /// <summary>
    /// BatchNorm2d: weight/bias [C] trainable, running_mean/running_var [C] buffers, the int64
    /// counter num_batches_tracked; attrs (ε, momentum — <see cref="LayerArgs.Null"/> for torch's
    /// momentum=None, the cumulative average).
    /// </summary>
    public static readonly LayerSpec BatchNorm2d = new LayerSpec("batch_norm2d", "BatchNorm2d", "one input",
            new[]
            {
                new LayerParam("weight", "Weight", a => new[] { a.Int("numFeatures") }, "ones"),
                new LayerParam("bias", "Bias", a => new[] { a.Int("numFeatures") }, "zeros"),
                new LayerParam("running_mean", "RunningMean", a => new[] { a.Int("numFeatures") }, "zeros", buffer: true),
                new LayerParam("running_var", "RunningVar", a => new[] { a.Int("numFeatures") }, "ones", buffer: true),
            },
            a => a.Int("numFeatures"),
            (a, x) => x.Count == 4 && x[1] == a.Int("numFeatures") && x[2] != Dims.Batch && x[3] != Dims.Batch ? x.ToArray() : null,
            (a, name) => $"BatchNorm2d({a.Int("numFeatures")}) '{name}' needs an input of shape [batch, {a.Int("numFeatures")}, h, w]")
        .WithDefaults(("eps", 1e-5), ("momentum", 0.1))
        .Validate(a => a["momentum"] == LayerArgs.Null || a["momentum"] >= 0 && a["momentum"] <= 1 ? null : "the momentum must be in [0, 1], or null for the cumulative average")
        .WithCounter("num_batches_tracked", "NumBatchesTracked")
        .WithAttrs(a => new[] { a["eps"], a["momentum"] });

    /// <summary>Embedding: indices [...] → [..., dim]; weight [num, dim] ~ N(0, 1).</summary>
    public static readonly LayerSpec Embedding = new LayerSpec("embedding", "Embedding", "the indices",
            new[] { new LayerParam("weight", "Weight", a => new[] { a.Int("numEmbeddings"), a.Int("embeddingDim") }, "normal") },
            a => a.Int("embeddingDim"),
            (a, x) => x.Append(a.Int("embeddingDim")).ToArray(),
            (a, name) => "")
        .Indices()
        .Validate(a => a.Int("numEmbeddings") > 0 && a.Int("embeddingDim") > 0 ? null : "Embedding sizes must be positive constants", atCall: true);

    /// <summary>One output extent of a convolution: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1.</summary>
    private static int ConvExtent(LayerArgs a, int n) =>
        (n + 2 * a.Int("padding") - a.Int("dilation") * (a.Int("kernelSize") - 1) - 1) / a.Int("stride") + 1;
}

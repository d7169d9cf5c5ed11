using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Optimizers;

/// <summary>
/// An optimizer with torch.optim's update equations, usable two ways: by a generated trainer
/// (<see cref="Step"/> on its parameter buffers, allocation-free) and by a package's
/// <c>update</c>/<c>train_step</c> functions (<see cref="EmitUpdate"/> writes the same update as
/// MIL ops). Per-parameter state lives in named slots with torch's names
/// (<c>momentum_buffer</c>, <c>exp_avg</c>, ...).
/// </summary>
public abstract class Optimizer
{
    private TrainerTensor[] _params = Array.Empty<TrainerTensor>();
    private float[][][] _slots = Array.Empty<float[][]>();
    private TrainerTensor[] _state = Array.Empty<TrainerTensor>();
    private float[] _scratch = Array.Empty<float>();

    /// <summary>torch.optim's class name in lower case: <c>sgd</c>, <c>adam</c>, ...</summary>
    public abstract string Kind { get; }

    /// <summary>The learning rate the optimizer was declared with (a trainer may schedule it).</summary>
    public abstract double LearningRate { get; }

    /// <summary>Per-parameter state slots, in order.</summary>
    public abstract IReadOnlyList<string> SlotNames { get; }

    /// <summary>Numeric hyper-parameters with torch's names (for the training manifest).</summary>
    public abstract IReadOnlyDictionary<string, double> HyperParameters { get; }

    /// <summary>Boolean options with torch's names (<c>nesterov</c>, <c>amsgrad</c>).</summary>
    public virtual IReadOnlyDictionary<string, bool> Flags => new Dictionary<string, bool>();

    /// <summary>Throws <see cref="ArgumentException"/> for values torch.optim rejects.</summary>
    public abstract void Validate();

    /// <summary>State tensors, parameter-major then slot order, after <see cref="Bind"/>.</summary>
    public IReadOnlyList<TrainerTensor> State => _state;

    /// <summary>The trainable parameters this optimizer updates.</summary>
    public IReadOnlyList<TrainerTensor> BoundParameters => _params;

    /// <summary>Allocates zeroed state for the trainable parameters (once, at trainer creation).</summary>
    public void Bind(IEnumerable<TrainerTensor> parameters)
    {
        Validate();
        _params = parameters.Where(p => p.Trainable).ToArray();
        foreach (var p in _params)
            if (p.Gradient is null) throw new ArgumentException($"Trainable parameter '{p.Name}' has no gradient buffer.");
        _slots = _params.Select(p => SlotNames.Select(_ => new float[p.Value.Length]).ToArray()).ToArray();
        _state = _params.SelectMany((p, i) => SlotNames.Select((s, k) =>
            new TrainerTensor(p.Name + "." + s, TrainingNames.Slot(p.MilName, s), p.Shape, true, _slots[i][k], null))).ToArray();
        _scratch = new float[_params.Length == 0 ? 0 : _params.Max(p => p.Value.Length)];
        foreach (var rule in _rules)
            if (!_params.Any(p => rule.Matches(p.Name)))
                throw new ArgumentException($"Parameter-group pattern '{rule.Pattern}' matches no trainable parameter " +
                    $"(trainable: {string.Join(", ", _params.Select(p => p.Name))}).");
        ResolveGroups();
    }

    /// <summary>
    /// Updates every bound parameter from its gradient buffer. <paramref name="stepsTaken"/> is the
    /// number of steps already taken (0 on the first), i.e. torch's <c>state['step'] − 1</c>.
    /// </summary>
    public void Step(float learningRate, long stepsTaken)
    {
        for (int i = 0; i < _params.Length; i++)
        {
            var g = _groups[i];
            float lr = g.LearningRateScale == 1.0 ? learningRate : (float)(learningRate * g.LearningRateScale);
            UpdateParameter(_params[i].Value, _params[i].Gradient!, _slots[i], _scratch, lr, stepsTaken, g.WeightDecay);
        }
    }

    /// <summary>
    /// One parameter's update with its group's weight decay (see <see cref="Configure"/>); the
    /// learning rate already includes the group's scale. The default ignores
    /// <paramref name="weightDecay"/> and calls the overload without it: optimizers with a weight
    /// decay override this one.
    /// </summary>
    protected virtual void UpdateParameter(Span<float> param, ReadOnlySpan<float> grad, float[][] slots, Span<float> scratch,
        float learningRate, long stepsTaken, double weightDecay) =>
        UpdateParameter(param, grad, slots, scratch, learningRate, stepsTaken);

    /// <summary>One parameter's update. <paramref name="scratch"/> has at least the parameter's length.</summary>
    protected abstract void UpdateParameter(Span<float> param, ReadOnlySpan<float> grad, float[][] slots, Span<float> scratch,
        float learningRate, long stepsTaken);

    /// <summary>
    /// Writes the same update as MIL ops. <paramref name="slots"/> are the current state values
    /// in <see cref="SlotNames"/> order; returns the new parameter (named
    /// <paramref name="newParamName"/>) and the new slots (named <paramref name="newSlotNames"/>).
    /// <paramref name="step"/> is an int32 [1] count of steps already taken.
    /// </summary>
    public abstract (MilVar Param, MilVar[] Slots) EmitUpdate(MilFunctionBuilder b, MilVar param, MilVar grad, MilVar[] slots,
        MilVar learningRate, MilVar step, string newParamName, string[] newSlotNames);
    // ---- per-parameter groups (torch's param_groups, selected by state_dict name) ----

    private readonly List<GroupRule> _rules = new();
    private ParameterSettings[] _groups = Array.Empty<ParameterSettings>();

    /// <summary>The weight decay the optimizer was declared with (torch's <c>weight_decay</c>; 0 if it has none).</summary>
    public virtual double WeightDecay => 0;

    /// <summary>
    /// Overrides settings for the trainable parameters whose state_dict name matches
    /// <paramref name="pattern"/> — torch's parameter groups. The pattern is a glob over the whole
    /// name: <c>*</c> matches any run of characters (dots included), <c>?</c> one character;
    /// e.g. <c>"*.bias"</c>, <c>"backbone.*"</c>. <paramref name="learningRateScale"/> multiplies
    /// the (scheduled) learning rate of those parameters; <paramref name="weightDecay"/> replaces
    /// the optimizer's weight decay for them. Later calls win where patterns overlap. Honoured by
    /// <see cref="Step"/> and by <see cref="EmitUpdate"/> (the package's <c>update</c>/<c>train_step</c>).
    /// A pattern that matches no trainable parameter is an error (a typo would otherwise pass silently).
    /// </summary>
    /// <example><code>
    /// trainer.Optimizer.Configure("*.bias", weightDecay: 0).Configure("backbone.*", learningRateScale: 0.1);
    /// </code></example>
    public Optimizer Configure(string pattern, double? learningRateScale = null, double? weightDecay = null)
    {
        if (string.IsNullOrEmpty(pattern)) throw new ArgumentException("The parameter-group pattern is empty.", nameof(pattern));
        if (learningRateScale is double s && !(s >= 0 && !double.IsInfinity(s)))
            throw new ArgumentOutOfRangeException(nameof(learningRateScale), s, "The learning-rate scale must be finite and >= 0.");
        if (weightDecay is double w && !(w >= 0 && !double.IsInfinity(w)))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), w, "Invalid weight_decay value.");
        var rule = new GroupRule(pattern, learningRateScale, weightDecay);
        if (_params.Length > 0 && !_params.Any(p => rule.Matches(p.Name)))
            throw new ArgumentException($"Parameter-group pattern '{pattern}' matches no trainable parameter " +
                $"(trainable: {string.Join(", ", _params.Select(p => p.Name))}).", nameof(pattern));
        _rules.Add(rule);
        ResolveGroups();
        return this;
    }

    /// <summary>Removes every <see cref="Configure"/> rule (all parameters back to the optimizer's settings).</summary>
    public void ClearGroups() { _rules.Clear(); ResolveGroups(); }

    /// <summary>The effective settings of the parameter with state_dict name (or package name) <paramref name="name"/>.</summary>
    public ParameterSettings SettingsFor(string name)
    {
        var settings = new ParameterSettings(1.0, WeightDecay);
        foreach (var r in _rules)
            if (r.Matches(name))
                settings = new ParameterSettings(r.LearningRateScale ?? settings.LearningRateScale, r.WeightDecay ?? settings.WeightDecay);
        return settings;
    }

    /// <summary>
    /// The settings of the parameter an <see cref="EmitUpdate"/> call is for: found by its package
    /// name (the input's name, or <paramref name="newParamName"/> without the <c>_new</c> suffix)
    /// among the bound parameters, so groups apply by state_dict name.
    /// </summary>
    protected ParameterSettings SettingsForMil(MilVar param, string newParamName)
    {
        string? stripped = newParamName.EndsWith("_new", StringComparison.Ordinal) ? newParamName[..^4] : null;
        foreach (var p in _params)
            if (p.MilName == param.Name || p.MilName == stripped) return SettingsFor(p.Name);
        return SettingsFor(param.Name);
    }

    /// <summary>The learning-rate variable of a group: <paramref name="lr"/> itself, or <c>lr · scale</c>.</summary>
    protected static MilVar ScaledLearningRate(MilFunctionBuilder b, MilVar lr, double scale) =>
        scale == 1.0 ? lr : b.Mul(lr, b.Scalar((float)scale));

    private void ResolveGroups()
    {
        _groups = new ParameterSettings[_params.Length];
        for (int i = 0; i < _params.Length; i++) _groups[i] = SettingsFor(_params[i].Name);
    }

    private sealed class GroupRule
    {
        private readonly Regex _regex;
        public GroupRule(string pattern, double? lrScale, double? weightDecay)
        {
            Pattern = pattern; LearningRateScale = lrScale; WeightDecay = weightDecay;
            _regex = new Regex("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
                RegexOptions.CultureInvariant | RegexOptions.Singleline);
        }
        public string Pattern { get; }
        public double? LearningRateScale { get; }
        public double? WeightDecay { get; }
        public bool Matches(string name) => _regex.IsMatch(name);
    }
}

/// <summary>The effective optimizer settings of one parameter (its torch param_group).</summary>
/// <param name="LearningRateScale">Multiplies the learning rate (1 by default).</param>
/// <param name="WeightDecay">torch's <c>weight_decay</c> for this parameter.</param>
public readonly record struct ParameterSettings(double LearningRateScale, double WeightDecay);

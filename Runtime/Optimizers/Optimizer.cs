using System;
using System.Collections.Generic;
using System.Linq;
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
    }

    /// <summary>
    /// Updates every bound parameter from its gradient buffer. <paramref name="stepsTaken"/> is the
    /// number of steps already taken (0 on the first), i.e. torch's <c>state['step'] − 1</c>.
    /// </summary>
    public void Step(float learningRate, long stepsTaken)
    {
        for (int i = 0; i < _params.Length; i++)
            UpdateParameter(_params[i].Value, _params[i].Gradient!, _slots[i], _scratch, learningRate, stepsTaken);
    }

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
}

using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Optimizers;

/// <summary>SGD hyper-parameters with torch.optim.SGD's names and defaults.</summary>
public readonly record struct SgdOptions(double LearningRate, double Momentum = 0, double Dampening = 0,
    double WeightDecay = 0, bool Nesterov = false)
{
    /// <summary>Checks the values torch.optim.SGD rejects (see <see cref="HyperParameterRules"/>); throws with the offending value.</summary>
    public void Validate()
    {
        var o = this; // a lambda in a struct cannot capture this
        HyperParameterRules.ThrowIfInvalid("sgd", name => name switch
        {
            nameof(LearningRate) => o.LearningRate, nameof(Momentum) => o.Momentum, nameof(Dampening) => o.Dampening,
            nameof(WeightDecay) => o.WeightDecay, nameof(Nesterov) => o.Nesterov ? 1 : 0, _ => null,
        });
    }
}

/// <summary>
/// torch.optim.SGD (documented algorithm), for one parameter tensor:
/// <code>
/// g ← g + λ·p                                   (weight decay λ)
/// b ← g                      on the first step   (momentum μ ≠ 0)
/// b ← μ·b + (1 − τ)·g        afterwards          (dampening τ)
/// g ← g + μ·b if nesterov, else g ← b
/// p ← p − γ·g                                   (learning rate γ)
/// </code>
/// A scratch span holds the effective gradient so the computed gradient is left untouched.
/// </summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] MomentumSlot = { "momentum_buffer" };

    public Sgd(SgdOptions options) { Options = options; }

    public SgdOptions Options { get; }
    public override string Kind => "sgd";
    public override double LearningRate => Options.LearningRate;
    public override IReadOnlyList<string> SlotNames => Options.Momentum != 0 ? MomentumSlot : Array.Empty<string>();
    public override IReadOnlyDictionary<string, double> HyperParameters => new SortedDictionary<string, double>(StringComparer.Ordinal)
    {
        ["lr"] = Options.LearningRate, ["momentum"] = Options.Momentum, ["dampening"] = Options.Dampening, ["weight_decay"] = Options.WeightDecay,
    };
    public override IReadOnlyDictionary<string, bool> Flags => new Dictionary<string, bool> { ["nesterov"] = Options.Nesterov };
    public override void Validate() => Options.Validate();
    public override double WeightDecay => Options.WeightDecay;

    protected override void UpdateParameter(Span<float> param, ReadOnlySpan<float> grad, float[][] slots, Span<float> scratch,
        float learningRate, long stepsTaken) =>
        Update(param, grad, slots.Length > 0 ? slots[0] : default, scratch, stepsTaken == 0, learningRate, Options);

    protected override void UpdateParameter(Span<float> param, ReadOnlySpan<float> grad, float[][] slots, Span<float> scratch,
        float learningRate, long stepsTaken, double weightDecay) =>
        Update(param, grad, slots.Length > 0 ? slots[0] : default, scratch, stepsTaken == 0, learningRate, Options with { WeightDecay = weightDecay });

    public override (MilVar Param, MilVar[] Slots) EmitUpdate(MilFunctionBuilder b, MilVar param, MilVar grad, MilVar[] slots,
        MilVar learningRate, MilVar step, string newParamName, string[] newSlotNames)
    {
        var group = SettingsForMil(param, newParamName);
        var (p, buf) = SgdMil.Update(b, param, grad, slots.Length > 0 ? slots[0] : null,
            ScaledLearningRate(b, learningRate, group.LearningRateScale), step, Options with { WeightDecay = group.WeightDecay },
            newParamName, newSlotNames.Length > 0 ? newSlotNames[0] : null);
        return (p, buf is null ? Array.Empty<MilVar>() : new[] { buf });
    }

    /// <summary>
    /// The update kernel (no allocation); <paramref name="momentumBuffer"/> is empty without momentum.
    /// Large tensors are split into blocks of elements over the kernel threads: every operation is
    /// elementwise, so the bits do not depend on the split.
    /// </summary>
    public static unsafe void Update(Span<float> param, ReadOnlySpan<float> grad, Span<float> momentumBuffer,
        Span<float> scratch, bool firstStep, float learningRate, in SgdOptions o)
    {
        int blocks = (param.Length + ParallelBlock - 1) / ParallelBlock;
        if (blocks <= 1 || grad.Length != param.Length || scratch.Length < param.Length || (!momentumBuffer.IsEmpty && momentumBuffer.Length != param.Length))
        {
            UpdateRange(param, grad, momentumBuffer, scratch, firstStep, learningRate, o);
            return;
        }
        fixed (float* p = param, g = grad, b = momentumBuffer, s = scratch)
        {
            var job = new SgdJob { P = p, G = g, B = b, S = s, Length = param.Length, HasMomentum = !momentumBuffer.IsEmpty,
                FirstStep = firstStep, LearningRate = learningRate, Options = o };
            Kernels.WorkerPool.For(blocks, in job, &UpdateBlock);
        }
    }

    /// <summary>Elements per parallel block of the update.</summary>
    private const int ParallelBlock = 64 * 1024;

    private unsafe struct SgdJob
    {
        public float* P, G, B, S;
        public int Length;
        public bool HasMomentum, FirstStep;
        public float LearningRate;
        public SgdOptions Options;
    }

    private static unsafe void UpdateBlock(in SgdJob j, int block)
    {
        int start = block * ParallelBlock, n = Math.Min(ParallelBlock, j.Length - start);
        UpdateRange(new Span<float>(j.P + start, n), new ReadOnlySpan<float>(j.G + start, n),
            j.HasMomentum ? new Span<float>(j.B + start, n) : default, new Span<float>(j.S + start, n), j.FirstStep, j.LearningRate, j.Options);
    }

    private static void UpdateRange(Span<float> param, ReadOnlySpan<float> grad, Span<float> momentumBuffer,
        Span<float> scratch, bool firstStep, float learningRate, in SgdOptions o)
    {
        float mu = (float)o.Momentum, wd = (float)o.WeightDecay, damp = (float)o.Dampening;
        var g = scratch.Slice(0, param.Length);
        if (wd != 0f) TensorPrimitives.MultiplyAdd(param, wd, grad, g);
        else grad.CopyTo(g);

        if (mu != 0f)
        {
            if (firstStep) g.CopyTo(momentumBuffer);
            else
            {
                // b = μ·b + (1 − τ)·g
                TensorPrimitives.Multiply(momentumBuffer, mu, momentumBuffer);
                TensorPrimitives.MultiplyAdd(g, 1f - damp, momentumBuffer, momentumBuffer);
            }
            if (o.Nesterov) TensorPrimitives.MultiplyAdd(momentumBuffer, mu, g, g);
            else momentumBuffer.CopyTo(g);
        }
        // p = p − γ·g
        TensorPrimitives.MultiplyAdd(g, -learningRate, param, param);
    }
}

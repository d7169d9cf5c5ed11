using System;
using System.Collections.Generic;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Optimizers;

/// <summary>
/// RMSprop hyper-parameters with torch.optim.RMSprop's names and defaults
/// (lr 1e-2, alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, centered false).
/// </summary>
public readonly record struct RmsPropOptions(double LearningRate = 1e-2, double Alpha = 0.99, double Eps = 1e-8,
    double WeightDecay = 0, double Momentum = 0, bool Centered = false)
{
    /// <summary>Checks the values torch.optim.RMSprop rejects (see <see cref="HyperParameterRules"/>); throws with the offending value.</summary>
    public void Validate()
    {
        var o = this; // a lambda in a struct cannot capture this
        HyperParameterRules.ThrowIfInvalid("rmsprop", name => name switch
        {
            nameof(LearningRate) => o.LearningRate, nameof(Alpha) => o.Alpha, nameof(Eps) => o.Eps,
            nameof(WeightDecay) => o.WeightDecay, nameof(Momentum) => o.Momentum, _ => null,
        });
    }
}

/// <summary>
/// torch.optim.RMSprop (documented algorithm; torch's single-tensor implementation), for one
/// parameter tensor:
/// <code>
/// g ← g + λ·p                                   (weight_decay λ)
/// v ← α·v + (1 − α)·g²                          (square_avg)
/// ḡ ← α·ḡ + (1 − α)·g                           (grad_avg, centered only)
/// d ← √(v − ḡ²) + ε if centered, else √v + ε
/// b ← μ·b + g / d ;  p ← p − γ·b                (momentum_buffer, momentum μ &gt; 0; b starts at 0)
/// p ← p − γ·g / d                               (momentum 0)
/// </code>
/// </summary>
public sealed class RmsProp : Optimizer
{
    public RmsProp(RmsPropOptions options)
    {
        Options = options;
        var slots = new List<string> { "square_avg" };
        if (options.Momentum > 0) slots.Add("momentum_buffer");
        if (options.Centered) slots.Add("grad_avg");
        _slotNames = slots.ToArray();
    }

    private readonly string[] _slotNames;

    public RmsPropOptions Options { get; }
    public override string Kind => "rmsprop";
    public override double LearningRate => Options.LearningRate;
    public override double WeightDecay => Options.WeightDecay;
    /// <summary>torch's state keys in its order: square_avg, momentum_buffer (momentum &gt; 0), grad_avg (centered).</summary>
    public override IReadOnlyList<string> SlotNames => _slotNames;
    public override IReadOnlyDictionary<string, double> HyperParameters => new SortedDictionary<string, double>(StringComparer.Ordinal)
    {
        ["lr"] = Options.LearningRate, ["alpha"] = Options.Alpha, ["eps"] = Options.Eps,
        ["weight_decay"] = Options.WeightDecay, ["momentum"] = Options.Momentum,
    };
    public override IReadOnlyDictionary<string, bool> Flags => new Dictionary<string, bool> { ["centered"] = Options.Centered };
    public override void Validate() => Options.Validate();

    protected override void UpdateParameter(Span<float> param, ReadOnlySpan<float> grad, float[][] slots, Span<float> scratch,
        float learningRate, long stepsTaken) =>
        UpdateParameter(param, grad, slots, scratch, learningRate, stepsTaken, Options.WeightDecay);

    protected override void UpdateParameter(Span<float> param, ReadOnlySpan<float> grad, float[][] slots, Span<float> scratch,
        float learningRate, long stepsTaken, double weightDecay)
    {
        var o = Options;
        bool hasMomentum = o.Momentum > 0;
        Span<float> sq = slots[0];
        Span<float> buf = hasMomentum ? slots[1] : default;
        Span<float> gavg = o.Centered ? slots[hasMomentum ? 2 : 1] : default;
        // Each element's arithmetic is carried in double and rounded once when stored.
        double alpha = o.Alpha, eps = o.Eps, mu = o.Momentum, wd = weightDecay, lr = learningRate;
        bool l2 = weightDecay != 0, centered = o.Centered;
        for (int i = 0; i < param.Length; i++)
        {
            double p = param[i];
            double g = grad[i];
            if (l2) g += wd * p;
            float v = (float)(alpha * sq[i] + (1 - alpha) * g * g);
            sq[i] = v;
            double avg;
            if (centered)
            {
                float ga = (float)(alpha * gavg[i] + (1 - alpha) * g);
                gavg[i] = ga;
                avg = Math.Sqrt(v - (double)ga * ga) + eps;
            }
            else avg = Math.Sqrt(v) + eps;
            if (hasMomentum)
            {
                float b = (float)(mu * buf[i] + g / avg);
                buf[i] = b;
                param[i] = (float)(p - lr * b);
            }
            else param[i] = (float)(p - lr * (g / avg));
        }
    }

    public override (MilVar Param, MilVar[] Slots) EmitUpdate(MilFunctionBuilder b, MilVar param, MilVar grad, MilVar[] slots,
        MilVar learningRate, MilVar step, string newParamName, string[] newSlotNames)
    {
        if (slots.Length != _slotNames.Length || newSlotNames.Length != _slotNames.Length)
            throw new ArgumentException($"RMSprop expects {_slotNames.Length} state slots ({string.Join(", ", _slotNames)}), got {slots.Length}.");
        var o = Options;
        var group = SettingsForMil(param, newParamName);
        var lr = ScaledLearningRate(b, learningRate, group.LearningRateScale);
        bool hasMomentum = o.Momentum > 0;
        int gi = hasMomentum ? 2 : 1;
        var g = group.WeightDecay != 0 ? b.Add(grad, b.Mul(param, b.Scalar((float)group.WeightDecay))) : grad;
        // v ← α·v + (1 − α)·g²
        var v = b.Add(b.Mul(slots[0], b.Scalar((float)o.Alpha)), b.Mul(b.Mul(g, g), b.Scalar((float)(1 - o.Alpha))), newSlotNames[0]);
        var result = new MilVar[_slotNames.Length];
        result[0] = v;
        MilVar avg;
        if (o.Centered)
        {
            // ḡ ← ḡ + (1 − α)(g − ḡ);  d ← √(v − ḡ²) + ε
            var ga = b.Add(slots[gi], b.Mul(b.Sub(g, slots[gi]), b.Scalar((float)(1 - o.Alpha))), newSlotNames[gi]);
            result[gi] = ga;
            avg = b.Add(b.Sqrt(b.Sub(v, b.Mul(ga, ga))), b.Scalar((float)o.Eps));
        }
        else avg = b.Add(b.Sqrt(v), b.Scalar((float)o.Eps));
        MilVar updated;
        if (hasMomentum)
        {
            // b ← μ·b + g/d;  p ← p − γ·b
            var buf = b.Add(b.Mul(slots[1], b.Scalar((float)o.Momentum)), b.RealDiv(g, avg), newSlotNames[1]);
            result[1] = buf;
            updated = b.Sub(param, b.Mul(buf, lr), newParamName);
        }
        else updated = b.Sub(param, b.Mul(b.RealDiv(g, avg), lr), newParamName);
        return (updated, result);
    }
}

using TrainingGen.CoreML.Mil;

namespace TrainingGen.Optimizers;

/// <summary>
/// torch.optim.SGD's update written as MIL ops, for a package's <c>update</c> and
/// <c>train_step</c> functions. The first-step rule (<c>b ← g</c>) is a <c>select</c> on
/// <c>step == 0</c>, so one program serves every step.
/// </summary>
public static class SgdMil
{
    /// <summary>
    /// Emits the update of one parameter. <paramref name="momentumBuffer"/> is null when momentum
    /// is 0. Returns the new parameter (named <paramref name="newParamName"/>) and the new buffer
    /// (named <paramref name="newBufferName"/>, null without momentum).
    /// </summary>
    public static (MilVar Param, MilVar? Buffer) Update(MilFunctionBuilder b, MilVar param, MilVar grad, MilVar? momentumBuffer,
        MilVar learningRate, MilVar step, SgdOptions o, string newParamName, string? newBufferName)
    {
        // g ← g + λ·p
        var g = o.WeightDecay != 0 ? b.Add(grad, b.Mul(param, b.Scalar((float)o.WeightDecay))) : grad;
        MilVar? newBuffer = null;
        if (o.Momentum != 0 && momentumBuffer is not null)
        {
            // b ← μ·b + (1 − τ)·g, except b ← g on the first step
            var blended = b.Add(b.Mul(momentumBuffer, b.Scalar((float)o.Momentum)), b.Mul(g, b.Scalar((float)(1 - o.Dampening))));
            var first = b.Equal(step, b.Const(MilTensor.Scalar(0)));
            newBuffer = b.Select(first, g, blended, newBufferName);
            // g ← g + μ·b (Nesterov) or g ← b
            g = o.Nesterov ? b.Add(g, b.Mul(newBuffer, b.Scalar((float)o.Momentum))) : newBuffer;
        }
        // p ← p − γ·g
        var p = b.Sub(param, b.Mul(g, learningRate), newParamName);
        return (p, newBuffer);
    }
}

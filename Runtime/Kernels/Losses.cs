using System;

namespace TrainingGen.Kernels;

using Reduction = TrainingGen.Reduction;

/// <summary>The pointwise losses, with torch's definitions (torch.nn.functional.*).</summary>
public enum LossKind
{
    /// <summary>|p − t|</summary>
    L1 = 0,
    /// <summary>½d² if |d| &lt; δ, else δ(|d| − ½δ) (HuberLoss).</summary>
    Huber = 1,
    /// <summary>½d²/β if |d| &lt; β, else |d| − ½β (SmoothL1Loss).</summary>
    SmoothL1 = 2,
    /// <summary>max(z, 0) − z·y + log(1 + e^−|z|) (BCEWithLogitsLoss).</summary>
    BceWithLogits = 3,
}

/// <summary>
/// Fused pointwise losses: the forward returns the reduced loss and writes d(loss)/d(prediction)
/// per element (before the upstream scalar) into a caller-provided buffer.
/// </summary>
public static class PointwiseLoss
{
    public static float Forward(LossKind kind, ReadOnlySpan<float> p, ReadOnlySpan<float> t, float param, Reduction reduction, Span<float> derivative)
    {
        double total = 0;
        double scale = reduction == Reduction.Mean ? 1.0 / p.Length : 1.0;
        for (int i = 0; i < p.Length; i++)
        {
            double v, dv;
            switch (kind)
            {
                case LossKind.L1:
                {
                    double d = p[i] - t[i];
                    v = Math.Abs(d); dv = Math.Sign(d);
                    break;
                }
                case LossKind.Huber:
                {
                    double d = p[i] - t[i], a = Math.Abs(d);
                    if (a < param) { v = 0.5 * d * d; dv = d; } else { v = param * (a - 0.5 * param); dv = param * Math.Sign(d); }
                    break;
                }
                case LossKind.SmoothL1:
                {
                    double d = p[i] - t[i], a = Math.Abs(d);
                    if (a < param) { v = 0.5 * d * d / param; dv = d / param; } else { v = a - 0.5 * param; dv = Math.Sign(d); }
                    break;
                }
                default:
                {
                    double z = p[i], y = t[i];
                    v = Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                    dv = 1 / (1 + Math.Exp(-z)) - y;
                    break;
                }
            }
            total += v;
            derivative[i] = (float)(dv * scale);
        }
        return (float)(total * scale);
    }

    /// <summary>dp = g·derivative; the target's adjoint is its negation (the d-based losses).</summary>
    public static void Backward(float g, ReadOnlySpan<float> derivative, Span<float> dp, bool negate)
    {
        float s = negate ? -g : g;
        for (int i = 0; i < dp.Length; i++) dp[i] = s * derivative[i];
    }

    /// <summary>Negative log-likelihood of log-probabilities [rows, n] at class indices, like F.nll_loss.</summary>
    public static float Nll(ReadOnlySpan<float> logp, ReadOnlySpan<float> labels, int n, Reduction reduction) => NllCore(logp, labels, n, reduction);

    /// <summary><see cref="Nll(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Reduction)"/> with int32 class labels.</summary>
    public static float Nll(ReadOnlySpan<float> logp, ReadOnlySpan<int> labels, int n, Reduction reduction) => NllCore(logp, labels, n, reduction);

    public static void NllBackward(float g, ReadOnlySpan<float> labels, Span<float> dx, int n, Reduction reduction) => NllBackwardCore(g, labels, dx, n, reduction);

    /// <summary><see cref="NllBackward(float, ReadOnlySpan{float}, Span{float}, int, Reduction)"/> with int32 class labels.</summary>
    public static void NllBackward(float g, ReadOnlySpan<int> labels, Span<float> dx, int n, Reduction reduction) => NllBackwardCore(g, labels, dx, n, reduction);

    private static float NllCore<TLabel>(ReadOnlySpan<float> logp, ReadOnlySpan<TLabel> labels, int n, Reduction reduction)
        where TLabel : unmanaged, System.Numerics.INumberBase<TLabel>
    {
        int rows = logp.Length / n;
        double total = 0;
        for (int r = 0; r < rows; r++) total -= logp[r * n + ClassIndex.Of(labels[r], n, r, "nll_loss")];
        return (float)(reduction == Reduction.Mean ? total / rows : total);
    }

    private static void NllBackwardCore<TLabel>(float g, ReadOnlySpan<TLabel> labels, Span<float> dx, int n, Reduction reduction)
        where TLabel : unmanaged, System.Numerics.INumberBase<TLabel>
    {
        int rows = dx.Length / n;
        float v = reduction == Reduction.Mean ? -g / rows : -g;
        dx.Clear();
        for (int r = 0; r < rows; r++) dx[r * n + ClassIndex.Of(labels[r], n, r, "nll_loss")] = v;
    }
}

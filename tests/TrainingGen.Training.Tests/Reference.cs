using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.Training.Tests;

/// <summary>
/// float64 reference of the TwoLinear network (Linear(2,1) → Linear(1,3)) with the MSE loss,
/// written out by hand: h = x·W₁ᵀ + b₁, ŷ = h·W₂ᵀ + b₂, L = mean((ŷ − y)²).
/// Parameters in state_dict order: linear_1.weight [1,2], linear_1.bias [1], linear_2.weight [3,1], linear_2.bias [3].
/// </summary>
internal sealed class RefNet
{
    public double[][] P;
    public RefNet(ITrainer t) { P = t.Parameters.Select(p => p.Value.Select(v => (double)v).ToArray()).ToArray(); }

    public (double Loss, double[][] Grads) LossAndGrads(float[] x, float[] y, int batch)
    {
        double[] w1 = P[0], b1 = P[1], w2 = P[2], b2 = P[3];
        var g = P.Select(p => new double[p.Length]).ToArray();
        double loss = 0, n = batch * 3;
        for (int i = 0; i < batch; i++)
        {
            double h = x[2 * i] * w1[0] + x[2 * i + 1] * w1[1] + b1[0];
            double dh = 0;
            for (int o = 0; o < 3; o++)
            {
                double pred = h * w2[o] + b2[o];
                double d = pred - y[3 * i + o];
                loss += d * d / n;
                double dpred = 2 * d / n;          // dL/dŷ
                g[2][o] += dpred * h;              // dL/dW₂
                g[3][o] += dpred;                  // dL/db₂
                dh += dpred * w2[o];
            }
            g[0][0] += dh * x[2 * i]; g[0][1] += dh * x[2 * i + 1];   // dL/dW₁
            g[1][0] += dh;                                           // dL/db₁
        }
        return (loss, g);
    }
}

/// <summary>A float64 optimizer reference: one step on parameters from gradients.</summary>
public abstract class RefOptimizer
{
    /// <summary>Per-parameter lr scale and weight decay (torch param_groups).</summary>
    public double[] LrScale = Array.Empty<double>(), WeightDecay = Array.Empty<double>();
    public Dictionary<string, double[]>[] State = Array.Empty<Dictionary<string, double[]>>();
    protected int T;

    public RefOptimizer Init(double[][] p, double weightDecay)
    {
        LrScale = p.Select(_ => 1.0).ToArray();
        WeightDecay = p.Select(_ => weightDecay).ToArray();
        State = p.Select(_ => new Dictionary<string, double[]>()).ToArray();
        return this;
    }

    protected double[] Slot(int i, string name, int n) =>
        State[i].TryGetValue(name, out var s) ? s : State[i][name] = new double[n];

    public void Step(double[][] p, double[][] g, double lr)
    {
        T++;
        for (int i = 0; i < p.Length; i++) Update(i, p[i], g[i], lr * LrScale[i], WeightDecay[i]);
    }

    protected abstract void Update(int i, double[] p, double[] g, double lr, double wd);
}

/// <summary>
/// torch.optim.SGD: g ← g + λp; b ← g (first step) else μb + (1 − τ)g; g ← g + μb (nesterov) or b; p ← p − γg.
/// </summary>
public sealed class RefSgd : RefOptimizer
{
    public double Momentum, Dampening; public bool Nesterov;
    protected override void Update(int i, double[] p, double[] grad, double lr, double wd)
    {
        var buf = Momentum != 0 ? Slot(i, "momentum_buffer", p.Length) : null;
        for (int j = 0; j < p.Length; j++)
        {
            double g = grad[j] + wd * p[j];
            if (buf is not null)
            {
                buf[j] = T == 1 ? g : Momentum * buf[j] + (1 - Dampening) * g;
                g = Nesterov ? g + Momentum * buf[j] : buf[j];
            }
            p[j] -= lr * g;
        }
    }
}

/// <summary>
/// torch.optim.Adam / AdamW at step t:
/// AdamW: p ← p(1 − γλ); Adam: g ← g + λp.
/// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; m̂ = m/(1 − β₁ᵗ);
/// amsgrad: vmax ← max(vmax, v), v̂ = vmax/(1 − β₂ᵗ) (torch keeps the max of the uncorrected v, as its implementation does);
/// else v̂ = v/(1 − β₂ᵗ); p ← p − γ·m̂/(√v̂ + ε).
/// </summary>
public sealed class RefAdam : RefOptimizer
{
    public double Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8; public bool AmsGrad, Decoupled;
    protected override void Update(int i, double[] p, double[] grad, double lr, double wd)
    {
        var m = Slot(i, "exp_avg", p.Length); var v = Slot(i, "exp_avg_sq", p.Length);
        var vmax = AmsGrad ? Slot(i, "max_exp_avg_sq", p.Length) : null;
        for (int j = 0; j < p.Length; j++)
        {
            double g = grad[j];
            if (Decoupled) p[j] *= 1 - lr * wd; else g += wd * p[j];
            m[j] = Beta1 * m[j] + (1 - Beta1) * g;
            v[j] = Beta2 * v[j] + (1 - Beta2) * g * g;
            double mhat = m[j] / (1 - Math.Pow(Beta1, T));
            double vv = v[j];
            if (vmax is not null) { vmax[j] = Math.Max(vmax[j], v[j]); vv = vmax[j]; }
            double vhat = vv / (1 - Math.Pow(Beta2, T));
            p[j] -= lr * mhat / (Math.Sqrt(vhat) + Eps);
        }
    }
}

/// <summary>
/// torch.optim.RMSprop: g ← g + λp; v ← αv + (1 − α)g²; centered: ḡ ← αḡ + (1 − α)g, ṽ = v − ḡ², else ṽ = v;
/// momentum: b ← μb + g/(√ṽ + ε), p ← p − γb; else p ← p − γg/(√ṽ + ε).
/// </summary>
public sealed class RefRmsProp : RefOptimizer
{
    public double Alpha = 0.99, Eps = 1e-8, Momentum; public bool Centered;
    protected override void Update(int i, double[] p, double[] grad, double lr, double wd)
    {
        var v = Slot(i, "square_avg", p.Length);
        var b = Momentum > 0 ? Slot(i, "momentum_buffer", p.Length) : null;
        var ga = Centered ? Slot(i, "grad_avg", p.Length) : null;
        for (int j = 0; j < p.Length; j++)
        {
            double g = grad[j] + wd * p[j];
            v[j] = Alpha * v[j] + (1 - Alpha) * g * g;
            double vt = v[j];
            if (ga is not null) { ga[j] = Alpha * ga[j] + (1 - Alpha) * g; vt -= ga[j] * ga[j]; }
            double d = Math.Sqrt(vt) + Eps;
            if (b is not null) { b[j] = Momentum * b[j] + g / d; p[j] -= lr * b[j]; }
            else p[j] -= lr * g / d;
        }
    }
}

/// <summary>torch's chainable (recursive) lr_scheduler forms: lr_t from lr_{t−1}, written independently of the closed forms.</summary>
internal static class RefSchedules
{
    public static double[] Recursive(Func<int, double, double, double> next, double baseLr, int n)
    {
        var lr = new double[n];
        lr[0] = next(0, baseLr, baseLr);
        for (int t = 1; t < n; t++) lr[t] = next(t, lr[t - 1], baseLr);
        return lr;
    }

    /// <summary>StepLR.get_lr: at t = 0 or t mod step_size ≠ 0 unchanged, else × γ.</summary>
    public static double[] Step(double baseLr, int stepSize, double gamma, int n) =>
        Recursive((t, prev, _) => t == 0 || t % stepSize != 0 ? prev : prev * gamma, baseLr, n);

    /// <summary>ExponentialLR.get_lr: × γ each step after the first.</summary>
    public static double[] Exponential(double baseLr, double gamma, int n) =>
        Recursive((t, prev, _) => t == 0 ? prev : prev * gamma, baseLr, n);

    /// <summary>CosineAnnealingLR.get_lr (recursive form).</summary>
    public static double[] Cosine(double baseLr, int tMax, double etaMin, int n) =>
        Recursive((t, prev, b) =>
        {
            if (t == 0) return prev;
            if ((t - 1 - tMax) % (2 * tMax) == 0) return prev + (b - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2;
            return (1 + Math.Cos(Math.PI * t / tMax)) / (1 + Math.Cos(Math.PI * (t - 1) / tMax)) * (prev - etaMin) + etaMin;
        }, baseLr, n);

    /// <summary>LinearLR.get_lr (recursive form).</summary>
    public static double[] Linear(double baseLr, double start, double end, int total, int n) =>
        Recursive((t, prev, _) =>
        {
            if (t == 0) return prev * start;
            if (t > total) return prev;
            return prev * (1 + (end - start) / (total * start + (t - 1) * (end - start)));
        }, baseLr, n);
}

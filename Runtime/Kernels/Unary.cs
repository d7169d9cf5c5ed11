using System;
using System.Numerics.Tensors;

namespace TrainingGen.Kernels;

/// <summary>Elementwise activations and their adjoints (adjoints read the saved output where cheaper).</summary>
public static class Unary
{
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Exp(x, y);
    public static void Log(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Log(x, y);
    public static void Sqrt(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sqrt(x, y);

    /// <summary>dx = g·y·(1 − y) for y = σ(x).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = g[i] * y[i] * (1f - y[i]);
    }

    /// <summary>dx = g·(1 − y²) for y = tanh(x).</summary>
    public static void TanhBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = g[i] * (1f - y[i] * y[i]);
    }

    /// <summary>dx = g / (2·y) for y = √x.</summary>
    public static void SqrtBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = g[i] / (2f * y[i]);
    }

    /// <summary>y = x for x &gt; 0, else slope·x.</summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, float slope, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = x[i] > 0f ? x[i] : slope * x[i];
    }

    public static void LeakyReluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, float slope, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = x[i] > 0f ? g[i] : slope * g[i];
    }

    /// <summary>SiLU: y = x·σ(x).</summary>
    public static void Silu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = x[i] / (1f + MathF.Exp(-x[i]));
    }

    /// <summary>d(x·σ(x))/dx = σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static void SiluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++)
        {
            float s = 1f / (1f + MathF.Exp(-x[i]));
            dx[i] = g[i] * s * (1f + x[i] * (1f - s));
        }
    }

    /// <summary>Softplus as torch computes it (β = 1): x above the threshold 20, else log(1 + eˣ).</summary>
    public static void Softplus(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = x[i] > SoftplusThreshold ? x[i] : (float)SoftplusOf(x[i]);
    }

    /// <summary>dx = g·σ(x), and g itself above the threshold (torch's softplus_backward).</summary>
    public static void SoftplusBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] = x[i] > SoftplusThreshold ? g[i] : (float)(g[i] / (1 + Math.Exp(-(double)x[i])));
    }

    /// <summary>Mish: y = x·tanh(softplus(x)) (torch's mish has no threshold).</summary>
    public static void Mish(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = (float)(x[i] * Math.Tanh(SoftplusOf(x[i])));
    }

    /// <summary>d(x·tanh(sp(x)))/dx = t + x·σ(x)·(1 − t²), t = tanh(sp(x)).</summary>
    public static void MishBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++)
        {
            double v = x[i], t = Math.Tanh(SoftplusOf(v));
            dx[i] = (float)(g[i] * (t + v / (1 + Math.Exp(-v)) * (1 - t * t)));
        }
    }

    private const float SoftplusThreshold = 20f;

    // log(1 + eᵛ) without overflow: max(v, 0) + log1p(e^−|v|).
    private static double SoftplusOf(double v) => Math.Max(v, 0) + Log1p(Math.Exp(-Math.Abs(v)));

    // log(1 + u) accurate for tiny u (Goldberg's trick: the rounding of 1 + u cancels in the ratio).
    private static double Log1p(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * u / (w - 1);
    }

    /// <summary>GELU, exact (x·Φ(x)) or PyTorch's tanh approximation.</summary>
    public static void Gelu(ReadOnlySpan<float> x, bool tanhApproximation, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(tanhApproximation
                ? 0.5 * v * (1 + Math.Tanh(GeluC * (v + 0.044715 * v * v * v)))
                : 0.5 * v * (1 + Erf(v / Math.Sqrt(2))));
        }
    }

    public static void GeluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, bool tanhApproximation, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++)
        {
            double v = x[i], d;
            if (tanhApproximation)
            {
                double u = GeluC * (v + 0.044715 * v * v * v), t = Math.Tanh(u);
                d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GeluC * (1 + 3 * 0.044715 * v * v);
            }
            else d = 0.5 * (1 + Erf(v / Math.Sqrt(2))) + v * Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI);
            dx[i] = (float)(g[i] * d);
        }
    }

    private static readonly double GeluC = Math.Sqrt(2 / Math.PI);

    /// <summary>erf(x) to ~1e-15 (series for small |x|, continued fraction for the tail).</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 2.5)
        {
            // Maclaurin series: erf x = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 60; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * sum;
        }
        // erfc x = e^{−x²}/(x√π) · 1/(1+ 1/(2x²)/(1+ 2/(2x²)/(1+ ...))) via Lentz on the standard fraction
        double f = ax, c = ax, dd = 0;
        for (int k = 1; k < 200; k++)
        {
            double a = k / 2.0;
            dd = ax + a * dd; dd = 1 / dd;
            c = ax + a / c;
            double delta = c * dd;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return Math.Sign(x) * (1 - erfc);
    }
}

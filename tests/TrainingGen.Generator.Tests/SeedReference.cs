using System;

namespace TrainingGen.Tests;

/// <summary>
/// An independent float64 implementation of the seed program, written by hand from its math:
/// h = x·W1ᵀ + b1, p = h·W2ᵀ + b2, L = mean((p − y)²), and its gradient derived by hand:
/// dp = 2(p − y)/(B·3), dW2 = dpᵀ·h, db2 = Σ dp, dh = dp·W2, dW1 = dhᵀ·x, db1 = Σ dh.
/// Parameters are [W1 (1×2), b1 (1), W2 (3×1), b2 (3)] as in the state_dict.
/// </summary>
internal static class SeedReference
{
    public static double Loss(double[][] p, double[] x, double[] y, int batch)
    {
        double sum = 0;
        for (int i = 0; i < batch; i++)
        {
            double h = x[i * 2] * p[0][0] + x[i * 2 + 1] * p[0][1] + p[1][0];
            for (int o = 0; o < 3; o++)
            {
                double d = h * p[2][o] + p[3][o] - y[i * 3 + o];
                sum += d * d;
            }
        }
        return sum / (batch * 3);
    }

    public static double[][] Gradient(double[][] p, double[] x, double[] y, int batch)
    {
        var g = new[] { new double[2], new double[1], new double[3], new double[3] };
        for (int i = 0; i < batch; i++)
        {
            double h = x[i * 2] * p[0][0] + x[i * 2 + 1] * p[0][1] + p[1][0];
            double dh = 0;
            for (int o = 0; o < 3; o++)
            {
                double dp = 2 * (h * p[2][o] + p[3][o] - y[i * 3 + o]) / (batch * 3);
                g[2][o] += dp * h;
                g[3][o] += dp;
                dh += dp * p[2][o];
            }
            g[0][0] += dh * x[i * 2];
            g[0][1] += dh * x[i * 2 + 1];
            g[1][0] += dh;
        }
        return g;
    }

    /// <summary>Central finite differences of <see cref="Loss"/> in float64.</summary>
    public static double[][] FiniteDifferences(double[][] p, double[] x, double[] y, int batch, double eps = 1e-6)
    {
        var g = new double[p.Length][];
        for (int t = 0; t < p.Length; t++)
        {
            g[t] = new double[p[t].Length];
            for (int i = 0; i < p[t].Length; i++)
            {
                double keep = p[t][i];
                p[t][i] = keep + eps; double up = Loss(p, x, y, batch);
                p[t][i] = keep - eps; double down = Loss(p, x, y, batch);
                p[t][i] = keep;
                g[t][i] = (up - down) / (2 * eps);
            }
        }
        return g;
    }
}

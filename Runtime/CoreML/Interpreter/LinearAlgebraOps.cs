using System;
using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.CoreML.Interpreter;

/// <summary><c>matmul</c> (NumPy batching and 1-D promotion) and <c>linear</c> (x·Wᵀ + b).</summary>
internal static class LinearAlgebraOps
{
    public static void Register(Dictionary<string, OpKernel> k)
    {
        k["matmul"] = MatMul;
        k["linear"] = Linear;
    }

    private static NdArray[] MatMul(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var y = ctx.Tensor("y");
        ctx.Numeric("x", x);
        ctx.Numeric("y", y);
        ctx.SameDType("x and y", x, y);
        bool tx = ctx.Bool("transpose_x", false), ty = ctx.Bool("transpose_y", false);
        if (x.Rank == 0 || y.Rank == 0) throw ctx.Error($"operands must have rank ≥ 1, got {x.TypeText} and {y.TypeText}.");

        // 1-D promotion: x [K] → [1, K], y [K] → [K, 1]; the added dims are removed afterwards and
        // transposes do not apply to a 1-D operand.
        bool xVec = x.Rank == 1, yVec = y.Rank == 1;
        int[] xs = xVec ? new[] { 1, x.Shape[0] } : x.Shape;
        int[] ys = yVec ? new[] { y.Shape[0], 1 } : y.Shape;
        if (xVec) tx = false;
        if (yVec) ty = false;

        int xr = xs[^2], xc = xs[^1], yr = ys[^2], yc = ys[^1];
        int m = tx ? xc : xr, kx = tx ? xr : xc;
        int ky = ty ? yc : yr, n = ty ? yr : yc;
        if (kx != ky)
            throw ctx.Error($"inner dimensions differ: x {x.TypeText}{(tx ? " (transposed)" : "")} · y {y.TypeText}{(ty ? " (transposed)" : "")}.");

        int[] xb = xs[..^2], yb = ys[..^2];
        var batch = Shapes.Broadcast(xb, yb) ??
            throw ctx.Error($"batch dimensions {Shapes.Text(xb)} and {Shapes.Text(yb)} do not broadcast.");
        var mapX = Shapes.BroadcastMap(xb, batch);
        var mapY = Shapes.BroadcastMap(yb, batch);
        int nb = mapX.Length, xm = xr * xc, ym = yr * yc;
        var o = new double[nb * m * n];
        for (int b = 0; b < nb; b++)
        {
            int xo = mapX[b] * xm, yo = mapY[b] * ym;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < kx; p++)
                    {
                        double a = x.Data[xo + (tx ? p * xc + i : i * xc + p)];
                        double c = y.Data[yo + (ty ? j * yc + p : p * yc + j)];
                        s += a * c;
                    }
                    o[(b * m + i) * n + j] = s;
                }
        }
        var shape = new List<int>(batch);
        if (!xVec) shape.Add(m);
        if (!yVec) shape.Add(n);
        return new[] { NdArray.Store(x.DType, shape.ToArray(), o) };
    }

    private static NdArray[] Linear(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        var w = ctx.Tensor("weight");
        var bias = ctx.Optional("bias");
        ctx.FloatOnly("x", x);
        ctx.FloatOnly("weight", w);
        if (x.Rank < 1) throw ctx.Error($"x must have rank ≥ 1, got {x.TypeText}.");
        if (w.Rank != 2) throw ctx.Error($"weight must be [D_out, D_in], got {w.TypeText}.");
        int dout = w.Shape[0], din = w.Shape[1];
        if (x.Shape[^1] != din)
            throw ctx.Error($"x {x.TypeText} has last dimension {x.Shape[^1]} but weight {w.TypeText} expects {din}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != dout))
            throw ctx.Error($"bias must be [{dout}], got {bias.TypeText}.");
        int rows = x.Count / Math.Max(din, 1);
        if (din == 0) rows = x.Shape[..^1].Aggregate(1, (a, d) => a * d);
        var o = new double[rows * dout];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < dout; j++)
            {
                double s = bias?.Data[j] ?? 0;
                for (int p = 0; p < din; p++) s += x.Data[r * din + p] * w.Data[j * din + p];
                o[r * dout + j] = s;
            }
        var shape = x.Shape[..^1].Append(dout).ToArray();
        return new[] { NdArray.Store(x.DType, shape, o) };
    }
}

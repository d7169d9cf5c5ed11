using System;
using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.CoreML.Interpreter;

/// <summary>
/// Elementwise ops: binary arithmetic and comparisons with NumPy broadcasting, logical ops,
/// <c>select</c>, unary math and activations, <c>softmax</c> and <c>cast</c>.
/// </summary>
internal static class ElementwiseOps
{
    public static void Register(Dictionary<string, OpKernel> k)
    {
        // Binary arithmetic: x, y of one dtype, result in that dtype.
        k["add"] = Binary((a, b) => a + b);
        k["sub"] = Binary((a, b) => a - b);
        k["mul"] = Binary((a, b) => a * b);
        k["real_div"] = Binary((a, b) => a / b);
        k["pow"] = Binary(Math.Pow);
        k["maximum"] = Binary((a, b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b));
        k["minimum"] = Binary((a, b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b));
        k["floor_div"] = Binary((a, b) => Math.Floor(a / b));
        k["mod"] = Binary(Mod);

        // Comparisons → bool.
        k["equal"] = Compare((a, b) => a == b);
        k["not_equal"] = Compare((a, b) => a != b);
        k["greater"] = Compare((a, b) => a > b);
        k["greater_equal"] = Compare((a, b) => a >= b);
        k["less"] = Compare((a, b) => a < b);
        k["less_equal"] = Compare((a, b) => a <= b);

        k["logical_and"] = Logical((a, b) => a && b);
        k["logical_or"] = Logical((a, b) => a || b);
        k["logical_xor"] = Logical((a, b) => a ^ b);
        k["logical_not"] = ctx =>
        {
            var x = ctx.Tensor("x");
            ctx.BoolOnly("x", x);
            return new[] { new NdArray(MilDType.Bool, x.Shape, x.Data.Select(v => v != 0 ? 0.0 : 1.0).ToArray()) };
        };
        k["select"] = Select;

        // Unary math.
        k["abs"] = Unary(Math.Abs, allowInt: true);
        k["sign"] = Unary(v => double.IsNaN(v) ? double.NaN : Math.Sign(v), allowInt: true);
        k["square"] = Unary(v => v * v, allowInt: true);
        k["exp"] = Unary(Math.Exp);
        k["exp2"] = Unary(v => Math.Pow(2, v), allowInt: true);
        k["sqrt"] = Unary(Math.Sqrt);
        k["erf"] = Unary(Erf);
        k["sin"] = Unary(Math.Sin);
        k["cos"] = Unary(Math.Cos);
        k["tan"] = Unary(Math.Tan);
        k["sinh"] = Unary(Math.Sinh);
        k["cosh"] = Unary(Math.Cosh);
        k["asin"] = Unary(Math.Asin);
        k["acos"] = Unary(Math.Acos);
        k["atan"] = Unary(Math.Atan);
        k["atanh"] = Unary(Math.Atanh);
        k["floor"] = Unary(Math.Floor);
        k["ceil"] = Unary(Math.Ceiling);
        k["round"] = Unary(v => Math.Round(v, MidpointRounding.ToEven)); // NumPy rounds halves to even

        // Activations.
        k["relu"] = Unary(v => v > 0 ? v : (double.IsNaN(v) ? v : 0.0));
        k["relu6"] = Unary(v => double.IsNaN(v) ? v : Math.Min(Math.Max(v, 0), 6));
        k["sigmoid"] = Unary(Sigmoid);
        k["tanh"] = Unary(Math.Tanh);
        k["silu"] = Unary(v => v * Sigmoid(v));
        k["softplus"] = Unary(Softplus);
        k["softsign"] = Unary(v => v / (1 + Math.Abs(v)));
        k["gelu"] = Gelu;
        k["leaky_relu"] = WithScalar("alpha", 0.01, (v, alpha) => v >= 0 ? v : alpha * v);
        k["elu"] = WithScalar("alpha", 1.0, (v, alpha) => v > 0 ? v : alpha * (Math.Exp(v) - 1));
        k["threshold"] = WithScalar("alpha", null, (v, alpha) => Math.Max(v, alpha));
        k["clip"] = Clip;
        // log, rsqrt and inverse add their epsilon to x first (coremltools op definitions):
        // log(x + eps), 1/sqrt(x + eps), 1/(x + eps).
        k["log"] = WithScalar("epsilon", 1e-45, (v, eps) => Math.Log(v + eps));
        k["rsqrt"] = WithScalar("epsilon", 1e-12, (v, eps) => 1 / Math.Sqrt(v + eps));
        k["inverse"] = WithScalar("epsilon", 1e-4, (v, eps) => 1 / (v + eps));

        k["softmax"] = Softmax;
        k["cast"] = Cast;
        k["identity"] = ctx => new[] { ctx.Tensor("x") };
    }

    // ---- helpers ----

    public static double Sigmoid(double v) => v >= 0 ? 1 / (1 + Math.Exp(-v)) : Math.Exp(v) / (1 + Math.Exp(v));

    public static double Softplus(double v) => Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v)));

    /// <summary>NumPy/Python modulo: the result has the sign of the divisor.</summary>
    public static double Mod(double a, double b)
    {
        double r = a % b; // C# % is fmod: the sign of the dividend
        if (r != 0 && (r < 0) != (b < 0)) r += b;
        return r;
    }

    /// <summary>
    /// The error function in double precision. |x| &lt; 3: erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1))
    /// (all terms positive, no cancellation); otherwise 1 − erfc(x) with erfc from its continued fraction.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        double r;
        if (ax < 3)
        {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200; n++)
            {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
                if (term < sum * 1e-17) break;
            }
            r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        }
        else if (ax > 27) r = 1;
        else
        {
            // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from the tail.
            double f = ax;
            for (int n = 80; n >= 1; n--) f = ax + n / 2.0 / f;
            r = 1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    private static OpKernel Binary(Func<double, double, double> f) => ctx =>
    {
        var x = ctx.Tensor("x");
        var y = ctx.Tensor("y");
        ctx.Numeric("x", x);
        ctx.Numeric("y", y);
        ctx.SameDType("x and y", x, y);
        return new[] { Broadcast2(ctx, x, y, f, x.DType) };
    };

    private static OpKernel Compare(Func<double, double, bool> f) => ctx =>
    {
        var x = ctx.Tensor("x");
        var y = ctx.Tensor("y");
        if (x.DType == MilDType.String || y.DType == MilDType.String) throw ctx.Error("cannot compare strings.");
        ctx.SameDType("x and y", x, y);
        return new[] { Broadcast2(ctx, x, y, (a, b) => f(a, b) ? 1 : 0, MilDType.Bool) };
    };

    private static OpKernel Logical(Func<bool, bool, bool> f) => ctx =>
    {
        var x = ctx.Tensor("x");
        var y = ctx.Tensor("y");
        ctx.BoolOnly("x", x);
        ctx.BoolOnly("y", y);
        return new[] { Broadcast2(ctx, x, y, (a, b) => f(a != 0, b != 0) ? 1 : 0, MilDType.Bool) };
    };

    private static NdArray Broadcast2(OpContext ctx, NdArray x, NdArray y, Func<double, double, double> f, MilDType dtype)
    {
        var shape = Shapes.Broadcast(x.Shape, y.Shape) ??
            throw ctx.Error($"shapes {Shapes.Text(x.Shape)} and {Shapes.Text(y.Shape)} do not broadcast.");
        var mx = Shapes.BroadcastMap(x.Shape, shape);
        var my = Shapes.BroadcastMap(y.Shape, shape);
        var o = new double[mx.Length];
        for (int i = 0; i < o.Length; i++) o[i] = f(x.Data[mx[i]], y.Data[my[i]]);
        return NdArray.Store(dtype, shape, o);
    }

    private static NdArray[] Select(OpContext ctx)
    {
        var cond = ctx.Tensor("cond");
        var a = ctx.Tensor("a");
        var b = ctx.Tensor("b");
        ctx.BoolOnly("cond", cond);
        ctx.SameDType("a and b", a, b);
        var shape = Shapes.Broadcast(cond.Shape, a.Shape, b.Shape) ??
            throw ctx.Error($"shapes {Shapes.Text(cond.Shape)}, {Shapes.Text(a.Shape)} and {Shapes.Text(b.Shape)} do not broadcast.");
        var mc = Shapes.BroadcastMap(cond.Shape, shape);
        var ma = Shapes.BroadcastMap(a.Shape, shape);
        var mb = Shapes.BroadcastMap(b.Shape, shape);
        if (a.DType == MilDType.String)
        {
            var s = new string[mc.Length];
            for (int i = 0; i < s.Length; i++) s[i] = cond.Data[mc[i]] != 0 ? a.Strings![ma[i]] : b.Strings![mb[i]];
            return new[] { new NdArray(shape, s) };
        }
        var o = new double[mc.Length];
        for (int i = 0; i < o.Length; i++) o[i] = cond.Data[mc[i]] != 0 ? a.Data[ma[i]] : b.Data[mb[i]];
        return new[] { NdArray.Store(a.DType, shape, o) };
    }

    private static OpKernel Unary(Func<double, double> f, bool allowInt = false) => ctx =>
    {
        var x = ctx.Tensor("x");
        if (allowInt) ctx.Numeric("x", x); else ctx.FloatOnly("x", x);
        return new[] { NdArray.Store(x.DType, x.Shape, x.Data.Select(f).ToArray()) };
    };

    private static OpKernel WithScalar(string parameter, double? defaultValue, Func<double, double, double> f) => ctx =>
    {
        var x = ctx.Tensor("x");
        ctx.FloatOnly("x", x);
        // A defaulted parameter has x's dtype (e.g. log's 1e-45 is 1.4e-45 in fp32 and 0 in fp16).
        double p = ctx.Has(parameter) || defaultValue is null ? ctx.Double(parameter) : NdArray.Round(x.DType, defaultValue.Value);
        return new[] { NdArray.Store(x.DType, x.Shape, x.Data.Select(v => f(v, p)).ToArray()) };
    };

    private static NdArray[] Clip(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        ctx.FloatOnly("x", x);
        double alpha = ctx.Double("alpha"), beta = ctx.Double("beta");
        if (alpha > beta) throw ctx.Error($"alpha ({alpha}) must not exceed beta ({beta}).");
        return new[] { NdArray.Store(x.DType, x.Shape, x.Data.Select(v => double.IsNaN(v) ? v : Math.Min(Math.Max(v, alpha), beta)).ToArray()) };
    }

    private static NdArray[] Gelu(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        ctx.FloatOnly("x", x);
        string mode = ctx.String("mode", "EXACT");
        Func<double, double> f = mode switch
        {
            "EXACT" => v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2))),
            "TANH_APPROXIMATION" => v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))),
            "SIGMOID_APPROXIMATION" => v => v * Sigmoid(1.702 * v),
            _ => throw ctx.Error($"unknown mode '{mode}' (expected EXACT, TANH_APPROXIMATION or SIGMOID_APPROXIMATION)."),
        };
        return new[] { NdArray.Store(x.DType, x.Shape, x.Data.Select(f).ToArray()) };
    }

    private static NdArray[] Softmax(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        ctx.FloatOnly("x", x);
        int axis = ctx.Axis(ctx.Int("axis", -1), x.Rank);
        var o = new double[x.Count];
        foreach (var lane in Lanes.Along(x.Shape, axis))
        {
            double max = double.NegativeInfinity;
            foreach (int i in lane) max = Math.Max(max, x.Data[i]);
            double sum = 0;
            foreach (int i in lane) { o[i] = Math.Exp(x.Data[i] - max); sum += o[i]; }
            foreach (int i in lane) o[i] /= sum;
        }
        return new[] { NdArray.Store(x.DType, x.Shape, o) };
    }

    private static NdArray[] Cast(OpContext ctx)
    {
        var x = ctx.Tensor("x");
        if (x.DType == MilDType.String) throw ctx.Error("cannot cast strings.");
        string name = ctx.String("dtype");
        MilDType target = name switch
        {
            "fp16" => MilDType.Float16,
            "fp32" => MilDType.Float32,
            "fp64" => MilDType.Float64,
            "int8" => MilDType.Int8,
            "int16" => MilDType.Int16,
            "int32" => MilDType.Int32,
            "int64" => MilDType.Int64,
            "uint8" => MilDType.UInt8,
            "bool" => MilDType.Bool,
            _ => throw ctx.Error($"unsupported dtype '{name}' (expected int32, fp16, fp32, bool, int8, int16, uint8, int64 or fp64)."),
        };
        if (ctx.OutputDType() != target)
            throw ctx.Error($"dtype is '{name}' but the output is declared {ctx.OutputType()}.");
        return new[] { NdArray.Store(target, x.Shape, x.Data) };
    }
}

/// <summary>Enumerates the 1-D lanes of a tensor along one axis (flat positions of each lane, in order).</summary>
internal static class Lanes
{
    public static IEnumerable<int[]> Along(int[] shape, int axis)
    {
        int outer = 1, inner = 1, dim = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                var lane = new int[dim];
                for (int d = 0; d < dim; d++) lane[d] = (o * dim + d) * inner + i;
                yield return lane;
            }
    }
}

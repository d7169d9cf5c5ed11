using System;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;
using static TrainingGen.Runtime.Tests.Mil;

namespace TrainingGen.Runtime.Tests;

[TestFixture]
public class InterpreterTestsConvPool
{
    // x = 1..9 as [1,1,3,3]
    private static readonly MilTensor X33 = F(S(1, 1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
    private static readonly MilTensor Ones33 = F(S(1, 1, 3, 3), 1, 1, 1, 1, 1, 1, 1, 1, 1);

    private static MilTensor Conv(MilTensor x, MilTensor w, params (string, object)[] more) =>
        Op("conv", MilDType.Float32, null, new[] { ("x", (object)x), ("weight", w) }.Concat(more).ToArray());

    [Test]
    public void ConvValid()
    {
        // w = [[1,0],[0,1]]: out[i,j] = x[i,j] + x[i+1,j+1]
        var w = F(S(1, 1, 2, 2), 1, 0, 0, 1);
        Floats(Conv(X33, w, ("pad_type", MilTensor.Scalar("valid"))), S(1, 1, 2, 2), 6, 8, 12, 14);
        Floats(Conv(X33, w, ("bias", F(S(1), 0.5f))), S(1, 1, 2, 2), 6.5, 8.5, 12.5, 14.5);
    }

    // 3×3 box sums of 1..9 with zero padding
    private static readonly double[] BoxSums = { 12, 21, 16, 27, 45, 33, 24, 39, 28 };

    [Test]
    public void ConvSameAndCustomPadding()
    {
        Floats(Conv(X33, Ones33, ("pad_type", MilTensor.Scalar("same"))), S(1, 1, 3, 3), BoxSums);
        Floats(Conv(X33, Ones33, ("pad_type", MilTensor.Scalar("custom")), ("pad", MilTensor.Vector(1, 1, 1, 1))), S(1, 1, 3, 3), BoxSums);
        Floats(Conv(X33, Ones33, ("pad_type", MilTensor.Scalar("custom")), ("pad", MilTensor.Vector(1, 1, 1, 1)), ("strides", MilTensor.Vector(2, 2))),
            S(1, 1, 2, 2), 12, 16, 24, 28);
        // same with stride 2: out = ceil(3/2) = 2, total pad = (2-1)*2 + 3 - 3 = 2 → 1 before, 1 after
        Floats(Conv(X33, Ones33, ("pad_type", MilTensor.Scalar("same")), ("strides", MilTensor.Vector(2, 2))), S(1, 1, 2, 2), 12, 16, 24, 28);
    }

    [Test]
    public void ConvChannelsGroupsDilations()
    {
        // two input channels summed with weights 1 and 10
        Floats(Conv(F(S(1, 2, 1, 2), 1, 2, 3, 4), F(S(1, 2, 1, 1), 1, 10)), S(1, 1, 1, 2), 31, 42);
        // depthwise: groups = 2, channel 0 × 2, channel 1 × 3
        Floats(Conv(F(S(1, 2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8), F(S(2, 1, 1, 1), 2, 3), ("groups", MilTensor.Scalar(2))),
            S(1, 2, 2, 2), 2, 4, 6, 8, 15, 18, 21, 24);
        // dilation 2 along width: out[j] = x[j] + x[j+2]
        Floats(Conv(F(S(1, 1, 1, 5), 1, 2, 3, 4, 5), F(S(1, 1, 1, 2), 1, 1), ("dilations", MilTensor.Vector(1, 2))), S(1, 1, 1, 3), 4, 6, 8);
        // batch of two
        Floats(Conv(F(S(2, 1, 1, 2), 1, 2, 3, 4), F(S(1, 1, 1, 1), -1)), S(2, 1, 1, 2), -1, -2, -3, -4);
    }

    [Test]
    public void Conv1D()
    {
        Floats(Conv(F(S(1, 1, 4), 1, 2, 3, 4), F(S(1, 1, 2), 1, -1)), S(1, 1, 3), -1, -1, -1);
    }

    [Test]
    public void ConvChannelMismatchIsReported()
    {
        var ex = Assert.Throws<TrainingGen.CoreML.Interpreter.MilInterpreterException>(() => Conv(X33, F(S(1, 2, 1, 1), 1, 1)));
        Assert.That(ex!.Message, Does.Contain("conv").And.Contain("C_in"));
    }

    [Test]
    public void ConvTranspose()
    {
        var ones22 = F(S(1, 1, 2, 2), 1, 1, 1, 1);
        var x = F(S(1, 1, 2, 2), 1, 2, 3, 4);
        Floats(Op("conv_transpose", MilDType.Float32, L(1, 1, 3, 3), ("x", x), ("weight", ones22)), S(1, 1, 3, 3), 1, 3, 2, 4, 10, 6, 3, 7, 4);
        Floats(Op("conv_transpose", MilDType.Float32, L(1, 1, 4, 4), ("x", x), ("weight", ones22), ("strides", MilTensor.Vector(2, 2))),
            S(1, 1, 4, 4), 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4);
        // custom pad crops one row/col at the start: the valid result without its first row and column
        Floats(Op("conv_transpose", MilDType.Float32, L(1, 1, 2, 2), ("x", x), ("weight", ones22),
            ("pad_type", MilTensor.Scalar("custom")), ("pad", MilTensor.Vector(1, 0, 1, 0)), ("bias", F(S(1), 100))), S(1, 1, 2, 2), 110, 106, 107, 104);
    }

    [Test]
    public void ConvTransposeIsTheAdjointOfConv()
    {
        // <conv(x, w), y> = <x, conv_transpose(y, w)> for stride 2, pad 1 (weight layouts [Co,Ci,K] vs [Ci,Co,K] coincide for one channel)
        var x = F(S(1, 1, 4, 4), Enumerable.Range(0, 16).Select(i => (float)((i * 7 % 5) - 2)).ToArray());
        var w = F(S(1, 1, 3, 3), 1, -2, 0.5f, 3, 1, -1, 2, 0, 1);
        var y = F(S(1, 1, 2, 2), 1, -1, 2, 0.5f);
        var cx = Conv(x, w, ("strides", MilTensor.Vector(2, 2)), ("pad_type", MilTensor.Scalar("custom")), ("pad", MilTensor.Vector(1, 1, 1, 1)));
        Assert.That(cx.Shape, Is.EqualTo(S(1, 1, 2, 2)));
        var ty = Op("conv_transpose", MilDType.Float32, L(1, 1, 4, 4), ("x", y), ("weight", w), ("strides", MilTensor.Vector(2, 2)),
            ("pad_type", MilTensor.Scalar("custom")), ("pad", MilTensor.Vector(1, 1, 1, 1)), ("output_shape", MilTensor.Vector(1, 1, 4, 4)));
        double lhs = cx.Floats!.Zip(y.Floats!, (a, b) => (double)a * b).Sum();
        double rhs = x.Floats!.Zip(ty.Floats!, (a, b) => (double)a * b).Sum();
        Assert.That(rhs, Is.EqualTo(lhs).Within(1e-4));
    }

    private static MilTensor Pool(string type, MilTensor x, int[] kernel, int[] strides, string padType, params (string, object)[] more) =>
        Op(type, MilDType.Float32, null, new[] { ("x", (object)x), ("kernel_sizes", MilTensor.Vector(kernel)), ("strides", MilTensor.Vector(strides)),
            ("pad_type", MilTensor.Scalar(padType)) }.Concat(more).ToArray());

    [Test]
    public void MaxAndAvgPool()
    {
        var x = F(S(1, 1, 4, 4), Enumerable.Range(1, 16).Select(i => (float)i).ToArray());
        Floats(Pool("max_pool", x, S(2, 2), S(2, 2), "valid"), S(1, 1, 2, 2), 6, 8, 14, 16);
        Floats(Pool("avg_pool", x, S(2, 2), S(2, 2), "valid"), S(1, 1, 2, 2), 3.5, 5.5, 11.5, 13.5);
        Floats(Pool("l2_pool", F(S(1, 1, 1, 2), 3, 4), S(1, 2), S(1, 1), "valid"), S(1, 1, 1, 1), 5);
    }

    [Test]
    public void AvgPoolPaddingCount()
    {
        // corner (0,0) of a same-padded 3×3 window over 1..9: real elements 1,2,4,5
        var incl = Pool("avg_pool", X33, S(3, 3), S(1, 1), "same", ("exclude_padding_from_average", MilTensor.Scalar(false)));
        Floats(incl, S(1, 1, 3, 3), BoxSums.Select(v => v / 9).ToArray());
        var excl = Pool("avg_pool", X33, S(3, 3), S(1, 1), "same", ("exclude_padding_from_average", MilTensor.Scalar(true)));
        Floats(excl, S(1, 1, 3, 3), 12 / 4.0, 21 / 6.0, 16 / 4.0, 27 / 6.0, 45 / 9.0, 33 / 6.0, 24 / 4.0, 39 / 6.0, 28 / 4.0);
        // padding never wins a max: all-negative input
        var neg = F(S(1, 1, 2, 2), -1, -2, -3, -4);
        Floats(Pool("max_pool", neg, S(2, 2), S(1, 1), "custom", ("pad", MilTensor.Vector(1, 0, 1, 0))), S(1, 1, 2, 2), -1, -1, -1, -1);
    }

    [Test]
    public void PoolCeilMode()
    {
        var x = F(S(1, 1, 1, 5), 1, 2, 3, 4, 5);
        Floats(Pool("max_pool", x, S(1, 2), S(1, 2), "valid", ("ceil_mode", MilTensor.Scalar(true))), S(1, 1, 1, 3), 2, 4, 5);
        Floats(Pool("max_pool", x, S(1, 2), S(1, 2), "valid", ("ceil_mode", MilTensor.Scalar(false))), S(1, 1, 1, 2), 2, 4);
    }

    [Test]
    public void BatchNorm()
    {
        // x [1,2,2]: channel 0 = [1,3], channel 1 = [2,4]
        var r = Op("batch_norm", MilDType.Float32, L(1, 2, 2), ("x", F(S(1, 2, 2), 1, 3, 2, 4)),
            ("mean", F(S(2), 2, 3)), ("variance", F(S(2), 1, 4)), ("gamma", F(S(2), 1, 2)), ("beta", F(S(2), 0, 1)), ("epsilon", MilTensor.Scalar(0f)));
        Floats(r, S(1, 2, 2), -1, 1, 0, 2);
    }

    [Test]
    public void InstanceNorm()
    {
        // per sample and channel over the spatial dims: [1,3] → [-1,1], then ·gamma + beta
        var r = Op("instance_norm", MilDType.Float32, L(1, 2, 2), ("x", F(S(1, 2, 2), 1, 3, 10, 14)),
            ("gamma", F(S(2), 2, 1)), ("beta", F(S(2), 1, 0)), ("epsilon", MilTensor.Scalar(0f)));
        Floats(r, S(1, 2, 2), -1, 3, -1, 1);
    }

    [Test]
    public void LayerNorm()
    {
        // rows [1,3] (mean 2, var 1) and [2,6] (mean 4, var 4) both normalise to [-1, 1]
        var x = F(S(2, 2), 1, 3, 2, 6);
        Floats(Op("layer_norm", MilDType.Float32, L(2, 2), ("x", x), ("axes", MilTensor.Vector(-1)), ("epsilon", MilTensor.Scalar(0f))), S(2, 2), -1, 1, -1, 1);
        Floats(Op("layer_norm", MilDType.Float32, L(2, 2), ("x", x), ("axes", MilTensor.Vector(1)), ("gamma", F(S(2), 2, 1)), ("beta", F(S(2), 0, 0.5f)),
            ("epsilon", MilTensor.Scalar(0f))), S(2, 2), -2, 1.5, -2, 1.5);
        // over all axes: mean 3, var (4+0+1+9)/4 = 3.5
        double sd = Math.Sqrt(3.5);
        Floats(Op("layer_norm", MilDType.Float32, L(2, 2), ("x", x), ("epsilon", MilTensor.Scalar(0f))), S(2, 2), -2 / sd, 0, -1 / sd, 3 / sd);
    }
}

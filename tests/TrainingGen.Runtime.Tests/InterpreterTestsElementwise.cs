using System;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;
using static TrainingGen.Runtime.Tests.Mil;

namespace TrainingGen.Runtime.Tests;

[TestFixture]
public class InterpreterTestsElementwise
{
    [Test]
    public void AddBroadcastsTrailingVector()
    {
        var r = Binary("add", F(S(2, 3), 1, 2, 3, 4, 5, 6), F(S(3), 10, 20, 30));
        Floats(r, S(2, 3), 11, 22, 33, 14, 25, 36);
    }

    [Test]
    public void SubBroadcastsBothOperands()
    {
        // [2,1] - [1,3] → [2,3]
        var r = Binary("sub", F(S(2, 1), 1, 2), F(S(1, 3), 10, 20, 30));
        Floats(r, S(2, 3), -9, -19, -29, -8, -18, -28);
    }

    [Test]
    public void MulWithScalar()
    {
        var r = Binary("mul", F(S(2, 2), 1, 2, 3, 4), MilTensor.Scalar(0.5f));
        Floats(r, S(2, 2), 0.5, 1, 1.5, 2);
    }

    [Test]
    public void ScalarTimesScalarIsRankZero()
    {
        var r = Binary("mul", MilTensor.Scalar(3f), MilTensor.Scalar(4f));
        Floats(r, S(), 12);
    }

    [Test]
    public void RealDivPowMaximumMinimum()
    {
        Floats(Binary("real_div", F(S(3), 1, 2, 3), F(S(3), 2, 4, 8)), S(3), 0.5, 0.5, 0.375);
        Floats(Binary("pow", F(S(3), 2, 3, 4), F(S(1), 2)), S(3), 4, 9, 16);
        Floats(Binary("pow", F(S(1), 4), F(S(1), 0.5f)), S(1), 2);
        Floats(Binary("maximum", F(S(3), 1, 5, 3), F(S(3), 4, 2, 3)), S(3), 4, 5, 3);
        Floats(Binary("minimum", F(S(3), 1, 5, 3), F(S(3), 4, 2, 3)), S(3), 1, 2, 3);
    }

    [Test]
    public void FloorDivAndModFollowNumPy()
    {
        Floats(Binary("floor_div", F(S(3), 7, -7, 7.5f), F(S(3), 2, 2, -2)), S(3), 3, -4, -4);
        // NumPy: 7 % 3 = 1, -7 % 3 = 2, 7 % -3 = -2 (sign of the divisor)
        Floats(Binary("mod", F(S(3), 7, -7, 7), F(S(3), 3, 3, -3)), S(3), 1, 2, -2);
        Ints(Binary("floor_div", I(S(2), 7, -7), I(S(2), 2, 2)), S(2), 3, -4);
    }

    [Test]
    public void IntegerArithmeticStaysInt32()
    {
        var r = Binary("add", I(S(2), 1, 2), I(S(2), 3, 4));
        Ints(r, S(2), 4, 6);
    }

    [Test]
    public void ComparisonsGiveBool()
    {
        var x = F(S(3), 1, 2, 3);
        var y = F(S(3), 2, 2, 2);
        Bools(Binary("equal", x, y, MilDType.Bool), S(3), false, true, false);
        Bools(Binary("not_equal", x, y, MilDType.Bool), S(3), true, false, true);
        Bools(Binary("greater", x, y, MilDType.Bool), S(3), false, false, true);
        Bools(Binary("greater_equal", x, y, MilDType.Bool), S(3), false, true, true);
        Bools(Binary("less", x, y, MilDType.Bool), S(3), true, false, false);
        Bools(Binary("less_equal", x, y, MilDType.Bool), S(3), true, true, false);
        // broadcasting comparison: [2,1] vs [2]
        Bools(Binary("less", F(S(2, 1), 1, 3), F(S(2), 2, 2), MilDType.Bool), S(2, 2), true, true, false, false);
    }

    [Test]
    public void LogicalOps()
    {
        var a = B(S(4), true, true, false, false);
        var b = B(S(4), true, false, true, false);
        Bools(Binary("logical_and", a, b), S(4), true, false, false, false);
        Bools(Binary("logical_or", a, b), S(4), true, true, true, false);
        Bools(Binary("logical_xor", a, b), S(4), false, true, true, false);
        Bools(Unary("logical_not", B(S(2), true, false)), S(2), false, true);
    }

    [Test]
    public void SelectBroadcastsCondAndBranches()
    {
        var r = Op("select", MilDType.Float32, L(2, 3),
            ("cond", B(S(2, 1), true, false)), ("a", F(S(3), 1, 2, 3)), ("b", MilTensor.Scalar(0f)));
        Floats(r, S(2, 3), 1, 2, 3, 0, 0, 0);
    }

    [Test]
    public void SimpleUnaryOps()
    {
        Floats(Unary("relu", F(S(3), -1, 0, 2)), S(3), 0, 0, 2);
        Floats(Unary("sigmoid", F(S(2), 0, 2)), S(2), 0.5, 0.8807970779778823);
        Floats(Unary("tanh", F(S(1), 0.5f)), S(1), 0.46211715726000974);
        Floats(Unary("exp", F(S(2), 0, 1)), S(2), 1, Math.E);
        Floats(Unary("sqrt", F(S(2), 4, 2)), S(2), 2, 1.4142135623730951);
        Floats(Unary("abs", F(S(2), -3, 2)), S(2), 3, 2);
        Floats(Unary("square", F(S(2), -3, 0.5f)), S(2), 9, 0.25);
        Floats(Unary("sign", F(S(3), -2, 0, 5)), S(3), -1, 0, 1);
        Ints(Unary("abs", I(S(2), -3, 4)), S(2), 3, 4);
        Floats(Unary("floor", F(S(2), -1.5f, 1.5f)), S(2), -2, 1);
        Floats(Unary("ceil", F(S(2), -1.5f, 1.5f)), S(2), -1, 2);
        Floats(Unary("round", F(S(3), 0.5f, 1.5f, -2.5f)), S(3), 0, 2, -2); // halves to even
    }

    [Test]
    public void Erf()
    {
        // Reference values of the error function (Python math.erf).
        Floats(Unary("erf", F(S(6), 0, 0.1f, 0.5f, 1, -2, 3.5f)), S(6),
            0, 0.1124629160182849, 0.5204998778130465, 0.8427007929497149, -0.9953222650189527, 0.9999992569016276);
    }

    [Test]
    public void SiluSoftplusAndGeluModes()
    {
        Floats(Unary("silu", F(S(2), 0, 1)), S(2), 0, 0.7310585786300049);
        Floats(Unary("softplus", F(S(2), 0, -2)), S(2), 0.6931471805599453, 0.1269280110429726);
        Floats(Unary("gelu", F(S(2), 1, -1)), S(2), 0.8413447460685429, -0.15865525393145707);
        Floats(Unary("gelu", F(S(1), 1), ("mode", MilTensor.Scalar("EXACT"))), S(1), 0.8413447460685429);
        Floats(Unary("gelu", F(S(1), 1), ("mode", MilTensor.Scalar("TANH_APPROXIMATION"))), S(1), 0.8411919906082768);
        Floats(Unary("gelu", F(S(1), 1), ("mode", MilTensor.Scalar("SIGMOID_APPROXIMATION"))), S(1), 0.8457957659328212);
        Assert.Throws<TrainingGen.CoreML.Interpreter.MilInterpreterException>(() =>
            Unary("gelu", F(S(1), 1), ("mode", MilTensor.Scalar("CUBIC"))));
    }

    [Test]
    public void ParameterisedActivations()
    {
        Floats(Unary("leaky_relu", F(S(2), -2, 3), ("alpha", MilTensor.Scalar(0.1f))), S(2), -0.2, 3);
        Floats(Unary("clip", F(S(3), -2, 0.5f, 3), ("alpha", MilTensor.Scalar(-1f)), ("beta", MilTensor.Scalar(1f))), S(3), -1, 0.5, 1);
        Floats(Unary("elu", F(S(2), -1, 2), ("alpha", MilTensor.Scalar(1f))), S(2), Math.Exp(-1) - 1, 2);
    }

    [Test]
    public void EpsilonOpsAddEpsilonToX()
    {
        Floats(Unary("log", F(S(2), 1, (float)Math.E), ("epsilon", MilTensor.Scalar(0f))), S(2), 0, 1);
        Floats(Unary("log", F(S(1), 0), ("epsilon", MilTensor.Scalar(1f))), S(1), 0);           // log(0 + 1)
        Floats(Unary("log", F(S(1), 1)), S(1), 0);                                               // default 1e-45
        Floats(Unary("rsqrt", F(S(2), 4, 0.25f), ("epsilon", MilTensor.Scalar(0f))), S(2), 0.5, 2);
        Floats(Unary("rsqrt", F(S(1), 3), ("epsilon", MilTensor.Scalar(1f))), S(1), 0.5);         // 1/sqrt(3 + 1)
        Floats(Unary("inverse", F(S(1), 4), ("epsilon", MilTensor.Scalar(0f))), S(1), 0.25);
        Floats(Unary("inverse", F(S(1), 1)), S(1), 1 / 1.0001);                                  // default 1e-4
    }

    [Test]
    public void SoftmaxAlongAxis()
    {
        var r = Op("softmax", MilDType.Float32, L(2, 3), ("x", F(S(2, 3), 1, 2, 3, 1, 1, 1)), ("axis", MilTensor.Scalar(-1)));
        Floats(r, S(2, 3), 0.09003057317038046, 0.24472847105479764, 0.6652409557748219, 1 / 3.0, 1 / 3.0, 1 / 3.0);
        var r0 = Op("softmax", MilDType.Float32, L(2, 2), ("x", F(S(2, 2), 0, 5, 0, 5)), ("axis", MilTensor.Scalar(0)));
        Floats(r0, S(2, 2), 0.5, 0.5, 0.5, 0.5);
        // large inputs do not overflow
        var big = Op("softmax", MilDType.Float32, L(2), ("x", F(S(2), 1000, 1000)));
        Floats(big, S(2), 0.5, 0.5);
    }

    [Test]
    public void CastBetweenTypes()
    {
        Ints(Op("cast", MilDType.Int32, L(3), ("x", F(S(3), 1.7f, -1.7f, 2)), ("dtype", MilTensor.Scalar("int32"))), S(3), 1, -1, 2);
        Bools(Op("cast", MilDType.Bool, L(2), ("x", F(S(2), 0, 0.5f)), ("dtype", MilTensor.Scalar("bool"))), S(2), false, true);
        var h = Op("cast", MilDType.Float16, L(1), ("x", F(S(1), 0.1f)), ("dtype", MilTensor.Scalar("fp16")));
        Assert.That(h.DType, Is.EqualTo(MilDType.Float16));
        Assert.That(h.Floats![0], Is.EqualTo(0.0999755859375f)); // nearest half to 0.1
        Floats(Op("cast", MilDType.Float32, L(2), ("x", B(S(2), true, false)), ("dtype", MilTensor.Scalar("fp32"))), S(2), 1, 0);
        Floats(Op("cast", MilDType.Float32, L(1), ("x", I(S(1), -7)), ("dtype", MilTensor.Scalar("fp32"))), S(1), -7);
    }

    [Test]
    public void IdentityCopies()
    {
        Floats(Unary("identity", F(S(2), 1, -1)), S(2), 1, -1);
    }
}

using System;
using NUnit.Framework;
using TrainingGen.CoreML.Interpreter;
using TrainingGen.CoreML.Mil;
using static TrainingGen.Runtime.Tests.Mil;

namespace TrainingGen.Runtime.Tests;

[TestFixture]
public class InterpreterTestsLinalgReduce
{
    private static MilTensor MatMul(MilTensor x, MilTensor y, bool tx = false, bool ty = false) =>
        Op("matmul", MilDType.Float32, null, ("x", x), ("y", y),
            ("transpose_x", MilTensor.Scalar(tx)), ("transpose_y", MilTensor.Scalar(ty)));

    // [[1,2,3],[4,5,6]] · [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
    [Test]
    public void MatMul2D()
    {
        Floats(MatMul(F(S(2, 3), 1, 2, 3, 4, 5, 6), F(S(3, 2), 7, 8, 9, 10, 11, 12)), S(2, 2), 58, 64, 139, 154);
    }

    [Test]
    public void MatMulTransposeFlags()
    {
        // x given as its transpose [3,2], y as its transpose [2,3]
        var xt = F(S(3, 2), 1, 4, 2, 5, 3, 6);
        var yt = F(S(2, 3), 7, 9, 11, 8, 10, 12);
        Floats(MatMul(xt, F(S(3, 2), 7, 8, 9, 10, 11, 12), tx: true), S(2, 2), 58, 64, 139, 154);
        Floats(MatMul(F(S(2, 3), 1, 2, 3, 4, 5, 6), yt, ty: true), S(2, 2), 58, 64, 139, 154);
        Floats(MatMul(xt, yt, tx: true, ty: true), S(2, 2), 58, 64, 139, 154);
    }

    [Test]
    public void MatMulPromotesVectors()
    {
        Floats(MatMul(F(S(3), 1, 2, 3), F(S(3, 2), 7, 8, 9, 10, 11, 12)), S(2), 58, 64);
        Floats(MatMul(F(S(2, 3), 1, 2, 3, 4, 5, 6), F(S(3), 1, 1, 1)), S(2), 6, 15);
        Floats(MatMul(F(S(3), 1, 2, 3), F(S(3), 4, 5, 6)), S(), 32);
    }

    [Test]
    public void MatMulBroadcastsBatchDims()
    {
        // x [2,1,2]: batches [[1,2]] and [[3,4]]; y [2,1] = [[1],[10]] shared
        Floats(MatMul(F(S(2, 1, 2), 1, 2, 3, 4), F(S(2, 1), 1, 10)), S(2, 1, 1), 21, 43);
        // x [1,2,2] = I, y [2,2,2]: identity times each batch of y
        Floats(MatMul(F(S(1, 2, 2), 1, 0, 0, 1), F(S(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8)), S(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8);
    }

    [Test]
    public void MatMulInnerDimensionMismatchIsReported()
    {
        var ex = Assert.Throws<MilInterpreterException>(() => MatMul(F(S(2, 3), 1, 2, 3, 4, 5, 6), F(S(2, 2), 1, 2, 3, 4)));
        Assert.That(ex!.Message, Does.Contain("inner dimensions"));
    }

    [Test]
    public void LinearIsXWTransposedPlusBias()
    {
        // W = [[1,0,1],[0,1,0]], b = [0.5,-1]
        var r = Op("linear", MilDType.Float32, L(2, 2),
            ("x", F(S(2, 3), 1, 2, 3, 4, 5, 6)), ("weight", F(S(2, 3), 1, 0, 1, 0, 1, 0)), ("bias", F(S(2), 0.5f, -1)));
        Floats(r, S(2, 2), 4.5, 1, 10.5, 4);
        var noBias = Op("linear", MilDType.Float32, L(2), ("x", F(S(3), 1, 2, 3)), ("weight", F(S(2, 3), 1, 0, 1, 0, 1, 0)));
        Floats(noBias, S(2), 4, 2);
    }

    private static readonly MilTensor X23 = F(S(2, 3), 1, 2, 3, 4, 5, 6);

    private static MilTensor Reduce(string type, MilTensor x, int[]? axes, bool keep = false)
    {
        var args = axes is null
            ? new (string, object)[] { ("x", x), ("keep_dims", MilTensor.Scalar(keep)) }
            : new (string, object)[] { ("x", x), ("axes", MilTensor.Vector(axes)), ("keep_dims", MilTensor.Scalar(keep)) };
        return Op(type, x.DType, null, args);
    }

    [Test]
    public void ReduceSumAxesKeepDimsAndAll()
    {
        Floats(Reduce("reduce_sum", X23, S(1)), S(2), 6, 15);
        Floats(Reduce("reduce_sum", X23, S(0), keep: true), S(1, 3), 5, 7, 9);
        Floats(Reduce("reduce_sum", X23, null), S(), 21);
        Floats(Reduce("reduce_sum", X23, null, keep: true), S(1, 1), 21);
        Floats(Reduce("reduce_sum", X23, S(0, 1)), S(), 21);
    }

    [Test]
    public void OtherReductions()
    {
        Floats(Reduce("reduce_mean", X23, S(-1)), S(2), 2, 5);
        Floats(Reduce("reduce_mean", X23, null), S(), 3.5);
        Floats(Reduce("reduce_max", X23, S(0)), S(3), 4, 5, 6);
        Floats(Reduce("reduce_min", X23, S(1)), S(2), 1, 4);
        Floats(Reduce("reduce_prod", X23, S(1)), S(2), 6, 120);
        Floats(Reduce("reduce_sum_square", X23, null), S(), 91);
        Floats(Reduce("reduce_l1_norm", F(S(3), -1, 2, -3), null), S(), 6);
        Floats(Reduce("reduce_l2_norm", X23, S(1)), S(2), Math.Sqrt(14), Math.Sqrt(77));
        Floats(Reduce("reduce_log_sum", F(S(2), 1, (float)(Math.E - 1)), null), S(), 1);
        // log(e + e² + e³) = 3 + log(1 + e⁻¹ + e⁻²)
        Floats(Reduce("reduce_log_sum_exp", X23, S(1)), S(2), 3.40760596444438, 6.40760596444438);
        Ints(Reduce("reduce_sum", I(S(2, 2), 1, 2, 3, 4), S(0)), S(2), 4, 6);
    }

    [Test]
    public void ArgMaxArgMin()
    {
        Ints(Op("reduce_argmax", MilDType.Int32, null, ("x", X23), ("axis", MilTensor.Scalar(1))), S(2), 2, 2);
        Ints(Op("reduce_argmin", MilDType.Int32, null, ("x", X23), ("axis", MilTensor.Scalar(0))), S(3), 0, 0, 0);
        Ints(Op("reduce_argmax", MilDType.Int32, null, ("x", F(S(3), 3, 1, 3))), S(), 0); // first of ties
        Ints(Op("reduce_argmax", MilDType.Int32, null, ("x", X23), ("axis", MilTensor.Scalar(-1)), ("keep_dims", MilTensor.Scalar(true))), S(2, 1), 2, 2);
    }

    [Test]
    public void CumSum()
    {
        Floats(Op("cumsum", MilDType.Float32, null, ("x", X23), ("axis", MilTensor.Scalar(1))), S(2, 3), 1, 3, 6, 4, 9, 15);
        Floats(Op("cumsum", MilDType.Float32, null, ("x", F(S(3), 1, 2, 3)), ("axis", MilTensor.Scalar(0)),
            ("exclusive", MilTensor.Scalar(true)), ("reverse", MilTensor.Scalar(true))), S(3), 5, 3, 0);
    }

    [Test]
    public void BadAxisIsReported()
    {
        var ex = Assert.Throws<MilInterpreterException>(() => Reduce("reduce_sum", X23, S(2)));
        Assert.That(ex!.Message, Does.Contain("reduce_sum").And.Contain("out of range"));
    }
}

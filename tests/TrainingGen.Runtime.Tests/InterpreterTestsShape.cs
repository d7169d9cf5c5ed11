using NUnit.Framework;
using TrainingGen.CoreML.Interpreter;
using TrainingGen.CoreML.Mil;
using static TrainingGen.Runtime.Tests.Mil;

namespace TrainingGen.Runtime.Tests;

[TestFixture]
public class InterpreterTestsShape
{
    private static readonly MilTensor X23 = F(S(2, 3), 1, 2, 3, 4, 5, 6);
    private static readonly MilTensor X34 = F(S(3, 4), 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);

    [Test]
    public void ReshapeWithInferredAndCopiedDims()
    {
        Floats(Op("reshape", MilDType.Float32, L(3, 2), ("x", X23), ("shape", MilTensor.Vector(3, -1))), S(3, 2), 1, 2, 3, 4, 5, 6);
        Floats(Op("reshape", MilDType.Float32, L(2, 3), ("x", X23), ("shape", MilTensor.Vector(0, -1))), S(2, 3), 1, 2, 3, 4, 5, 6);
        Floats(Op("reshape", MilDType.Float32, L(6), ("x", X23), ("shape", MilTensor.Vector(6))), S(6), 1, 2, 3, 4, 5, 6);
        var ex = Assert.Throws<MilInterpreterException>(() =>
            Op("reshape", MilDType.Float32, null, ("x", X23), ("shape", MilTensor.Vector(4, 2))));
        Assert.That(ex!.Message, Does.Contain("reshape").And.Contain("[4, 2]"));
    }

    [Test]
    public void Transpose()
    {
        Floats(Op("transpose", MilDType.Float32, L(3, 2), ("x", X23), ("perm", MilTensor.Vector(1, 0))), S(3, 2), 1, 4, 2, 5, 3, 6);
        // out[i,j,k] = x[j,k,i] for x = 0..7 of shape [2,2,2]
        var x = F(S(2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7);
        Floats(Op("transpose", MilDType.Float32, L(2, 2, 2), ("x", x), ("perm", MilTensor.Vector(2, 0, 1))), S(2, 2, 2), 0, 2, 4, 6, 1, 3, 5, 7);
    }

    [Test]
    public void ExpandDimsAndSqueeze()
    {
        Floats(Op("expand_dims", MilDType.Float32, L(1, 2, 3, 1), ("x", X23), ("axes", MilTensor.Vector(0, -1))), S(1, 2, 3, 1), 1, 2, 3, 4, 5, 6);
        var x = F(S(1, 2, 1), 7, 8);
        Floats(Op("squeeze", MilDType.Float32, L(2), ("x", x)), S(2), 7, 8);
        Floats(Op("squeeze", MilDType.Float32, L(2, 1), ("x", x), ("axes", MilTensor.Vector(0))), S(2, 1), 7, 8);
        Floats(Op("squeeze", MilDType.Float32, L(), ("x", F(S(1), 5))), S(), 5);
    }

    [Test]
    public void ConcatAndInterleave()
    {
        var r = Op("concat", MilDType.Float32, L(2, 3),
            ("values", new[] { F(S(2, 1), 1, 2), F(S(2, 2), 3, 4, 5, 6) }), ("axis", MilTensor.Scalar(1)), ("interleave", MilTensor.Scalar(false)));
        Floats(r, S(2, 3), 1, 3, 4, 2, 5, 6);
        var i = Op("concat", MilDType.Float32, L(4, 2),
            ("values", new[] { F(S(2, 2), 1, 2, 3, 4), F(S(2, 2), 5, 6, 7, 8) }), ("axis", MilTensor.Scalar(0)), ("interleave", MilTensor.Scalar(true)));
        Floats(i, S(4, 2), 1, 2, 5, 6, 3, 4, 7, 8);
    }

    [Test]
    public void SplitBySizesAndCount()
    {
        var x = F(S(2, 4), 0, 1, 2, 3, 4, 5, 6, 7);
        var parts = OpAll("split", new (MilDType, long[]?)[] { (MilDType.Float32, L(2, 1)), (MilDType.Float32, L(2, 3)) },
            ("x", x), ("split_sizes", MilTensor.Vector(1, 3)), ("axis", MilTensor.Scalar(1)));
        Floats(parts[0], S(2, 1), 0, 4);
        Floats(parts[1], S(2, 3), 1, 2, 3, 5, 6, 7);
        var halves = OpAll("split", new (MilDType, long[]?)[] { (MilDType.Float32, L(1, 4)), (MilDType.Float32, L(1, 4)) },
            ("x", x), ("num_splits", MilTensor.Scalar(2)), ("axis", MilTensor.Scalar(0)));
        Floats(halves[0], S(1, 4), 0, 1, 2, 3);
        Floats(halves[1], S(1, 4), 4, 5, 6, 7);
    }

    [Test]
    public void Stack()
    {
        var values = new[] { F(S(2), 1, 2), F(S(2), 3, 4) };
        Floats(Op("stack", MilDType.Float32, L(2, 2), ("values", values), ("axis", MilTensor.Scalar(0))), S(2, 2), 1, 2, 3, 4);
        Floats(Op("stack", MilDType.Float32, L(2, 2), ("values", values), ("axis", MilTensor.Scalar(1))), S(2, 2), 1, 3, 2, 4);
    }

    [Test]
    public void Tile()
    {
        Floats(Op("tile", MilDType.Float32, L(4), ("x", F(S(2), 1, 2)), ("reps", MilTensor.Vector(2))), S(4), 1, 2, 1, 2);
        Floats(Op("tile", MilDType.Float32, L(2, 4), ("x", F(S(1, 2), 1, 2)), ("reps", MilTensor.Vector(2, 2))), S(2, 4), 1, 2, 1, 2, 1, 2, 1, 2);
    }

    private static MilTensor Slice(int[] begin, int[] end, int[]? stride = null, bool[]? beginMask = null, bool[]? endMask = null, bool[]? squeeze = null)
    {
        var args = new System.Collections.Generic.List<(string, object)> { ("x", X34), ("begin", MilTensor.Vector(begin)), ("end", MilTensor.Vector(end)) };
        if (stride is not null) args.Add(("stride", MilTensor.Vector(stride)));
        if (beginMask is not null) args.Add(("begin_mask", B(S(beginMask.Length), beginMask)));
        if (endMask is not null) args.Add(("end_mask", B(S(endMask.Length), endMask)));
        if (squeeze is not null) args.Add(("squeeze_mask", B(S(squeeze.Length), squeeze)));
        return Op("slice_by_index", MilDType.Float32, null, args.ToArray());
    }

    [Test]
    public void SliceByIndex()
    {
        // x = 0..11 as [3,4]
        Floats(Slice(S(1, 0), S(3, 4), S(1, 2)), S(2, 2), 4, 6, 8, 10);
        Floats(Slice(S(0, 3), S(1, 0), S(1, -1), endMask: new[] { false, true }), S(1, 4), 3, 2, 1, 0);
        Floats(Slice(S(2, 1), S(3, 3), squeeze: new[] { true, false }), S(2), 9, 10);
        Floats(Slice(S(0, -3), S(1, -1)), S(1, 2), 1, 2);
        Floats(Slice(S(5, 0), S(0, 4), beginMask: new[] { true, false }, endMask: new[] { true, false }, stride: S(2, 3)), S(2, 2), 0, 3, 8, 11);
        Floats(Slice(S(0, 0), S(99, 1)), S(3, 1), 0, 4, 8); // ends clamp like Python
    }

    [Test]
    public void SliceBySize()
    {
        Floats(Op("slice_by_size", MilDType.Float32, L(2, 3), ("x", X34), ("begin", MilTensor.Vector(1, 1)), ("size", MilTensor.Vector(2, -1))),
            S(2, 3), 5, 6, 7, 9, 10, 11);
    }

    [Test]
    public void PadModes()
    {
        Floats(Op("pad", MilDType.Float32, L(3, 3), ("x", F(S(2, 2), 1, 2, 3, 4)), ("pad", MilTensor.Vector(1, 0, 0, 1)),
            ("mode", MilTensor.Scalar("constant")), ("constant_val", MilTensor.Scalar(9f))), S(3, 3), 9, 9, 9, 1, 2, 9, 3, 4, 9);
        Floats(Op("pad", MilDType.Float32, L(2, 4), ("x", F(S(2, 2), 1, 2, 3, 4)), ("pad", MilTensor.Vector(1, 1))),
            S(2, 4), 0, 1, 2, 0, 0, 3, 4, 0);
        Floats(Op("pad", MilDType.Float32, L(6), ("x", F(S(3), 1, 2, 3)), ("pad", MilTensor.Vector(2, 1)), ("mode", MilTensor.Scalar("reflect"))),
            S(6), 3, 2, 1, 2, 3, 2);
        Floats(Op("pad", MilDType.Float32, L(6), ("x", F(S(3), 1, 2, 3)), ("pad", MilTensor.Vector(1, 2)), ("mode", MilTensor.Scalar("replicate"))),
            S(6), 1, 1, 2, 3, 3, 3);
    }

    [Test]
    public void FillFillLikeShape()
    {
        Floats(Op("fill", MilDType.Float32, L(2, 2), ("shape", MilTensor.Vector(2, 2)), ("value", MilTensor.Scalar(3f))), S(2, 2), 3, 3, 3, 3);
        Floats(Op("fill", MilDType.Float32, L(3), ("shape", MilTensor.Vector(3))), S(3), 0, 0, 0);
        Floats(Op("fill_like", MilDType.Float32, L(2, 3), ("ref_tensor", X23), ("value", MilTensor.Scalar(-1f))), S(2, 3), -1, -1, -1, -1, -1, -1);
        Ints(Op("shape", MilDType.Int32, L(3), ("x", F(S(2, 3, 1), 1, 2, 3, 4, 5, 6))), S(3), 2, 3, 1);
        Floats(Op("range_1d", MilDType.Float32, L(3), ("end", MilTensor.Scalar(2f)), ("start", MilTensor.Scalar(0.5f)), ("step", MilTensor.Scalar(0.5f))),
            S(3), 0.5, 1, 1.5);
    }

    [Test]
    public void FillViaBuilderHelper()
    {
        var b = new MilFunctionBuilder("main");
        b.Output(b.Fill(new long[] { 2 }, 1.5f, "ones"));
        var r = new MilInterpreter(b.Build()).Run(new System.Collections.Generic.Dictionary<string, MilTensor>());
        Floats(r[0].Value, S(2), 1.5, 1.5);
    }

    [Test]
    public void Gather()
    {
        var x = F(S(3, 2), 1, 2, 3, 4, 5, 6);
        Floats(Op("gather", MilDType.Float32, L(2, 2), ("x", x), ("indices", MilTensor.Vector(2, 0)), ("axis", MilTensor.Scalar(0))), S(2, 2), 5, 6, 1, 2);
        Floats(Op("gather", MilDType.Float32, L(3, 1), ("x", x), ("indices", MilTensor.Vector(-1)), ("axis", MilTensor.Scalar(1))), S(3, 1), 2, 4, 6);
        Floats(Op("gather", MilDType.Float32, L(2), ("x", x), ("indices", MilTensor.Scalar(1)), ("axis", MilTensor.Scalar(0))), S(2), 3, 4);
        Floats(Op("gather", MilDType.Float32, L(2, 2, 2), ("x", x), ("indices", I(S(2, 2), 0, 1, 2, 2))), S(2, 2, 2), 1, 2, 3, 4, 5, 6, 5, 6);
        var ex = Assert.Throws<MilInterpreterException>(() =>
            Op("gather", MilDType.Float32, null, ("x", x), ("indices", MilTensor.Vector(3))));
        Assert.That(ex!.Message, Does.Contain("out of range"));
    }

    [Test]
    public void GatherAlongAxisAndGatherNd()
    {
        Floats(Op("gather_along_axis", MilDType.Float32, L(2, 2), ("x", X23), ("indices", I(S(2, 2), 2, 0, 1, 1)), ("axis", MilTensor.Scalar(1))),
            S(2, 2), 3, 1, 5, 5);
        Floats(Op("gather_nd", MilDType.Float32, L(2), ("x", X23), ("indices", I(S(2, 2), 1, 2, 0, 0))), S(2), 6, 1);
        Floats(Op("gather_nd", MilDType.Float32, L(1, 3), ("x", X23), ("indices", I(S(1, 1), 1))), S(1, 3), 4, 5, 6);
    }

    [Test]
    public void ScatterModes()
    {
        var zeros = F(S(3, 2), 0, 0, 0, 0, 0, 0);
        Floats(Op("scatter", MilDType.Float32, L(3, 2), ("data", zeros), ("indices", MilTensor.Vector(2, 0)),
            ("updates", F(S(2, 2), 1, 2, 3, 4)), ("axis", MilTensor.Scalar(0)), ("mode", MilTensor.Scalar("add"))), S(3, 2), 3, 4, 0, 0, 1, 2);
        Floats(Op("scatter", MilDType.Float32, L(3, 2), ("data", zeros), ("indices", MilTensor.Vector(1, 1)),
            ("updates", F(S(2, 2), 1, 1, 2, 2)), ("axis", MilTensor.Scalar(0)), ("mode", MilTensor.Scalar("add"))), S(3, 2), 0, 0, 3, 3, 0, 0);
        var ones = F(S(3, 2), 1, 1, 1, 1, 1, 1);
        Floats(Op("scatter", MilDType.Float32, L(3, 2), ("data", ones), ("indices", MilTensor.Vector(1)),
            ("updates", F(S(1, 2), 7, 8)), ("axis", MilTensor.Scalar(0)), ("mode", MilTensor.Scalar("update"))), S(3, 2), 1, 1, 7, 8, 1, 1);
        Floats(Op("scatter_along_axis", MilDType.Float32, L(2, 3), ("data", F(S(2, 3), 0, 0, 0, 0, 0, 0)), ("indices", I(S(2, 2), 0, 2, 1, 1)),
            ("updates", F(S(2, 2), 1, 2, 3, 4)), ("axis", MilTensor.Scalar(1)), ("mode", MilTensor.Scalar("add"))), S(2, 3), 1, 0, 2, 0, 7, 0);
        Floats(Op("scatter_nd", MilDType.Float32, L(2, 3), ("data", F(S(2, 3), 0, 0, 0, 0, 0, 0)), ("indices", I(S(2, 2), 1, 2, 0, 0)),
            ("updates", F(S(2), 5, 6)), ("mode", MilTensor.Scalar("update"))), S(2, 3), 6, 0, 0, 0, 0, 5);
    }

    [Test]
    public void OneHot()
    {
        Floats(Op("one_hot", MilDType.Float32, L(3, 3), ("indices", MilTensor.Vector(0, 2, 1)), ("one_hot_vector_size", MilTensor.Scalar(3))),
            S(3, 3), 1, 0, 0, 0, 0, 1, 0, 1, 0);
        Floats(Op("one_hot", MilDType.Float32, L(3, 2), ("indices", MilTensor.Vector(1, 0)), ("one_hot_vector_size", MilTensor.Scalar(3)),
            ("axis", MilTensor.Scalar(0)), ("on_value", MilTensor.Scalar(5f)), ("off_value", MilTensor.Scalar(-1f))), S(3, 2), -1, 5, 5, -1, -1, -1);
    }
}

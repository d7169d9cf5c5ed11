using System.Collections.Generic;
using NUnit.Framework;
using TrainingGen.CoreML.Interpreter;
using TrainingGen.CoreML.Mil;
using static TrainingGen.Runtime.Tests.Mil;

namespace TrainingGen.Runtime.Tests;

[TestFixture]
public class InterpreterTestsState
{
    /// <summary>
    /// acc (fp16 state [2]) += x; returns the new value as fp32 — the shape coremltools writes:
    /// read_state, add, write_state(input, data), read_state, cast.
    /// </summary>
    internal static MilFunction Accumulator()
    {
        var f = new MilFunction("main", "CoreML8");
        var t = new MilTensorType(MilDType.Float16, new long[] { 2 });
        f.Inputs.Add(new MilNamedValue("acc", MilValueType.StateOf(t)));
        f.Inputs.Add(new MilNamedValue("x", MilValueType.Of(t)));

        MilOperation Op(string type, string name, MilTensorType? outType, params (string P, string V)[] args)
        {
            var op = new MilOperation(type, name);
            foreach (var (p, v) in args) op.Inputs.Add(new(p, new List<MilBinding> { MilBinding.To(v) }));
            if (outType is not null) op.Outputs.Add(new MilNamedValue(name, MilValueType.Of(outType)));
            f.Operations.Add(op);
            return op;
        }

        Op("read_state", "acc_read", t, ("input", "acc"));
        Op("add", "acc_sum", t, ("x", "acc_read"), ("y", "x"));
        Op("write_state", "acc_write", null, ("input", "acc"), ("data", "acc_sum"));
        Op("read_state", "acc_new", t, ("input", "acc"));
        var dtype = new MilOperation("const", "dtype_0");
        dtype.Attributes.Add(new("val", MilTensor.Scalar("fp32")));
        dtype.Outputs.Add(new MilNamedValue("dtype_0", MilValueType.Of(new MilTensorType(MilDType.String, new long[0]))));
        f.Operations.Add(dtype);
        Op("cast", "acc_out", new MilTensorType(MilDType.Float32, new long[] { 2 }), ("x", "acc_new"), ("dtype", "dtype_0"));
        f.Outputs.Add("acc_out");
        return f;
    }

    [Test]
    public void StatesPersistAcrossCallsThroughTheCallersDictionary()
    {
        var interp = new MilInterpreter(Accumulator());
        var states = new Dictionary<string, MilTensor>();
        var out1 = interp.Run(new Dictionary<string, MilTensor> { ["x"] = H(S(2), 1.5f, -2) }, states);
        Floats(out1[0].Value, S(2), 1.5, -2);
        Assert.That(out1[0].Value.DType, Is.EqualTo(MilDType.Float32));
        Assert.That(states.ContainsKey("acc"), Is.True, "zero state created and returned");
        Assert.That(states["acc"].DType, Is.EqualTo(MilDType.Float16));
        Floats(states["acc"], S(2), 1.5, -2);

        var out2 = interp.Run(new Dictionary<string, MilTensor> { ["x"] = H(S(2), 0.25f, 3) }, states);
        Floats(out2[0].Value, S(2), 1.75, 1);
        Floats(states["acc"], S(2), 1.75, 1);
    }

    [Test]
    public void InitialStateComesFromTheCaller()
    {
        var states = new Dictionary<string, MilTensor> { ["acc"] = H(S(2), 10, 20) };
        var out1 = new MilInterpreter(Accumulator()).Run(new Dictionary<string, MilTensor> { ["x"] = H(S(2), 1, 2) }, states);
        Floats(out1[0].Value, S(2), 11, 22);
    }

    [Test]
    public void StateSumIsRoundedToHalf()
    {
        // 2048 + 1 is not representable in fp16 (spacing 2 above 2048); ties round to even → 2048
        var states = new Dictionary<string, MilTensor> { ["acc"] = H(S(2), 2048, 0) };
        new MilInterpreter(Accumulator()).Run(new Dictionary<string, MilTensor> { ["x"] = H(S(2), 1, 1) }, states);
        Floats(states["acc"], S(2), 2048, 1);
    }

    [Test]
    public void WrongStateShapeIsReported()
    {
        var states = new Dictionary<string, MilTensor> { ["acc"] = H(S(3), 1, 2, 3) };
        var ex = Assert.Throws<System.ArgumentException>(() =>
            new MilInterpreter(Accumulator()).Run(new Dictionary<string, MilTensor> { ["x"] = H(S(2), 1, 2) }, states));
        Assert.That(ex!.Message, Does.Contain("'acc'").And.Contain("[2]").And.Contain("[3]"));
    }

    [Test]
    public void StatelessRunStartsFromZeroEachTime()
    {
        var interp = new MilInterpreter(Accumulator());
        var inputs = new Dictionary<string, MilTensor> { ["x"] = H(S(2), 1, 2) };
        interp.Run(inputs);
        Floats(interp.Run(inputs)[0].Value, S(2), 1, 2);
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Interpreter;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// Helpers shared by the interpreter tests. Every expected value in these tests is written out by
/// hand (or from a closed form), never taken from the interpreter itself.
/// </summary>
internal static class Mil
{
    public static MilTensor F(int[] shape, params float[] v) => MilTensor.Float32(shape, v);
    public static MilTensor H(int[] shape, params float[] v) => MilTensor.Float16(shape, v);
    public static MilTensor I(int[] shape, params int[] v) => MilTensor.Int32(shape, v);
    public static MilTensor B(int[] shape, params bool[] v) => MilTensor.Bool(shape, v);
    public static int[] S(params int[] s) => s;

    /// <summary>
    /// Runs one op whose parameters are all constants. A <see cref="MilTensor"/> argument becomes a
    /// const op, a <see cref="MilTensor"/>[] argument a tuple of consts. The output is declared with
    /// <paramref name="outShape"/> (null = unknown rank, no shape check).
    /// </summary>
    public static MilTensor Op(string type, MilDType outType, long[]? outShape, params (string, object)[] args) =>
        OpAll(type, new[] { (outType, outShape) }, args)[0];

    public static MilTensor[] OpAll(string type, (MilDType, long[]?)[] outs, params (string, object)[] args)
    {
        var b = new MilFunctionBuilder("main");
        var bound = new List<(string, object)>();
        foreach (var (p, a) in args)
        {
            bound.Add(a switch
            {
                MilTensor t => (p, b.Const(t, $"in_{p}")),
                MilTensor[] ts => (p, ts.Select((t, i) => b.Const(t, $"in_{p}_{i}")).ToList()),
                _ => throw new ArgumentException(p),
            });
        }
        var v = b.Op(type, new MilTensorType(outs[0].Item1, outs[0].Item2), "result", bound.ToArray());
        b.Output(v);
        var f = b.Build();
        // Extra outputs (split): add them to the op by hand.
        var op = f.Operations.Last();
        for (int i = 1; i < outs.Length; i++)
        {
            op.Outputs.Add(new MilNamedValue($"result_{i}", MilValueType.Of(new MilTensorType(outs[i].Item1, outs[i].Item2))));
            f.Outputs.Add($"result_{i}");
        }
        return new MilInterpreter(f).Run(new Dictionary<string, MilTensor>()).Select(kv => kv.Value).ToArray();
    }

    public static MilTensor Unary(string type, MilTensor x, params (string, object)[] more) =>
        Op(type, x.DType, x.Shape.Select(d => (long)d).ToArray(), new[] { ("x", (object)x) }.Concat(more).ToArray());

    public static MilTensor Binary(string type, MilTensor x, MilTensor y, MilDType? outType = null) =>
        Op(type, outType ?? x.DType, null, ("x", x), ("y", y));

    public static void Close(MilTensor actual, int[] shape, double[] expected, double tol = 1e-6)
    {
        Assert.That(actual.Shape, Is.EqualTo(shape), "shape");
        double[] got = actual.Floats?.Select(v => (double)v).ToArray()
            ?? actual.Ints?.Select(v => (double)v).ToArray()
            ?? actual.Bools?.Select(v => v ? 1.0 : 0.0).ToArray()
            ?? throw new AssertionException("no numeric data");
        Assert.That(got.Length, Is.EqualTo(expected.Length), "element count");
        for (int i = 0; i < expected.Length; i++)
            Assert.That(got[i], Is.EqualTo(expected[i]).Within(tol + tol * Math.Abs(expected[i])), $"element {i}");
    }

    public static void Floats(MilTensor actual, int[] shape, params double[] expected) => Close(actual, shape, expected);

    public static void Ints(MilTensor actual, int[] shape, params int[] expected)
    {
        Assert.That(actual.DType, Is.EqualTo(MilDType.Int32));
        Assert.That(actual.Shape, Is.EqualTo(shape));
        Assert.That(actual.Ints, Is.EqualTo(expected));
    }

    public static void Bools(MilTensor actual, int[] shape, params bool[] expected)
    {
        Assert.That(actual.DType, Is.EqualTo(MilDType.Bool));
        Assert.That(actual.Shape, Is.EqualTo(shape));
        Assert.That(actual.Bools, Is.EqualTo(expected));
    }

    public static long[] L(params long[] s) => s;
}

[TestFixture]
public class InterpreterTests
{
    [Test]
    public void RunsAFunctionWithInputsAndReturnsOutputsInOrder()
    {
        var b = new MilFunctionBuilder("main");
        var x = b.Input("x", MilDType.Float32, 2, 2);
        var y = b.Input("y", MilDType.Float32, 2, 2);
        var sum = b.Add(x, y, "sum");
        var prod = b.Mul(x, y, "prod");
        b.Output(prod);
        b.Output(sum);
        var outputs = new MilInterpreter(b.Build()).Run(new Dictionary<string, MilTensor>
        {
            ["x"] = Mil.F(Mil.S(2, 2), 1, 2, 3, 4),
            ["y"] = Mil.F(Mil.S(2, 2), 10, 20, 30, 40),
        });
        Assert.That(outputs.Select(o => o.Key), Is.EqualTo(new[] { "prod", "sum" }));
        Mil.Floats(outputs[0].Value, Mil.S(2, 2), 10, 40, 90, 160);
        Mil.Floats(outputs[1].Value, Mil.S(2, 2), 11, 22, 33, 44);
    }

    [Test]
    public void UnsupportedOpReportsTypeAndName()
    {
        var b = new MilFunctionBuilder("main");
        var x = b.Input("x", MilDType.Float32, 2);
        var v = b.Op("frobnicate", x.Type, "my_frob", ("x", x));
        b.Output(v);
        var ex = Assert.Throws<MilUnsupportedOpException>(() =>
            new MilInterpreter(b.Build()).Run(new Dictionary<string, MilTensor> { ["x"] = Mil.F(Mil.S(2), 1, 2) }));
        Assert.That(ex!.Message, Does.Contain("frobnicate").And.Contain("my_frob"));
        Assert.That(ex.OpType, Is.EqualTo("frobnicate"));
        Assert.That(ex.OpName, Is.EqualTo("my_frob"));
    }

    [Test]
    public void InputShapeMismatchNamesInputAndBothShapes()
    {
        var b = new MilFunctionBuilder("main");
        var x = b.Input("features", MilDType.Float32, 2, 3);
        b.Output(b.Relu(x));
        var ex = Assert.Throws<ArgumentException>(() =>
            new MilInterpreter(b.Build()).Run(new Dictionary<string, MilTensor> { ["features"] = Mil.F(Mil.S(3, 2), 1, 2, 3, 4, 5, 6) }));
        Assert.That(ex!.Message, Does.Contain("'features'").And.Contain("[2, 3]").And.Contain("[3, 2]"));
    }

    [Test]
    public void InputDTypeMismatchIsReported()
    {
        var b = new MilFunctionBuilder("main");
        var x = b.Input("x", MilDType.Float32, 2);
        b.Output(b.Relu(x));
        var ex = Assert.Throws<ArgumentException>(() =>
            new MilInterpreter(b.Build()).Run(new Dictionary<string, MilTensor> { ["x"] = Mil.H(Mil.S(2), 1, 2) }));
        Assert.That(ex!.Message, Does.Contain("'x'").And.Contain("fp32").And.Contain("fp16"));
    }

    [Test]
    public void MissingInputIsReported()
    {
        var b = new MilFunctionBuilder("main");
        var x = b.Input("x", MilDType.Float32, 2);
        var y = b.Input("label", MilDType.Float32, 2);
        b.Output(b.Add(x, y));
        var ex = Assert.Throws<ArgumentException>(() =>
            new MilInterpreter(b.Build()).Run(new Dictionary<string, MilTensor> { ["x"] = Mil.F(Mil.S(2), 1, 2) }));
        Assert.That(ex!.Message, Does.Contain("missing input 'label'"));
    }

    [Test]
    public void FlexibleDimensionAcceptsAnySize()
    {
        var b = new MilFunctionBuilder("main");
        var x = b.Input("x", MilDType.Float32, -1, 2);
        b.Output(b.ReduceSum(x, new[] { 0 }, false));
        var outputs = new MilInterpreter(b.Build()).Run(new Dictionary<string, MilTensor> { ["x"] = Mil.F(Mil.S(3, 2), 1, 2, 3, 4, 5, 6) });
        Mil.Floats(outputs[0].Value, Mil.S(2), 9, 12);
    }

    [Test]
    public void DeclaredOutputShapeIsChecked()
    {
        var b = new MilFunctionBuilder("main");
        var x = b.Input("x", MilDType.Float32, 2, 3);
        var bad = b.Op("relu", new MilTensorType(MilDType.Float32, new long[] { 3, 2 }), "wrong", ("x", x));
        b.Output(bad);
        var ex = Assert.Throws<MilInterpreterException>(() =>
            new MilInterpreter(b.Build()).Run(new Dictionary<string, MilTensor> { ["x"] = Mil.F(Mil.S(2, 3), 1, 2, 3, 4, 5, 6) }));
        Assert.That(ex!.Message, Does.Contain("wrong").And.Contain("[2, 3]"));
    }

    [Test]
    public void OpErrorsNameTheOp()
    {
        var ex = Assert.Throws<MilInterpreterException>(() =>
            Mil.Binary("add", Mil.F(Mil.S(2), 1, 2), Mil.F(Mil.S(3), 1, 2, 3)));
        Assert.That(ex!.Message, Does.Contain("add 'result'").And.Contain("[2]").And.Contain("[3]"));
        var mixed = Assert.Throws<MilInterpreterException>(() =>
            Mil.Binary("add", Mil.F(Mil.S(2), 1, 2), Mil.H(Mil.S(2), 1, 2)));
        Assert.That(mixed!.Message, Does.Contain("cast"));
    }

    [Test]
    public void ConstUsesItsValAttribute()
    {
        var b = new MilFunctionBuilder("main");
        var c = b.Const(Mil.F(Mil.S(3), 1.5f, -2, 4), "w");
        b.Output(c);
        var outputs = new MilInterpreter(b.Build()).Run(new Dictionary<string, MilTensor>());
        Assert.That(outputs[0].Key, Is.EqualTo("w"));
        Mil.Floats(outputs[0].Value, Mil.S(3), 1.5, -2, 4);
    }

    [Test]
    public void InlineBindingValuesAreUsed()
    {
        var f = new MilFunction("main", "CoreML7");
        f.Inputs.Add(new MilNamedValue("x", MilValueType.Of(new MilTensorType(MilDType.Float32, new long[] { 2 }))));
        var op = new MilOperation("add", "y");
        op.Inputs.Add(new("x", new List<MilBinding> { MilBinding.To("x") }));
        op.Inputs.Add(new("y", new List<MilBinding> { MilBinding.Inline(MilTensor.Scalar(10f)) }));
        op.Outputs.Add(new MilNamedValue("y", MilValueType.Of(new MilTensorType(MilDType.Float32, new long[] { 2 }))));
        f.Operations.Add(op);
        f.Outputs.Add("y");
        var outputs = new MilInterpreter(f).Run(new Dictionary<string, MilTensor> { ["x"] = Mil.F(Mil.S(2), 1, 2) });
        Mil.Floats(outputs[0].Value, Mil.S(2), 11, 12);
    }

    [Test]
    public void UndefinedValueIsReported()
    {
        var f = new MilFunction("main", "CoreML7");
        var op = new MilOperation("relu", "r");
        op.Inputs.Add(new("x", new List<MilBinding> { MilBinding.To("nowhere") }));
        op.Outputs.Add(new MilNamedValue("r", MilValueType.Of(new MilTensorType(MilDType.Float32, null))));
        f.Operations.Add(op);
        f.Outputs.Add("r");
        var ex = Assert.Throws<MilInterpreterException>(() => new MilInterpreter(f).Run(new Dictionary<string, MilTensor>()));
        Assert.That(ex!.Message, Does.Contain("nowhere").And.Contain("'r'"));
    }

    [Test]
    public void Fp16ResultsAreRoundedToHalf()
    {
        // 0.0004 in half is 0.0003998…; 1 + that lies within half an ulp (2^-11) of 1, so the fp16 sum is exactly 1.
        var sum = Mil.Binary("add", Mil.H(Mil.S(1), 1f), Mil.H(Mil.S(1), 0.0004f));
        Assert.That(sum.DType, Is.EqualTo(MilDType.Float16));
        Assert.That(sum.Floats![0], Is.EqualTo(1.0f));
        var sum32 = Mil.Binary("add", Mil.F(Mil.S(1), 1f), Mil.F(Mil.S(1), 0.0004f));
        Assert.That(sum32.Floats![0], Is.EqualTo(1.0004f));
    }

    [Test]
    public void SupportedOpsListsTheCoreOps()
    {
        foreach (var op in new[] { "const", "add", "matmul", "linear", "reduce_mean", "reshape", "fill", "select", "equal", "cast",
                     "softmax", "relu", "conv", "max_pool", "avg_pool", "read_state", "write_state", "gather", "slice_by_index" })
            Assert.That(MilInterpreter.Supports(op), Is.True, op);
        Assert.That(MilInterpreter.Supports("frobnicate"), Is.False);
    }
}

using System;
using System.Numerics.Tensors;
using TrainingGen.Kernels;

namespace TrainingGen;

/// <summary>
/// Eager tensor ops usable in <c>Forward</c>. Each carries <see cref="OpAttribute"/> naming its
/// entry in the op table, which is how the generator recognises the call.
/// </summary>
public static class Ops
{
    [Op("add")] public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Add, "add");
    [Op("sub")] public static Tensor Sub(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Sub, "sub");
    [Op("mul")] public static Tensor Mul(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Mul, "mul");
    [Op("div")] public static Tensor Div(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Div, "div");

    [Op("neg")]
    public static Tensor Neg(Tensor a)
    {
        var y = new Tensor(a.Shape);
        TensorPrimitives.Negate(a.Data, y.Data);
        return y;
    }

    [Op("relu")]
    public static Tensor Relu(Tensor a)
    {
        var y = new Tensor(a.Shape);
        TensorPrimitives.Max(a.Data, 0f, y.Data);
        return y;
    }

    /// <summary>Mean over all elements (a scalar), like <c>torch.mean(x)</c>.</summary>
    [Op("mean")] public static Tensor Mean(Tensor a) => Tensor.Scalar(a.Count == 0 ? float.NaN : TensorPrimitives.Sum(a.Data) / a.Count);

    /// <summary>Sum over all elements (a scalar), like <c>torch.sum(x)</c>.</summary>
    [Op("sum")] public static Tensor Sum(Tensor a) => Tensor.Scalar(TensorPrimitives.Sum(a.Data));

    /// <summary>Mean squared error with mean reduction, like <c>torch.nn.functional.mse_loss</c>.</summary>
    [Op("mse_loss")]
    public static Tensor MseLoss(Tensor prediction, Tensor target)
    {
        if (!prediction.Shape.AsSpan().SequenceEqual(target.Shape))
            throw new ArgumentException($"mse_loss: prediction {ShapeUtil.Format(prediction.Shape)} and target {ShapeUtil.Format(target.Shape)} differ.");
        var d = Sub(prediction, target);
        return Mean(Mul(d, d));
    }

    private static Tensor Binary(Tensor a, Tensor b, BinaryOp op, string name)
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape, name);
        var y = new Tensor(shape);
        Elementwise.Binary(op, a.Data, a.Shape, b.Data, b.Shape, y.Data, shape);
        return y;
    }
}

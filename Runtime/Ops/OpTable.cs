// This file is compiled into both the runtime and the generator (linked source): it is the one
// list of ops that user code may call, with what the generator needs to know about each. The
// runtime's eager implementations carry [Op(name)] naming an entry here; a test checks that every
// [Op] in the runtime has an entry and vice versa.
namespace TrainingGen
{
    /// <summary>How an op's output shape follows from its inputs.</summary>
    internal enum ShapeRule
    {
        /// <summary>NumPy broadcasting of the two operands.</summary>
        Broadcast,
        /// <summary>A scalar (rank 0).</summary>
        Scalar,
        /// <summary>Same shape as the single operand.</summary>
        SameAsInput,
        /// <summary>[.., in] → [.., out] for a Linear layer.</summary>
        Linear,
        /// <summary>One axis removed (or kept as 1).</summary>
        Reduce,
        /// <summary>Same elements, new shape (reshape, flatten, transpose).</summary>
        Reshape,
    }

    /// <summary>
    /// One op of the table: its identifier (used in the IR, in [Op] attributes and diagnostics),
    /// operand count, shape rule, whether it yields a loss (counts as "loss first" for TG0001),
    /// whether it has a derivative, and the MIL ops its forward lowers to.
    /// </summary>
    internal sealed class OpInfo
    {
        public OpInfo(string name, int arity, ShapeRule shape, bool isLoss, bool differentiable, string milOps)
        {
            Name = name; Arity = arity; Shape = shape; IsLoss = isLoss; Differentiable = differentiable; MilOps = milOps;
        }
        public string Name { get; }
        public int Arity { get; }
        public ShapeRule Shape { get; }
        public bool IsLoss { get; }
        public bool Differentiable { get; }
        public string MilOps { get; }
    }

    internal static class OpTable
    {
        public static readonly OpInfo[] All =
        {
            new OpInfo("add", 2, ShapeRule.Broadcast, false, true, "add"),
            new OpInfo("sub", 2, ShapeRule.Broadcast, false, true, "sub"),
            new OpInfo("mul", 2, ShapeRule.Broadcast, false, true, "mul"),
            new OpInfo("div", 2, ShapeRule.Broadcast, false, true, "real_div"),
            new OpInfo("neg", 1, ShapeRule.SameAsInput, false, true, "mul"),
            new OpInfo("relu", 1, ShapeRule.SameAsInput, false, true, "relu"),
            new OpInfo("mean", 1, ShapeRule.Scalar, false, true, "reduce_mean"),
            new OpInfo("sum", 1, ShapeRule.Scalar, false, true, "reduce_sum"),
            new OpInfo("mse_loss", 2, ShapeRule.Scalar, true, true, "sub, mul, reduce_mean"),
            new OpInfo("linear", 3, ShapeRule.Linear, false, true, "matmul, add"),
            new OpInfo("parameter", 0, ShapeRule.SameAsInput, false, true, "(function input)"),
            new OpInfo("sigmoid", 1, ShapeRule.SameAsInput, false, true, "sigmoid"),
            new OpInfo("tanh", 1, ShapeRule.SameAsInput, false, true, "tanh"),
            new OpInfo("exp", 1, ShapeRule.SameAsInput, false, true, "exp"),
            new OpInfo("log", 1, ShapeRule.SameAsInput, false, true, "log"),
            new OpInfo("sqrt", 1, ShapeRule.SameAsInput, false, true, "sqrt"),
            new OpInfo("silu", 1, ShapeRule.SameAsInput, false, true, "silu"),
            new OpInfo("leaky_relu", 1, ShapeRule.SameAsInput, false, true, "leaky_relu"),
            new OpInfo("gelu", 1, ShapeRule.SameAsInput, false, true, "gelu"),
            new OpInfo("softmax", 1, ShapeRule.SameAsInput, false, true, "softmax"),
            new OpInfo("log_softmax", 1, ShapeRule.SameAsInput, false, true, "sub, reduce_log_sum_exp"),
            new OpInfo("cross_entropy", 2, ShapeRule.Scalar, true, true, "log_softmax, one_hot, mul, reduce_sum, reduce_mean"),
            new OpInfo("sum_axis", 1, ShapeRule.Reduce, false, true, "reduce_sum"),
            new OpInfo("mean_axis", 1, ShapeRule.Reduce, false, true, "reduce_mean"),
            new OpInfo("flatten", 1, ShapeRule.Reshape, false, true, "reshape"),
            new OpInfo("reshape", 1, ShapeRule.Reshape, false, true, "reshape"),
            new OpInfo("permute", 1, ShapeRule.Reshape, false, true, "transpose"),
            new OpInfo("transpose", 1, ShapeRule.Reshape, false, true, "transpose"),
            new OpInfo("matmul", 2, ShapeRule.Broadcast, false, true, "matmul"),
            new OpInfo("conv2d", 3, ShapeRule.Linear, false, true, "conv, add"),
            new OpInfo("max_pool2d", 1, ShapeRule.Reshape, false, true, "max_pool"),
            new OpInfo("avg_pool2d", 1, ShapeRule.Reshape, false, true, "avg_pool"),
            new OpInfo("global_avg_pool", 1, ShapeRule.Reduce, false, true, "reduce_mean"),
            new OpInfo("layer_norm", 3, ShapeRule.SameAsInput, false, true, "reduce_mean, sub, mul, rsqrt, add"),
            new OpInfo("embedding", 2, ShapeRule.Linear, false, true, "cast, gather"),
            new OpInfo("l1_loss", 2, ShapeRule.Scalar, true, true, "sub, abs, reduce_mean"),
            new OpInfo("huber_loss", 2, ShapeRule.Scalar, true, true, "sub, abs, select, reduce_mean"),
            new OpInfo("smooth_l1_loss", 2, ShapeRule.Scalar, true, true, "sub, abs, select, reduce_mean"),
            new OpInfo("bce_with_logits", 2, ShapeRule.Scalar, true, true, "maximum, mul, exp, log, reduce_mean"),
            new OpInfo("nll_loss", 2, ShapeRule.Scalar, true, true, "one_hot, mul, reduce_sum"),
            new OpInfo("batch_norm2d", 5, ShapeRule.SameAsInput, false, true, "reduce_mean, sub, mul, rsqrt, add"),
            new OpInfo("dropout", 1, ShapeRule.SameAsInput, false, true, "mul (mask input)"),
            new OpInfo("concat", 2, ShapeRule.Reshape, false, true, "concat"),
            new OpInfo("slice", 1, ShapeRule.Reshape, false, true, "slice_by_index"),
        };

        public static OpInfo? Find(string name)
        {
            foreach (var op in All) if (op.Name == name) return op;
            return null;
        }
    }
}

using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// Pairs of neighbouring nodes one kernel call computes together in the trainer (never in the package,
/// whose context has no <see cref="EmitContext.Fused"/> map). The second node's value is written by the
/// first node's call, straight into the second node's buffer, and the second node emits no call of its own.
/// Each fusion has the same bits as the two calls, because the fused kernel applies the second step with
/// the same code, block by block, as the first one finishes each block of its result.
/// <list type="bullet">
/// <item>conv2d → relu: the direct convolution stores <c>relu(conv + b)</c> (<see cref="ConvRelu"/>).</item>
/// <item>max_pool2d_grad → relu_grad: the pool gradient applies the relu mask (<see cref="PoolGradRelu"/>).</item>
/// <item>linear → relu: the product applies the ReLU as it finishes each block of y (<see cref="LinearRelu"/>).</item>
/// <item>linear_dx → relu_grad: the product applies the relu mask to each block of dx (<see cref="LinearInputGradRelu"/>).</item>
/// </list>
/// The pairs are chosen from the graph alone, before buffers are planned (<see cref="Plan"/>): the first
/// node's value is never stored, so <c>BufferPlan</c> gives it no buffer, and it gives the second node a
/// buffer none of the pair's inputs is in (the inputs of both nodes are freed only after that buffer is
/// taken), so the fused call never writes what it reads.
/// </summary>
internal static class Fusion
{
    /// <summary>
    /// Every fused pair, first node → the node its call also computes. <paramref name="adjacent"/> tells
    /// whether two nodes run one right after the other in the same pass and the first is not an output.
    /// </summary>
    public static Dictionary<int, int> Plan(EmitContext c, System.Func<int, int, bool> adjacent)
    {
        var pairs = new Dictionary<int, int>();
        foreach (var n in c.Nodes)
        {
            if (n.Id + 1 >= c.Nodes.Count || !adjacent(n.Id, n.Id + 1)) continue;
            int second = n.Op switch
            {
                "conv2d" => ConvRelu(c, n),
                "max_pool2d_grad" => PoolGradRelu(c, n),
                "linear" => LinearRelu(c, n),
                "linear_dx" => LinearInputGradRelu(c, n),
                _ => -1,
            };
            if (second >= 0) pairs[n.Id] = second;
        }
        return pairs;
    }

    /// <summary>
    /// Why <paramref name="n"/> needs no kernel call of its own (the call before it computes it), or null
    /// when it does.
    /// </summary>
    public static string? AbsorbedBy(EmitContext c, Node n)
    {
        if (n.Id == 0 || c.FusedWith(n.Id - 1) != n.Id) return null;
        return c.Nodes[n.Id - 1].Op switch
        {
            "conv2d" => "stored by the convolution above (fused bias + relu)",
            "max_pool2d_grad" => "computed with the max-pool gradient above (fused)",
            "linear" => "applied by the linear layer above as it stores its output (fused)",
            _ => "applied by the input gradient above as it stores it (fused)",
        };
    }

    /// <summary>
    /// The relu a direct forward convolution applies as it stores its output (<c>ConvEpilogue.BiasRelu</c>):
    /// the next node, a relu of it, when nothing else reads the convolution's value (its weight gradient
    /// names the node only to find the forward's working memory); else −1.
    /// </summary>
    private static int ConvRelu(EmitContext c, Node conv)
    {
        if (!ConvKernelChoice.For(c.Shape(conv.Args[0]), conv.Shape, conv).Direct) return -1;
        var next = c.Nodes[conv.Id + 1];
        if (next.Op != "relu" || next.Args[0] != conv.Id) return -1;
        bool otherReaders = c.Nodes.Any(m => m.Id != next.Id && m.Args.Contains(conv.Id)
            && !(m.Op == "conv2d_dw" && m.Args[2] == conv.Id && m.Args[0] != conv.Id && m.Args[1] != conv.Id));
        return otherReaders ? -1 : next.Id;
    }

    /// <summary>
    /// The relu gradient a 2×2 max-pool gradient computes with it (<c>MaxPool2x2.BackwardRange</c> with the
    /// relu mask): the next node, a relu_grad of exactly that gradient whose relu output is the pool's
    /// input, when nothing else reads the pool gradient; else −1.
    /// </summary>
    private static int PoolGradRelu(EmitContext c, Node poolGrad)
    {
        if (poolGrad.Int(0) != 2 || poolGrad.Int(1) != 2 || poolGrad.Int(2) != 0) return -1;
        var next = c.Nodes[poolGrad.Id + 1];
        if (next.Op != "relu_grad" || next.Args[0] != poolGrad.Id || next.Args[1] != poolGrad.Args[1]) return -1;
        return ReadByOthers(c, poolGrad.Id, next.Id) ? -1 : next.Id;
    }

    /// <summary>
    /// The relu a linear layer applies as it stores its output (<c>Dense.LinearForwardRelu</c>): the next
    /// node, a relu of it, when nothing else reads the linear's value (its backward rules read x and W,
    /// never y); else −1.
    /// </summary>
    private static int LinearRelu(EmitContext c, Node linear)
    {
        var next = c.Nodes[linear.Id + 1];
        if (next.Op != "relu" || next.Args[0] != linear.Id) return -1;
        return ReadByOthers(c, linear.Id, next.Id) ? -1 : next.Id;
    }

    /// <summary>
    /// The relu gradient a linear layer's input gradient applies as it stores dx
    /// (<c>Dense.LinearInputGradRelu</c>): the next node, a relu_grad of exactly that gradient, when
    /// nothing else reads dx; else −1.
    /// </summary>
    private static int LinearInputGradRelu(EmitContext c, Node dx)
    {
        var next = c.Nodes[dx.Id + 1];
        if (next.Op != "relu_grad" || next.Args[0] != dx.Id) return -1;
        return ReadByOthers(c, dx.Id, next.Id) ? -1 : next.Id;
    }

    private static bool ReadByOthers(EmitContext c, int value, int reader) =>
        c.Nodes.Any(m => m.Id != reader && m.Args.Contains(value));
}

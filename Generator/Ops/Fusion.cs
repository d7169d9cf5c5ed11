using System.Linq;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// Pairs of neighbouring nodes one kernel call computes together in the trainer (never in the package:
/// <see cref="EmitContext.Fusable"/> is null there). The second node's value is written by the first
/// node's call, straight into the second node's buffer, and the second node emits no call of its own.
/// Each fusion has the same bits as the two calls, because the fused kernel applies the second step with
/// the same code, block by block, as the first one finishes each block of its result.
/// <list type="bullet">
/// <item>conv2d → relu: the direct convolution stores <c>relu(conv + b)</c> (<see cref="ConvRelu"/>).</item>
/// <item>max_pool2d_grad → relu_grad: the pool gradient applies the relu mask (<see cref="PoolGradRelu"/>).</item>
/// <item>linear → relu: the product applies the ReLU as it finishes each block of y (<see cref="LinearRelu"/>).</item>
/// <item>linear_dx → relu_grad: the product applies the relu mask to each block of dx (<see cref="LinearInputGradRelu"/>).</item>
/// </list>
/// </summary>
internal static class Fusion
{
    /// <summary>
    /// Why <paramref name="n"/> needs no kernel call of its own (the call before it computes it), or null
    /// when it does.
    /// </summary>
    public static string? AbsorbedBy(EmitContext c, Node n)
    {
        if (n.Id == 0) return null;
        var before = c.Nodes[n.Id - 1];
        if (n.Op == "relu" && ConvRelu(c, before) == n.Id) return "stored by the convolution above (fused bias + relu)";
        if (n.Op == "relu_grad" && PoolGradRelu(c, before) == n.Id) return "computed with the max-pool gradient above (fused)";
        if (n.Op == "relu" && LinearRelu(c, before) == n.Id) return "applied by the linear layer above as it stores its output (fused)";
        if (n.Op == "relu_grad" && LinearInputGradRelu(c, before) == n.Id) return "applied by the input gradient above as it stores it (fused)";
        return null;
    }

    /// <summary>
    /// The relu a direct forward convolution applies as it stores its output (<c>ConvEpilogue.BiasRelu</c>):
    /// the node right after the convolution in the same pass, a relu of it, when nothing else reads the
    /// convolution's value (its weight gradient names the node only to find the forward's working memory)
    /// and the relu's buffer is none the convolution reads; else −1.
    /// </summary>
    public static int ConvRelu(EmitContext c, Node conv)
    {
        if (conv.Op != "conv2d" || !Adjacent(c, conv)) return -1;
        if (!ConvKernelChoice.For(c.Shape(conv.Args[0]), conv.Shape, conv).Direct) return -1;
        var next = c.Nodes[conv.Id + 1];
        if (next.Op != "relu" || next.Args[0] != conv.Id) return -1;
        bool otherReaders = c.Nodes.Any(m => m.Id != next.Id && m.Args.Contains(conv.Id)
            && !(m.Op == "conv2d_dw" && m.Args[2] == conv.Id && m.Args[0] != conv.Id && m.Args[1] != conv.Id));
        if (otherReaders) return -1;
        // the relu's buffer may be one the convolution reads (a value that dies at the convolution): then store separately
        return conv.Args.Any(a => a >= 0 && c.Ref(a) == c.Ref(next.Id)) ? -1 : next.Id;
    }

    /// <summary>
    /// The relu gradient a 2×2 max-pool gradient computes with it (<c>MaxPool2x2.BackwardRange</c> with the
    /// relu mask): the node right after the pool gradient in the same pass, a relu_grad of exactly that
    /// gradient whose relu output is the pool's input, the pool gradient read by nothing else and no buffer
    /// shared between what the fused kernel reads and writes; else −1.
    /// </summary>
    public static int PoolGradRelu(EmitContext c, Node poolGrad)
    {
        if (poolGrad.Op != "max_pool2d_grad" || poolGrad.Int(0) != 2 || poolGrad.Int(1) != 2 || poolGrad.Int(2) != 0) return -1;
        if (!Adjacent(c, poolGrad)) return -1;
        var next = c.Nodes[poolGrad.Id + 1];
        if (next.Op != "relu_grad" || next.Args[0] != poolGrad.Id || next.Args[1] != poolGrad.Args[1]) return -1;
        if (ReadByOthers(c, poolGrad.Id, next.Id)) return -1;
        string dx = c.Ref(next.Id);
        return dx == c.Ref(poolGrad.Args[0]) || dx == c.Ref(poolGrad.Args[1]) ? -1 : next.Id;
    }

    /// <summary>
    /// The relu a linear layer applies as it stores its output (<c>Dense.LinearForwardRelu</c>): the node
    /// right after the linear in the same pass, a relu of it, when nothing else reads the linear's value
    /// (its backward rules read x and W, never y) and the relu's buffer is none the product reads; else −1.
    /// </summary>
    public static int LinearRelu(EmitContext c, Node linear)
    {
        if (linear.Op != "linear" || !Adjacent(c, linear)) return -1;
        var next = c.Nodes[linear.Id + 1];
        if (next.Op != "relu" || next.Args[0] != linear.Id) return -1;
        if (ReadByOthers(c, linear.Id, next.Id)) return -1;
        // the relu's buffer may be one the product reads (a value that dies at the linear): then store separately
        return linear.Args.Any(a => a >= 0 && c.Ref(a) == c.Ref(next.Id)) ? -1 : next.Id;
    }

    /// <summary>
    /// The relu gradient a linear layer's input gradient applies as it stores dx
    /// (<c>Dense.LinearInputGradRelu</c>): the node right after the linear_dx in the same pass, a relu_grad
    /// of exactly that gradient, when nothing else reads dx and the relu_grad's buffer is none the product
    /// or the mask reads; else −1.
    /// </summary>
    public static int LinearInputGradRelu(EmitContext c, Node dx)
    {
        if (dx.Op != "linear_dx" || !Adjacent(c, dx)) return -1;
        var next = c.Nodes[dx.Id + 1];
        if (next.Op != "relu_grad" || next.Args[0] != dx.Id) return -1;
        if (ReadByOthers(c, dx.Id, next.Id)) return -1;
        string output = c.Ref(next.Id);
        return output == c.Ref(dx.Args[0]) || output == c.Ref(dx.Args[1]) || output == c.Ref(next.Args[1]) ? -1 : next.Id;
    }

    private static bool Adjacent(EmitContext c, Node n) =>
        n.Id + 1 < c.Nodes.Count && c.Fusable is not null && c.Fusable(n.Id, n.Id + 1);

    private static bool ReadByOthers(EmitContext c, int value, int reader) =>
        c.Nodes.Any(m => m.Id != reader && m.Args.Contains(value));
}

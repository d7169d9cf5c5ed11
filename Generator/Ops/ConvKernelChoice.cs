using System.Linq;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// Which convolution kernels the trainer calls for one conv2d geometry, decided at build time from the
/// static shapes (the runtime's <c>Conv2dDirect.Supports</c> rules, mirrored here because the generator
/// does not reference the runtime).
/// <para>
/// Measured on the cnn case (batch 32, one thread, thread CPU time; docs/benchmarks.md, "Convolution
/// kernels", has the table): the direct kernels beat im2row + SGEMM on every pass of LeNet's
/// convolutions — forward 6.6× (1→6) and 3.5× (6→16), weight gradient 4× and 1.3×, input gradient
/// (scatter form) 3.4× — because those shapes give SGEMM tiny matrices (k = 25 or 150, m = 6 or 16) and
/// im2row writes a 25- or 150-float patch row per output. So the rule is: direct wherever it applies
/// (stride 1, one group, no dilation, outputs ≥ 8 columns, padding ≤ k − 1); im2row + SGEMM otherwise.
/// The forward tile is the one that wastes fewer output channels (P2C6 pads channels to a multiple of 6,
/// P3C4 to a multiple of 4; P3C4 on a tie, it needs fewer loads per FMA): 1→6 takes P2C6 (81 µs vs 104),
/// 6→16 P3C4 (the two are within 2 %). The input gradient takes the scatter form (116 µs on 6→16)
/// over the forward kernel run on the transposed convolution (356 µs: two thirds of its taps hit the
/// zero border of dy).
/// </para>
/// </summary>
internal readonly struct ConvKernelChoice
{
    private ConvKernelChoice(bool direct, string forwardTile)
    {
        Direct = direct; ForwardTile = forwardTile;
    }

    /// <summary>All three passes use <c>Conv2dDirect</c> (else <c>Conv2d</c>: im2row + SGEMM).</summary>
    public bool Direct { get; }

    /// <summary>The <c>ConvTile</c> expression of the forward pass (also names the packed-weight layout the weight gradient skips).</summary>
    public string ForwardTile { get; }

    /// <summary>The choice for a convolution with input shape <paramref name="x"/>, output <paramref name="y"/> and attributes of <paramref name="n"/> (k, stride, padding, dilation, groups).</summary>
    public static ConvKernelChoice For(EquatableArray<int> x, EquatableArray<int> y, Node n)
    {
        int w = x[3], cout = y[1], oh = y[2], ow = y[3];
        int k = n.Int(0), stride = n.Int(1), pad = n.Int(2), dilation = n.Int(3), groups = n.Int(4);
        return new ConvKernelChoice(Supports(groups, dilation, stride, pad, k, w, ow, oh), Tile(cout));
    }

    private static bool Supports(int groups, int dilation, int stride, int pad, int k, int width, int outWidth, int outHeight) =>
        groups == 1 && dilation == 1 && stride == 1 && outWidth >= 8 && outHeight >= 1 && pad >= 0 && pad <= k - 1 && width + 2 * pad >= 8 + k - 1;

    private static string Tile(int channels)
    {
        int c6 = (channels + 5) / 6 * 6, c4 = (channels + 3) / 4 * 4;
        // compare wasted lanes: c6/channels vs c4/channels
        return EmitContext.K + ".ConvTile." + (c6 < c4 ? "P2C6" : "P3C4");
    }

    /// <summary>
    /// The relu a direct forward convolution applies as it stores its output: the node right after the
    /// convolution in the same pass (<see cref="EmitContext.Fusable"/>: the convolution's value is no
    /// output), when it is a relu of it and nothing else reads the convolution's value (its weight
    /// gradient names the node only to find the forward's working memory), else −1.
    /// </summary>
    public static int FusedRelu(EmitContext c, Node conv)
    {
        if (conv.Op != "conv2d" || conv.Id + 1 >= c.Nodes.Count || c.Fusable is null || !c.Fusable(conv.Id, conv.Id + 1)) return -1;
        if (!For(c.Shape(conv.Args[0]), conv.Shape, conv).Direct) return -1;
        var next = c.Nodes[conv.Id + 1];
        if (next.Op != "relu" || next.Args[0] != conv.Id) return -1;
        bool otherReaders = c.Nodes.Any(m => m.Id != next.Id && m.Args.Contains(conv.Id) && !(m.Op == "conv2d_dw" && m.Args[2] == conv.Id && m.Args[0] != conv.Id && m.Args[1] != conv.Id));
        // the relu's buffer may be one the convolution reads (a value that dies at the convolution): then store separately
        bool aliases = conv.Args.Any(a => a >= 0 && c.Ref(a) == c.Ref(next.Id));
        return otherReaders || aliases ? -1 : next.Id;
    }

    /// <summary>
    /// The relu gradient a 2×2 max-pool gradient computes with it (<c>MaxPool2x2.BackwardRange</c> with the
    /// relu mask): the node right after the pool gradient in the same pass, a relu_grad of exactly that
    /// gradient whose relu output is the pool's input, the pool gradient read by nothing else and no buffer
    /// shared between what the fused kernel reads and writes; else −1.
    /// </summary>
    public static int FusedReluGrad(EmitContext c, Node poolGrad)
    {
        if (poolGrad.Op != "max_pool2d_grad" || poolGrad.Int(0) != 2 || poolGrad.Int(1) != 2 || poolGrad.Int(2) != 0) return -1;
        if (poolGrad.Id + 1 >= c.Nodes.Count || c.Fusable is null || !c.Fusable(poolGrad.Id, poolGrad.Id + 1)) return -1;
        var next = c.Nodes[poolGrad.Id + 1];
        if (next.Op != "relu_grad" || next.Args[0] != poolGrad.Id || next.Args[1] != poolGrad.Args[1]) return -1;
        if (c.Nodes.Any(m => m.Id != next.Id && m.Args.Contains(poolGrad.Id))) return -1;
        string dx = c.Ref(next.Id);
        return dx == c.Ref(poolGrad.Args[0]) || dx == c.Ref(poolGrad.Args[1]) ? -1 : next.Id;
    }
}

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
}

using System;

namespace TrainingGen;

/// <summary>
/// A 2-D convolution over NCHW input with PyTorch's layout and defaults: weight
/// <c>[out, in/groups, k, k]</c>, bias <c>[out]</c>, stride 1, padding 0, dilation 1, groups 1,
/// initialised U(±1/√(in/groups·k·k)).
/// </summary>
[Op("conv2d")]
public sealed class Conv2d
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0 || padding < 0 || dilation <= 0 || groups <= 0
            || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d({inChannels}, {outChannels}, {kernelSize}, stride {stride}, padding {padding}, dilation {dilation}, groups {groups}) is invalid.");
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize;
        Stride = stride; Padding = padding; Dilation = dilation; Groups = groups;
        Weight = new Tensor(outChannels, inChannels / groups, kernelSize, kernelSize);
        Bias = bias ? new Tensor(outChannels) : null;
        int fanIn = inChannels / groups * kernelSize * kernelSize;
        ParameterInit.UniformEager(Weight.Data, fanIn);
        if (Bias is not null) ParameterInit.UniformEager(Bias.Data, fanIn);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ArgumentException($"Conv2d({InChannels}, {OutChannels}): input has shape {ShapeUtil.Format(x.Shape)}, expected [n, {InChannels}, h, w].");
        var s = new Kernels.Conv2dShape(x.Shape[0], InChannels, x.Shape[2], x.Shape[3], OutChannels, KernelSize, Stride, Padding, Dilation, Groups);
        var y = new Tensor(x.Shape[0], OutChannels, s.OutHeight, s.OutWidth);
        Kernels.Conv2d.Forward(x.Data, Weight.Data, Bias is null ? default : Bias.Data, y.Data, new float[s.PatchCount], s);
        return y;
    }
}

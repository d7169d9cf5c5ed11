using System;
using System.Numerics.Tensors;

namespace TrainingGen.Kernels;

/// <summary>
/// Kernels of a fully connected layer <c>y = x·Wᵀ + b</c> with <c>x [rows, in]</c>,
/// <c>W [out, in]</c>, <c>b [out]</c>, <c>y [rows, out]</c>, and its three adjoints.
/// Each product is one call of the blocked SGEMM (<see cref="Gemm"/>).
/// </summary>
public static unsafe class Dense
{
    /// <summary><c>y = x·Wᵀ + b</c> (overwrites <paramref name="y"/>; <paramref name="b"/> may be empty).</summary>
    public static void LinearForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        Span<float> y, int rows, int inFeatures, int outFeatures) =>
        Forward(x, w, b, y, rows, inFeatures, outFeatures, default);

    /// <summary>
    /// <c>y = relu(x·Wᵀ + b)</c>: <see cref="LinearForward"/> then <c>TensorPrimitives.Max(y, 0f, y)</c>,
    /// with the ReLU applied to each block of y as the product finishes it (same bits as the two calls,
    /// one pass over y fewer).
    /// </summary>
    public static void LinearForwardRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        Span<float> y, int rows, int inFeatures, int outFeatures) =>
        Forward(x, w, b, y, rows, inFeatures, outFeatures, Gemm.Epilogue.Relu);

    private static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        Span<float> y, int rows, int inFeatures, int outFeatures, in Gemm.Epilogue epilogue)
    {
        Check(x.Length, rows * inFeatures, "x"); Check(w.Length, outFeatures * inFeatures, "weight"); Check(y.Length, rows * outFeatures, "y");
        if (!b.IsEmpty) Check(b.Length, outFeatures, "bias");
        // y starts as b in every row, block by block inside the product (same bits as copying b first)
        Gemm.Sgemm(false, true, rows, outFeatures, inFeatures, 1f, x, inFeatures, w, inFeatures, 0f, y, outFeatures, epilogue, b);
    }

    /// <summary><c>dW = dyᵀ·x</c> (overwrites <paramref name="dw"/>).</summary>
    public static void LinearWeightGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw,
        int rows, int inFeatures, int outFeatures)
    {
        Check(dy.Length, rows * outFeatures, "dy"); Check(x.Length, rows * inFeatures, "x"); Check(dw.Length, outFeatures * inFeatures, "dW");
        Gemm.Sgemm(true, false, outFeatures, inFeatures, rows, 1f, dy, outFeatures, x, inFeatures, 0f, dw, inFeatures);
    }

    /// <summary><c>db = Σ_rows dy</c> (overwrites <paramref name="db"/>).</summary>
    public static void LinearBiasGrad(ReadOnlySpan<float> dy, Span<float> db, int rows, int outFeatures)
    {
        db.Clear();
        for (int i = 0; i < rows; i++) TensorPrimitives.Add(db, dy.Slice(i * outFeatures, outFeatures), db);
    }

    /// <summary><c>dx = dy·W</c> (overwrites <paramref name="dx"/>).</summary>
    public static void LinearInputGrad(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx,
        int rows, int inFeatures, int outFeatures)
    {
        Check(dy.Length, rows * outFeatures, "dy"); Check(w.Length, outFeatures * inFeatures, "weight"); Check(dx.Length, rows * inFeatures, "dx");
        Gemm.Sgemm(false, false, rows, inFeatures, outFeatures, 1f, dy, outFeatures, w, inFeatures, 0f, dx, inFeatures);
    }

    /// <summary>
    /// <c>dx = (dy·W) · [reluOutput &gt; 0]</c>: the input gradient of a linear layer whose input is
    /// <c>reluOutput = relu(a)</c>, carried on through the ReLU to a's gradient.
    /// <see cref="LinearInputGrad"/> then <see cref="Activations.ReluBackward"/>, with the mask applied to
    /// each block of dx as the product finishes it (same bits, one pass over dx fewer).
    /// <paramref name="reluOutput"/> must not overlap <paramref name="dx"/>.
    /// </summary>
    public static void LinearInputGradRelu(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, ReadOnlySpan<float> reluOutput, Span<float> dx,
        int rows, int inFeatures, int outFeatures)
    {
        Check(dy.Length, rows * outFeatures, "dy"); Check(w.Length, outFeatures * inFeatures, "weight"); Check(dx.Length, rows * inFeatures, "dx");
        Check(reluOutput.Length, rows * inFeatures, "relu output");
        if (reluOutput.Overlaps(dx)) throw new ArgumentException("Linear kernel: 'dx' overlaps the relu output it is masked by.");
        fixed (float* mask = reluOutput)
            Gemm.Sgemm(false, false, rows, inFeatures, outFeatures, 1f, dy, outFeatures, w, inFeatures, 0f, dx, inFeatures,
                Gemm.Epilogue.ReluMask(mask, inFeatures));
    }

    private static void Check(int actual, int expected, string what)
    {
        if (actual != expected) throw new ArgumentException($"Linear kernel: '{what}' has {actual} elements, expected {expected}.");
    }
}

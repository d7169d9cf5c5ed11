using System;

namespace TrainingGen.Kernels;

/// <summary>
/// Batch normalisation over NCHW with torch semantics. Training: normalise with the batch
/// statistics (biased variance), keep (μ, 1/σ) per channel for the adjoint, and update the running
/// statistics in place (running ← (1 − m)·running + m·batch, unbiased variance). Eval: normalise with
/// the running statistics.
/// </summary>
public static class BatchNorm
{
    /// <summary>
    /// torch's <c>num_batches_tracked</c> bookkeeping, run before <see cref="Forward"/>: in training
    /// mode the counter (<paramref name="numBatchesTracked"/>[0]) counts this forward pass. Returns
    /// the factor the running statistics move by: <paramref name="momentum"/>, or — for a negative
    /// momentum, which stands for torch's <c>momentum=None</c> — the cumulative average's
    /// 1/num_batches_tracked (0 before the first training pass, when it is not used).
    /// </summary>
    public static float Track(Span<long> numBatchesTracked, float momentum, bool training)
    {
        if (training) numBatchesTracked[0]++;
        if (momentum >= 0) return momentum;
        return numBatchesTracked[0] > 0 ? (float)(1.0 / numBatchesTracked[0]) : 0f;
    }

    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> runningMean, Span<float> runningVar,
        Span<float> y, Span<float> stats, int n, int c, int plane, float eps, float momentum, bool training)
    {
        int count = n * plane;
        for (int ch = 0; ch < c; ch++)
        {
            double mean, var;
            if (training)
            {
                mean = 0;
                for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) mean += x[(i * c + ch) * plane + p];
                mean /= count;
                var = 0;
                for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) { double d = x[(i * c + ch) * plane + p] - mean; var += d * d; }
                var /= count;
                runningMean[ch] = (float)((1 - momentum) * runningMean[ch] + momentum * mean);
                runningVar[ch] = (float)((1 - momentum) * runningVar[ch] + momentum * (count > 1 ? var * count / (count - 1) : var));
            }
            else { mean = runningMean[ch]; var = runningVar[ch]; }
            float rstd = (float)(1 / Math.Sqrt(var + eps));
            stats[2 * ch] = (float)mean; stats[2 * ch + 1] = rstd;
            float scale = w.IsEmpty ? 1f : w[ch], shift = b.IsEmpty ? 0f : b[ch];
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (i * c + ch) * plane + p;
                    y[at] = (float)((x[at] - mean) * rstd) * scale + shift;
                }
        }
    }

    /// <summary>dx = rstd/N·(N·ĝ − Σĝ − x̂·Σĝx̂) per channel, ĝ = g·w (training-mode statistics).</summary>
    public static void InputGrad(ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> stats, Span<float> dx, int n, int c, int plane)
    {
        int count = n * plane;
        for (int ch = 0; ch < c; ch++)
        {
            float mean = stats[2 * ch], rstd = stats[2 * ch + 1], scale = w.IsEmpty ? 1f : w[ch];
            double sg = 0, sgx = 0;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (i * c + ch) * plane + p;
                    double gh = g[at] * scale;
                    sg += gh; sgx += gh * (x[at] - mean) * rstd;
                }
            sg /= count; sgx /= count;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (i * c + ch) * plane + p;
                    double xh = (x[at] - mean) * rstd;
                    dx[at] = (float)(rstd * (g[at] * scale - sg - xh * sgx));
                }
        }
    }

    /// <summary>dw = Σ g·x̂ and db = Σ g per channel (either may be empty).</summary>
    public static void ParamGrads(ReadOnlySpan<float> g, ReadOnlySpan<float> x, ReadOnlySpan<float> stats, Span<float> dw, Span<float> db, int n, int c, int plane)
    {
        for (int ch = 0; ch < c; ch++)
        {
            float mean = stats[2 * ch], rstd = stats[2 * ch + 1];
            // Each adjoint node asks for one of the two sums; compute only that one.
            bool wantW = !dw.IsEmpty, wantB = !db.IsEmpty;
            double sw = 0, sb = 0;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (i * c + ch) * plane + p;
                    if (wantW) sw += g[at] * (x[at] - mean) * rstd;
                    if (wantB) sb += g[at];
                }
            if (!dw.IsEmpty) dw[ch] = (float)sw;
            if (!db.IsEmpty) db[ch] = (float)sb;
        }
    }
}

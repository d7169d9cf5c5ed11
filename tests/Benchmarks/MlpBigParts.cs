using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TrainingGen.Kernels;
using TrainingGen.Optimizers;

namespace TrainingGen.Benchmarks;

/// <summary>
/// <c>--mlp-big-parts [rounds]</c>: the mlp-big step kernel by kernel, in the generated trainer's order and
/// with its fusions, on 1 and 2 threads in the same process (rounds interleaved, median per kernel). Shows
/// which parts of the step scale with the threads and which do not (docs/benchmarks.md): each kernel
/// reads what the previous ones wrote, as in the step, so where that data sits counts.
/// </summary>
public static class MlpBigParts
{
    private const int Batch = 256, Hidden = 1024, Classes = 10, Steps = 12, Warm = 3;

    public static int Run(int rounds)
    {
        var rng = new Random(5);
        float[] R(int n, float scale) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale; return a; }
        const int B = Batch, H = Hidden, C = Classes;
        var x = R(B * H, 1f); var y = new float[B * C];
        for (int i = 0; i < B; i++) y[i * C + i % C] = 1;
        var w1 = R(H * H, 0.03f); var b1 = R(H, 0.03f); var w2 = R(H * H, 0.03f); var b2 = R(H, 0.03f); var w3 = R(C * H, 0.03f); var b3 = R(C, 0.03f);
        var h1 = new float[B * H]; var h2 = new float[B * H]; var logits = new float[B * C]; var probabilities = new float[B * C];
        var dLogits = new float[B * C]; var gw3 = new float[C * H]; var gb3 = new float[C]; var dh2 = new float[B * H];
        var gw2 = new float[H * H]; var gb2 = new float[H]; var dh1 = new float[B * H]; var gw1 = new float[H * H]; var gb1 = new float[H];
        var adam = new Adam(new AdamOptions());
        adam.Bind(new[]
        {
            new TrainerTensor("w1", "w1", new[] { H, H }, true, w1, gw1), new TrainerTensor("b1", "b1", new[] { H }, true, b1, gb1),
            new TrainerTensor("w2", "w2", new[] { H, H }, true, w2, gw2), new TrainerTensor("b2", "b2", new[] { H }, true, b2, gb2),
            new TrainerTensor("w3", "w3", new[] { C, H }, true, w3, gw3), new TrainerTensor("b3", "b3", new[] { C }, true, b3, gb3),
        });
        long step = 0;
        var parts = new (string Name, Action Run)[]
        {
            ("fc1 x·Wᵀ + relu", () => Dense.LinearForwardRelu(x, w1, b1, h1, B, H, H)),
            ("fc2 x·Wᵀ + relu", () => Dense.LinearForwardRelu(h1, w2, b2, h2, B, H, H)),
            ("fc3 x·Wᵀ", () => Dense.LinearForward(h2, w3, b3, logits, B, H, C)),
            ("cross-entropy", () => Softmax.CrossEntropy(logits, y, probabilities, C, 0f)),
            ("cross-entropy grad", () => Softmax.CrossEntropyBackward(1f, probabilities, y, dLogits, C, 0f)),
            ("fc3 dW", () => Dense.LinearWeightGrad(dLogits, h2, gw3, B, H, C)),
            ("fc3 db", () => Dense.LinearBiasGrad(dLogits, gb3, B, C)),
            ("fc3 dx · relu mask", () => Dense.LinearInputGradRelu(dLogits, w3, h2, dh2, B, H, C)),
            ("fc2 dW", () => Dense.LinearWeightGrad(dh2, h1, gw2, B, H, H)),
            ("fc2 db", () => Dense.LinearBiasGrad(dh2, gb2, B, H)),
            ("fc2 dx · relu mask", () => Dense.LinearInputGradRelu(dh2, w2, h1, dh1, B, H, H)),
            ("fc1 dW", () => Dense.LinearWeightGrad(dh1, x, gw1, B, H, H)),
            ("fc1 db", () => Dense.LinearBiasGrad(dh1, gb1, B, H)),
            ("Adam, 2.1 M parameters", () => adam.Step(1e-3f, step++)),
        };
        int[] threads = { 1, 2 };
        var times = threads.Select(_ => parts.Select(_ => new List<double>()).ToArray()).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int t = 0; t < threads.Length; t++)
            {
                using var scope = KernelThreads.Use(threads[t]);
                var ticks = new long[parts.Length];
                for (int s = 0; s < Warm + Steps; s++)
                    for (int i = 0; i < parts.Length; i++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        parts[i].Run();
                        if (s >= Warm) ticks[i] += Stopwatch.GetTimestamp() - t0;
                    }
                for (int i = 0; i < parts.Length; i++) times[t][i].Add(ticks[i] * 1e6 / Stopwatch.Frequency / Steps);
            }
        Console.WriteLine($"mlp-big step kernel by kernel, µs (median of {rounds} rounds of {Steps} steps)");
        Console.WriteLine($"{"part",-24} {"1 thread",9} {"2 threads",9} {"×",6}");
        double one = 0, two = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            double a = Statistics.Median(times[0][i]), b = Statistics.Median(times[1][i]);
            one += a; two += b;
            Console.WriteLine($"{parts[i].Name,-24} {a,9:0.0} {b,9:0.0} {a / b,6:0.00}");
        }
        Console.WriteLine($"{"sum",-24} {one,9:0.0} {two,9:0.0} {one / two,6:0.00}");
        return 0;
    }
}

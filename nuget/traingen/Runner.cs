using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Tool;

/// <summary>
/// <c>traingen run</c>: runs one function through the MIL interpreter. Parameters and optimizer
/// state come from the package's <c>init</c> function (matched by name), the learning rate and
/// step from the training manifest, everything else is seeded standard-normal noise (floats) or
/// zeros (integers, booleans). Flexible dimensions take the manifest's batch size, else 1.
/// </summary>
internal static class Runner
{
    public static int Run(Evaluator ev, string function, int seed, TextWriter o, TextWriter err)
    {
        if (!ev.Functions.Contains(function))
        {
            err.WriteLine($"traingen: the package has no function '{function}'. Functions: {string.Join(", ", ev.Functions)}.");
            return 1;
        }
        var manifest = Manifest.TryRead(ev, out _);
        var spec = ev.Describe(function);

        var initValues = new Dictionary<string, MilTensor>(StringComparer.Ordinal);
        if (function != "init" && ev.Functions.Contains("init") && ev.Describe("init").Inputs.Count == 0)
            foreach (var kv in ev.Run("init", new Dictionary<string, MilTensor>()))
                initValues[kv.Key] = kv.Value;

        var rng = new Random(seed);
        int batch = manifest?.BatchSize > 0 ? manifest.BatchSize : 1;
        var inputs = new Dictionary<string, MilTensor>(StringComparer.Ordinal);
        o.WriteLine($"Running '{function}' (seed {seed})");
        o.WriteLine("  inputs:");
        int width = spec.Inputs.Select(i => i.Name.Length).DefaultIfEmpty(0).Max();
        foreach (var input in spec.Inputs)
        {
            var declared = input.Shape.Select(d => d < 0 ? batch : d).ToArray();
            if (TooLarge(declared, out long elements))
            {
                err.WriteLine($"traingen: input '{input.Name}' of '{function}' has shape {Inspector.FormatShape(declared)} ({elements} elements); " +
                              $"'traingen run' can only make inputs of at most {Array.MaxLength} elements.");
                return 1;
            }
            var shape = declared.Select(d => (int)d).ToArray();
            string source;
            MilTensor value;
            if (initValues.TryGetValue(input.Name, out var fromInit))
            {
                value = fromInit;
                source = "from init";
            }
            else if (manifest is not null && input.Name == manifest.Optimizer.LearningRateInput)
            {
                double lr = manifest.Optimizer.HyperParameters.TryGetValue("lr", out var l) ? l
                    : manifest.Optimizer.HyperParameters.TryGetValue("learning_rate", out l) ? l : 0.001;
                value = Filled(input.DType, shape, () => lr);
                source = $"learning rate {lr:G6}";
            }
            else if (manifest is not null && input.Name == manifest.Optimizer.StepInput)
            {
                value = Filled(input.DType, shape, () => 1);
                source = "step 1";
            }
            else if (input.DType is MilDType.Float16 or MilDType.Float32 or MilDType.Float64)
            {
                value = Filled(input.DType, shape, () => Gaussian(rng));
                source = "random normal";
            }
            else
            {
                value = Filled(input.DType, shape, () => 0);
                source = "zeros";
            }
            inputs[input.Name] = value;
            o.WriteLine($"    {input.Name.PadRight(width)}  {input.DType.TextName()} {Inspector.FormatShape(value.Shape.Select(d => (long)d).ToArray())}  {source}");
        }

        var watch = Stopwatch.StartNew();
        var outputs = ev.Run(function, inputs);
        watch.Stop();
        o.WriteLine($"  outputs ({watch.Elapsed.TotalMilliseconds:F1} ms):");
        int outWidth = outputs.Select(kv => kv.Key.Length).DefaultIfEmpty(0).Max();
        foreach (var kv in outputs)
            o.WriteLine($"    {kv.Key.PadRight(outWidth)}  {kv.Value.DType.TextName()} {Inspector.FormatShape(kv.Value.Shape.Select(d => (long)d).ToArray())}  {Preview(kv.Value)}");
        return 0;
    }

    /// <summary>True when an array of <paramref name="shape"/> cannot exist in .NET; <paramref name="elements"/> saturates at long.MaxValue.</summary>
    private static bool TooLarge(long[] shape, out long elements)
    {
        elements = 1;
        foreach (long d in shape)
            elements = d != 0 && elements > long.MaxValue / d ? long.MaxValue : elements * d;
        return elements > Array.MaxLength;
    }

    private static MilTensor Filled(MilDType dtype, int[] shape, Func<double> next)
    {
        int n = shape.Aggregate(1, (a, d) => checked(a * d));
        return dtype switch
        {
            MilDType.Float16 or MilDType.Float32 or MilDType.Float64 =>
                MilTensor.OfFloats(dtype, shape, Enumerable.Range(0, n).Select(_ => (float)next()).ToArray()),
            MilDType.Int64 => MilTensor.Int64(shape, Enumerable.Range(0, n).Select(_ => (long)next()).ToArray()),
            MilDType.Bool => MilTensor.Bool(shape, Enumerable.Range(0, n).Select(_ => next() != 0).ToArray()),
            MilDType.String => throw new NotSupportedException("String inputs are not supported by 'traingen run'."),
            _ => MilTensor.OfInts(dtype, shape, Enumerable.Range(0, n).Select(_ => (int)next()).ToArray()),
        };
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static string Preview(MilTensor t)
    {
        const int max = 8;
        IEnumerable<string> values =
            t.Floats is not null ? t.Floats.Select(v => v.ToString("G6")) :
            t.Ints is not null ? t.Ints.Select(v => v.ToString()) :
            t.Longs is not null ? t.Longs.Select(v => v.ToString()) :
            t.Bools is not null ? t.Bools.Select(v => v ? "true" : "false") :
            t.Strings ?? Enumerable.Empty<string>();
        var list = values.Take(max + 1).ToList();
        return "[" + string.Join(", ", list.Take(max)) + (list.Count > max ? ", ..." : "") + "]";
    }
}

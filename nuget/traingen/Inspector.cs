using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Tool;

/// <summary><c>traingen inspect</c>: a readable description of a package.</summary>
internal static class Inspector
{
    public static void Write(Evaluator ev, string path, TextWriter o)
    {
        var spec = ev.Spec;
        var manifest = Manifest.TryRead(ev, out string? manifestError);

        o.WriteLine($"Package        {Path.GetFullPath(path)}");
        o.WriteLine($"Specification  version {spec.SpecificationVersion}{Requirement(spec.SpecificationVersion)}, {(spec.IsMultiFunction ? "multi-function" : "single-function")} ML Program, {ev.Functions.Count} function(s), default '{ev.DefaultFunction}'");
        foreach (var (label, value) in new[] { ("Description", spec.ShortDescription), ("Author", spec.Author), ("License", spec.License), ("Version", spec.VersionString) })
            if (!string.IsNullOrEmpty(value)) o.WriteLine($"{label,-15}{value}");

        if (manifest is not null)
        {
            o.WriteLine($"Training       {manifest.Model}: loss {manifest.Loss} (output '{manifest.LossOutput}'), batch size {manifest.BatchSize}, {DescribeOptimizer(manifest.Optimizer)}");
            o.WriteLine($"               manifest {manifest.Format}");
        }
        else if (manifestError is not null)
            o.WriteLine($"Training       manifest present but unreadable: {manifestError}");
        else
            o.WriteLine("Training       no training manifest (metadata key " + TrainingManifest.MetadataKey + ")");

        WriteParameters(ev, manifest, o);

        o.WriteLine();
        o.WriteLine("Functions");
        foreach (var name in ev.Functions)
        {
            var f = ev.Describe(name);
            var program = spec.Program.Functions.FirstOrDefault(p => p.Name == name);
            string programInfo = program is null ? "no program" : $"opset {program.Opset}, {program.Operations.Count} ops";
            o.WriteLine($"  {name}{(name == ev.DefaultFunction ? " (default)" : "")}  [{programInfo}]");
            ManifestFunction? roles = null;
            manifest?.Functions.TryGetValue(name, out roles);
            WriteFeatures(o, "inputs", f.Inputs, roles?.Inputs, program);
            WriteFeatures(o, "states", f.States, null, program);
            WriteFeatures(o, "outputs", f.Outputs, roles?.Outputs, program);
        }

        var other = ev.Metadata.Keys.Where(k => k != TrainingManifest.MetadataKey).ToList();
        if (other.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Metadata");
            foreach (var k in other) o.WriteLine($"  {k} = {Shorten(ev.Metadata[k], 100)}");
        }
    }

    /// <summary>What a specification version asks of the device (coreml-format.md §2.2).</summary>
    private static string Requirement(int specificationVersion) => specificationVersion switch
    {
        6 => " (Core ML 5: iOS 15, macOS 12)",
        7 => " (Core ML 6: iOS 16, macOS 13)",
        8 => " (Core ML 7: iOS 17, macOS 14)",
        9 => " (Core ML 8: iOS 18, macOS 15)",
        10 => " (Core ML 9: iOS 26, macOS 26)",
        _ => "",
    };

    /// <summary>
    /// A feature's shape with its flexible dimensions shown: a shapeRange dimension as <c>1..</c> (or
    /// <c>1..8</c>); an output described without a shape (Core ML's way for a flexible output) with
    /// the program's type, <c>?</c> where unknown, as <c>--mil</c> shows it.
    /// </summary>
    internal static string FormatFeatureShape(FeatureSpec f, MilFunction? program)
    {
        if (f.ShapeRanges is { } ranges && ranges.Length == f.Shape.Length)
            return "[" + string.Join(", ", ranges.Select(r => r.Lower == r.Upper ? r.Lower.ToString() : r.Upper < 0 ? $"{r.Lower}.." : $"{r.Lower}..{r.Upper}")) + "]";
        if (f.Shape.Length == 0 && program is not null && TypeIn(program, f.Name)?.Shape is { Length: > 0 } declared)
            return FormatShape(declared);
        return FormatShape(f.Shape);
    }

    private static MilTensorType? TypeIn(MilFunction program, string name)
    {
        try { return program.TypeOf(name).Tensor; }
        catch (KeyNotFoundException) { return null; }
    }

    private static void WriteFeatures(TextWriter o, string title, List<FeatureSpec> features, List<ManifestRole>? roles, MilFunction? program)
    {
        if (features.Count == 0)
        {
            if (title != "states") o.WriteLine($"    {title}: none");
            return;
        }
        o.WriteLine($"    {title}:");
        int nameWidth = features.Max(f => f.Name.Length);
        var rows = features.Select(f => (f.Name, DType: f.DType.TextName(), Shape: FormatFeatureShape(f, program),
            Role: roles?.FirstOrDefault(r => r.Name == f.Name)?.Role)).ToList();
        int shapeWidth = rows.Max(r => r.Shape.Length);
        foreach (var r in rows)
        {
            string line = $"      {r.Name.PadRight(nameWidth)}  {r.DType,-5}  {r.Shape.PadRight(shapeWidth)}";
            if (r.Role is not null) line += $"  {r.Role}";
            o.WriteLine(line.TrimEnd());
        }
    }

    private static void WriteParameters(Evaluator ev, TrainingManifest? manifest, TextWriter o)
    {
        if (manifest is not null && manifest.Parameters.Count > 0)
        {
            // The dtype of a parameter is the dtype of the function input that carries it.
            var inputTypes = new Dictionary<string, MilDType>(StringComparer.Ordinal);
            foreach (var name in ev.Functions)
                foreach (var input in ev.Describe(name).Inputs)
                    inputTypes.TryAdd(input.Name, input.DType);
            long count = 0, bytes = 0, trainable = 0;
            var rows = new List<string[]>();
            foreach (var p in manifest.Parameters)
            {
                long n = p.Shape.Aggregate(1L, (a, d) => a * d);
                var dtype = inputTypes.TryGetValue(p.Input, out var t) ? t : MilDType.Float32;
                count += n;
                bytes += n * ElementSize(dtype);
                if (p.Trainable) trainable += n;
                var state = p.State.Count == 0 ? "" : "state " + string.Join(", ", p.State.Keys);
                rows.Add(new[] { p.Name, dtype.TextName(), FormatShape(p.Shape.Select(d => (long)d).ToArray()), n.ToString(), p.Trainable ? "trainable" : "frozen", state });
            }
            o.WriteLine($"Parameters     {count} values in {manifest.Parameters.Count} tensors ({trainable} trainable), {bytes} bytes ({FormatBytes(bytes)})");
            WriteTable(o, "  ", rows);
            return;
        }

        // Without a manifest: the weights are the non-scalar floating-point consts of the default function.
        var fn = ev.Spec.Program.Functions.FirstOrDefault(f => f.Name == ev.DefaultFunction);
        var consts = fn?.Operations.Where(op => op.Type == "const")
            .Select(op => op.Attribute("val"))
            .Where(v => v is not null && v.Rank > 0 && v.Floats is not null)
            .Select(v => v!)
            .ToList() ?? new List<MilTensor>();
        long values = consts.Sum(c => (long)c.Count);
        long total = consts.Sum(c => (long)c.Count * ElementSize(c.DType));
        o.WriteLine($"Parameters     {values} values in {consts.Count} weight consts of '{ev.DefaultFunction}', {total} bytes ({FormatBytes(total)})");
    }

    private static void WriteTable(TextWriter o, string indent, List<string[]> rows)
    {
        if (rows.Count == 0) return;
        int columns = rows.Max(r => r.Length);
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        foreach (var r in rows)
            o.WriteLine((indent + string.Join("  ", r.Select((cell, c) => cell.PadRight(widths[c])))).TrimEnd());
    }

    private static string DescribeOptimizer(ManifestOptimizer opt)
    {
        var parts = opt.HyperParameters.Select(kv => $"{kv.Key}={kv.Value:G6}")
            .Concat(opt.Flags.Select(kv => $"{kv.Key}={(kv.Value ? "true" : "false")}"));
        return $"optimizer {opt.Type} ({string.Join(", ", parts)})";
    }

    internal static string FormatShape(long[] shape) =>
        "[" + string.Join(", ", shape.Select(d => d < 0 ? "?" : d.ToString())) + "]";

    internal static int ElementSize(MilDType t) => t switch
    {
        MilDType.Bool or MilDType.Int8 or MilDType.UInt8 => 1,
        MilDType.Float16 or MilDType.Int16 => 2,
        MilDType.Float64 or MilDType.Int64 => 8,
        _ => 4,
    };

    private static string FormatBytes(long bytes) =>
        bytes < 1024 ? $"{bytes} B" : bytes < 1024 * 1024 ? $"{bytes / 1024.0:F1} KiB" : $"{bytes / (1024.0 * 1024):F1} MiB";

    private static string Shorten(string s, int max)
    {
        s = s.Replace('\n', ' ').Replace('\r', ' ');
        return s.Length <= max ? s : s.Substring(0, max - 3) + "...";
    }
}

/// <summary>The training manifest of a package, if it has one.</summary>
internal static class Manifest
{
    public static TrainingManifest? TryRead(Evaluator ev, out string? error)
    {
        error = null;
        if (!ev.Metadata.TryGetValue(TrainingManifest.MetadataKey, out var json)) return null;
        try
        {
            return TrainingManifest.FromJson(json);
        }
        catch (JsonException e)
        {
            error = e.Message;
            return null;
        }
    }
}

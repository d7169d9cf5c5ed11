using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace TrainingGen;

/// <summary>A safetensors file that cannot be read or does not fit the trainer; the message names the tensor and the problem.</summary>
public sealed class SafeTensorsException : TrainingFileException
{
    public SafeTensorsException(string path, string? tensor, string problem) : base(path, tensor, problem) { }
}

/// <summary>
/// One tensor of a safetensors file. <see cref="DType"/> is the stored type: F32, F16, BF16 or F64
/// (floating point; <see cref="Values"/> holds them converted to fp32 and <see cref="Integers"/> is
/// null), or I64, I32, U8 or BOOL (integer; <see cref="Integers"/> holds the exact values, BOOL as
/// 0/1, and <see cref="Values"/> the same values as fp32, exact up to 2²⁴ in magnitude). Build one
/// with <see cref="Float32"/>, <see cref="Int64"/>, <see cref="Int32"/>, <see cref="UInt8"/> or
/// <see cref="Bool"/> to write it with <see cref="SafeTensors.Write(string, IEnumerable{SafeTensor}, IReadOnlyDictionary{string, string}?)"/>.
/// </summary>
public sealed record SafeTensor(string Name, string DType, int[] Shape, float[] Values)
{
    /// <summary>The exact values of an integer tensor (I64, I32, U8, BOOL as 0/1); null for a floating-point one.</summary>
    public long[]? Integers { get; init; }

    /// <summary>True for I64, I32, U8 and BOOL tensors (<see cref="Integers"/> is set).</summary>
    public bool IsInteger => Integers is not null;

    /// <summary>An F32 tensor.</summary>
    public static SafeTensor Float32(string name, int[] shape, float[] values) => new(name, "F32", shape, values);

    /// <summary>An I64 tensor (torch.int64, e.g. BatchNorm's <c>num_batches_tracked</c> or class labels).</summary>
    public static SafeTensor Int64(string name, int[] shape, long[] values) => Integer(name, "I64", shape, values);

    /// <summary>An I32 tensor; every value must fit in 32 bits when it is written.</summary>
    public static SafeTensor Int32(string name, int[] shape, int[] values) =>
        Integer(name, "I32", shape, Array.ConvertAll(values ?? throw new ArgumentNullException(nameof(values)), v => (long)v));

    /// <summary>A U8 tensor (torch.uint8).</summary>
    public static SafeTensor UInt8(string name, int[] shape, byte[] values) =>
        Integer(name, "U8", shape, Array.ConvertAll(values ?? throw new ArgumentNullException(nameof(values)), v => (long)v));

    /// <summary>A BOOL tensor (torch.bool, one byte per element, 0 or 1).</summary>
    public static SafeTensor Bool(string name, int[] shape, bool[] values) =>
        Integer(name, "BOOL", shape, Array.ConvertAll(values ?? throw new ArgumentNullException(nameof(values)), v => v ? 1L : 0L));

    private static SafeTensor Integer(string name, string dtype, int[] shape, long[] values) =>
        new(name, dtype, shape, Array.ConvertAll(values ?? throw new ArgumentNullException(nameof(values)), v => (float)v)) { Integers = values };
}

/// <summary>The tensors (in file order) and <c>__metadata__</c> of a safetensors file.</summary>
public sealed record SafeTensorsFile(IReadOnlyList<SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    public SafeTensor? Find(string name) => Tensors.FirstOrDefault(t => t.Name == name);
}

/// <summary>How <see cref="SafeTensors.Import"/> matches file tensors to trainer parameters.</summary>
public sealed class SafeTensorsImportOptions
{
    /// <summary>Trainer parameters absent from the file keep their values instead of being an error (torch's <c>strict=False</c>).</summary>
    public bool AllowMissing { get; init; }
    /// <summary>File tensors the trainer does not have are skipped instead of being an error (torch's <c>strict=False</c>).</summary>
    public bool IgnoreUnexpected { get; init; }
    /// <summary>Maps a file name to a trainer parameter name (e.g. strip a <c>module.</c> prefix); null skips the tensor.</summary>
    public Func<string, string?>? MapName { get; init; }
    /// <summary>A tensor to be loaded that holds NaN or ±∞ is an error (naming the tensor and the element) instead of being loaded.</summary>
    public bool RejectNonFinite { get; init; }
}

/// <summary>What an import did.</summary>
public sealed record SafeTensorsImportReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON — <c>{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"key": "value"}}</c> — then the raw little-endian tensor data, offsets
/// relative to the first byte after the header. Parameters are named by their PyTorch state_dict
/// names, so <c>torch.save</c>'s counterpart <c>safetensors.torch.save_file(model.state_dict(), path)</c>
/// loads by name. F32, F16, BF16 and F64 (as fp32) and I64, I32, U8 and BOOL (as exact int64, see
/// <see cref="SafeTensor"/>) are read and written; a trainer's parameters are exported as F32 and its
/// integer buffers (BatchNorm's <c>num_batches_tracked</c>) as I64, as torch stores them.
/// <para>Writes are atomic and replace only an existing safetensors file; tensors whose
/// <c>data_offsets</c> overlap make a file invalid.</para>
/// </summary>
public static class SafeTensors
{
    private const long MaxHeader = 100L << 20;

    /// <summary>
    /// Writes F32 tensors (in the given order) to <paramref name="path"/>, atomically. The header is padded
    /// with spaces to 8 bytes. An existing file there is replaced only if it is a safetensors file.
    /// Values are written as they are, NaN included (see <see cref="Export"/> for the checked export of a trainer).
    /// </summary>
    /// <exception cref="OverwriteRefusedException"><paramref name="path"/> exists and is not a safetensors file (or is a directory).</exception>
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, float[] Values)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, (tensors ?? throw new ArgumentNullException(nameof(tensors))).Select(t => SafeTensor.Float32(t.Name, t.Shape, t.Values)), metadata);

    /// <summary>
    /// Writes tensors of any supported dtype (in the given order) to <paramref name="path"/>,
    /// atomically: floating-point ones (F32, F16, BF16, F64) from <see cref="SafeTensor.Values"/>,
    /// integer ones (I64, I32, U8, BOOL) from <see cref="SafeTensor.Integers"/>, little-endian. The
    /// header is padded with spaces to 8 bytes; an existing file there is replaced only if it is a
    /// safetensors file.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty, reserved or repeated; a value count does not fit the shape;
    /// an integer does not fit its dtype (e.g. 300 in U8), naming the tensor and the element.</exception>
    /// <exception cref="OverwriteRefusedException"><paramref name="path"/> exists and is not a safetensors file (or is a directory).</exception>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = (tensors ?? throw new ArgumentNullException(nameof(tensors))).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            string name = t.Name;
            if (string.IsNullOrEmpty(name) || name == "__metadata__") throw new ArgumentException($"Invalid tensor name '{name}'.");
            if (!names.Add(name)) throw new ArgumentException($"Tensor '{name}' appears twice.");
            int size = SafeTensorDTypes.Size(t.DType);
            if (size == 0) throw new ArgumentException($"Tensor '{name}': unsupported dtype {t.DType} ({SafeTensorDTypes.Supported} can be written).");
            bool integer = SafeTensorDTypes.IsInteger(t.DType);
            if (integer && t.Integers is null) throw new ArgumentException($"Tensor '{name}' has dtype {t.DType} but no Integers.");
            int count = integer ? t.Integers!.Length : t.Values.Length;
            if (count != ShapeUtil.Count(t.Shape))
                throw new ArgumentException($"Tensor '{name}' has {count} values but its shape {ShapeUtil.Format(t.Shape)} needs {ShapeUtil.Count(t.Shape)}.");
            if (integer && SafeTensorDTypes.FirstOutOfRange(t.DType, t.Integers!) is int bad and >= 0)
                throw new ArgumentException($"Tensor '{name}': element {bad} is {t.Integers![bad]}, which {t.DType} cannot hold.");
        }
        var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms))
        {
            j.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                j.WriteStartObject("__metadata__");
                foreach (var kv in metadata) j.WriteString(kv.Key, kv.Value);
                j.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                long bytes = (long)SafeTensorDTypes.Size(t.DType) * ShapeUtil.Count(t.Shape);
                j.WriteStartObject(t.Name);
                j.WriteString("dtype", t.DType);
                j.WriteStartArray("shape"); foreach (var d in t.Shape) j.WriteNumberValue(d); j.WriteEndArray();
                j.WriteStartArray("data_offsets"); j.WriteNumberValue(offset); j.WriteNumberValue(offset + bytes); j.WriteEndArray();
                j.WriteEndObject();
                offset += bytes;
            }
            j.WriteEndObject();
        }
        var header = ms.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            s.Write(len);
            s.Write(header);
            for (int i = header.Length; i < padded; i++) s.WriteByte((byte)' ');
            foreach (var t in list) s.Write(SafeTensorDTypes.Encode(t));
        }, WhyNotReplaceable);
    }

    // Only a safetensors file is ever replaced: an 8-byte header length that fits the file, then a JSON object.
    private static string? WhyNotReplaceable(string existing)
    {
        var prefix = AtomicFile.ReadPrefix(existing, 9);
        long size = new FileInfo(existing).Length;
        if (prefix.Length == 9 && prefix[8] == (byte)'{')
        {
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (n >= 2 && n <= (ulong)(size - 8)) return null;
        }
        return "it is not a safetensors file (it does not start with a header length and a JSON header)";
    }

    /// <summary>
    /// Exports every parameter of <paramref name="trainer"/> by its state_dict name as F32, then its
    /// integer buffers (BatchNorm's <c>num_batches_tracked</c>) as I64 (metadata <c>format: pt</c>).
    /// Parameters holding NaN or ±∞ are refused unless <paramref name="allowNonFinite"/>.
    /// </summary>
    /// <exception cref="NonFiniteValueException">A parameter holds NaN or ±∞; nothing was written.</exception>
    public static void Export(string path, ITrainer trainer, IReadOnlyDictionary<string, string>? metadata = null, bool allowNonFinite = false)
    {
        if (trainer is null) throw new ArgumentNullException(nameof(trainer));
        NonFinite.ThrowIfAny(trainer.Parameters, path, allowNonFinite);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
        if (metadata is not null) foreach (var kv in metadata) meta[kv.Key] = kv.Value;
        Write(path, trainer.Parameters.Select(p => SafeTensor.Float32(p.Name, p.Shape, p.Value))
            .Concat(trainer.IntegerBuffers.Select(c => SafeTensor.Int64(c.Name, c.Shape, c.Value))), meta);
    }

    /// <summary>
    /// Reads a safetensors file: floating-point tensors as fp32, integer tensors exactly (and as fp32);
    /// an unsupported dtype is an error naming the tensor.
    /// </summary>
    public static SafeTensorsFile Read(string path) => ReadCore(path, _ => true, out _);

    /// <summary>
    /// Loads parameters and integer buffers of <paramref name="trainer"/> by state_dict name. By
    /// default every trainer parameter and buffer must be in the file and every file tensor must be
    /// one of them, each with the same shape; see <see cref="SafeTensorsImportOptions"/> to relax that.
    /// A parameter takes a floating-point tensor (F32, F16, BF16, F64), an integer buffer an integer
    /// one (I64, I32, U8). Errors name the tensor and the problem (missing, unexpected, shape or dtype
    /// mismatch, unsupported dtype, bad offsets); when a file name and a trainer name differ only by
    /// '_' (<c>fc1.weight</c> and <c>fc_1.weight</c>) the message says which <c>[StateDictName]</c>
    /// to add. The trainer is changed only when the whole import is valid.
    /// </summary>
    public static SafeTensorsImportReport Import(string path, ITrainer trainer, SafeTensorsImportOptions? options = null)
    {
        if (trainer is null) throw new ArgumentNullException(nameof(trainer));
        options ??= new SafeTensorsImportOptions();
        var byName = trainer.Parameters.ToDictionary(p => p.Name, p => (Float: p, Int: (TrainerIntegerBuffer?)null), StringComparer.Ordinal);
        foreach (var c in trainer.IntegerBuffers) byName.Add(c.Name, (null!, c));
        string? Target(string fileName) => options.MapName is null ? fileName : options.MapName(fileName);
        // Only tensors that will be loaded need a supported dtype (a file may carry tensors of other kinds).
        var file = ReadCore(path, n => Target(n) is string t && byName.ContainsKey(t), out var skipped);
        var loaded = new List<string>();
        var unexpected = new List<string>();
        var plan = new List<Action>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        SafeTensorsException Unexpected(string name) => new(path, name, "unexpected: the file has this tensor but the trainer has no such parameter" +
            (StateDictNameHint.For(name, byName.Keys) ?? $" (parameters: {string.Join(", ", byName.Keys)})."));
        foreach (var name in skipped)
        {
            if (Target(name) is null) continue;
            if (!options.IgnoreUnexpected) throw Unexpected(name);
            unexpected.Add(name);
        }
        foreach (var t in file.Tensors)
        {
            string? target = Target(t.Name);
            if (target is null) continue;
            if (!byName.TryGetValue(target, out var dst))
            {
                if (!options.IgnoreUnexpected) throw Unexpected(t.Name);
                unexpected.Add(t.Name);
                continue;
            }
            if (!seen.Add(target)) throw new SafeTensorsException(path, t.Name, $"maps to parameter '{target}', which another tensor of the file already fills.");
            int[] shape = dst.Int?.Shape ?? dst.Float.Shape;
            if (!t.Shape.AsSpan().SequenceEqual(shape))
                throw new SafeTensorsException(path, t.Name, $"shape mismatch: {ShapeUtil.Format(t.Shape)} in the file, {ShapeUtil.Format(shape)} in the trainer ('{target}').");
            if (dst.Int is { } counter)
            {
                if (t.Integers is not { } ints || t.DType == "BOOL")
                    throw new SafeTensorsException(path, t.Name, $"dtype mismatch: {t.DType} in the file, but the trainer's '{target}' is an integer buffer (int64; I64, I32 or U8 can be loaded).");
                plan.Add(() => ints.AsSpan().CopyTo(counter.Value));
            }
            else
            {
                if (t.IsInteger)
                    throw new SafeTensorsException(path, t.Name, $"dtype mismatch: {t.DType} in the file, but the trainer's '{target}' is a float32 parameter (F32, F16, BF16 or F64 can be loaded).");
                if (options.RejectNonFinite && NonFinite.FirstIndex(t.Values) is int bad and >= 0)
                    throw new SafeTensorsException(path, t.Name, $"holds {t.Values[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {bad} (RejectNonFinite is set).");
                var values = dst.Float.Value;
                plan.Add(() => t.Values.AsSpan().CopyTo(values));
            }
            loaded.Add(target);
        }
        var missing = byName.Keys.Where(n => !seen.Contains(n)).ToList();
        if (missing.Count > 0 && !options.AllowMissing)
            throw new SafeTensorsException(path, missing[0], "missing: the trainer has this parameter but the file does not" +
                (missing.Count > 1 ? $" (nor {string.Join(", ", missing.Skip(1))})." : ".") +
                (StateDictNameHint.For(missing[0], file.Tensors.Select(t => t.Name).Concat(skipped), fileSide: false) ?? ""));
        foreach (var apply in plan) apply();
        return new SafeTensorsImportReport(loaded, missing, unexpected);
    }

    // Two tensors sharing bytes would alias each other's values: the file is invalid (as in the
    // reference implementation), whichever tensors are being loaded.
    private static void CheckDisjoint(string path, List<(long Begin, long End, string Name)> ranges)
    {
        ranges.RemoveAll(r => r.End == r.Begin);
        ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < ranges.Count; i++)
            if (ranges[i].Begin < ranges[i - 1].End)
                throw new SafeTensorsException(path, ranges[i].Name,
                    $"its data_offsets [{ranges[i].Begin}, {ranges[i].End}] overlap those of '{ranges[i - 1].Name}' [{ranges[i - 1].Begin}, {ranges[i - 1].End}].");
    }

    private static SafeTensorsFile ReadCore(string path, Func<string, bool> decode, out List<string> skipped)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        skipped = new List<string>();
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new SafeTensorsException(path, null, "the file does not exist."); }
        if (bytes.Length < 8) throw new SafeTensorsException(path, null, $"truncated: {bytes.Length} bytes, shorter than the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeader || (long)n > bytes.Length - 8)
            throw new SafeTensorsException(path, null, $"corrupt or truncated: the header length {n} exceeds the {bytes.Length - 8} bytes after it.");
        int dataStart = 8 + (int)n;
        long dataLength = bytes.Length - dataStart;
        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n)); }
        catch (JsonException e) { throw new SafeTensorsException(path, null, $"the JSON header is invalid: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SafeTensorsException(path, null, "the JSON header is not an object.");
            var tensors = new List<SafeTensor>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new SafeTensorsException(path, null, "__metadata__ is not an object.");
                    foreach (var m in prop.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                string name = prop.Name;
                var e = prop.Value;
                if (e.ValueKind != JsonValueKind.Object
                    || !e.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String
                    || !e.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array
                    || !e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
                    throw new SafeTensorsException(path, name, "the header entry needs \"dtype\", \"shape\" and a two-element \"data_offsets\".");
                var shape = new int[shapeEl.GetArrayLength()];
                long count = 1;
                int k = 0;
                foreach (var d in shapeEl.EnumerateArray())
                {
                    if (!d.TryGetInt32(out var v) || v < 0) throw new SafeTensorsException(path, name, $"invalid dimension {d.GetRawText()} in its shape.");
                    shape[k++] = v; count *= v;
                }
                if (!offEl[0].TryGetInt64(out long begin) || !offEl[1].TryGetInt64(out long end) || begin < 0 || end < begin)
                    throw new SafeTensorsException(path, name, $"invalid data_offsets {offEl.GetRawText()}.");
                if (end > dataLength)
                    throw new SafeTensorsException(path, name, $"truncated: its data_offsets end at {end} but the data section has only {dataLength} bytes.");
                string dtype = dtypeEl.GetString()!;
                ranges.Add((begin, end, name));
                if (!decode(name)) { skipped.Add(name); continue; }
                int size = SafeTensorDTypes.Size(dtype);
                if (size == 0)
                    throw new SafeTensorsException(path, name, $"unsupported dtype {dtype} ({SafeTensorDTypes.Supported} can be read).");
                if (end - begin != count * size)
                    throw new SafeTensorsException(path, name, $"its data_offsets span {end - begin} bytes but shape {ShapeUtil.Format(shape)} of {dtype} needs {count * size}.");
                var (values, integers) = SafeTensorDTypes.Decode(dtype, bytes.AsSpan(dataStart + (int)begin, (int)(end - begin)), count, out int badBool);
                if (badBool >= 0)
                    throw new SafeTensorsException(path, name, $"corrupt: BOOL element {badBool} is the byte {integers![badBool]} (only 0 and 1 are booleans).");
                tensors.Add(new SafeTensor(name, dtype, shape, values) { Integers = integers });
            }
            CheckDisjoint(path, ranges);
            return new SafeTensorsFile(tensors, metadata);
        }
    }
}

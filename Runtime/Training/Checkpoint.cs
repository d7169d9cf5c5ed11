using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace TrainingGen;

/// <summary>A checkpoint or safetensors file that cannot be used; the message names the file, the tensor (if any) and the problem.</summary>
public class TrainingFileException : IOException
{
    public TrainingFileException(string path, string? tensor, string problem)
        : base($"'{path}': " + (tensor is null ? "" : $"tensor '{tensor}': ") + problem)
    {
        FilePath = path; TensorName = tensor; Problem = problem;
    }
    /// <summary>The file.</summary>
    public string FilePath { get; }
    /// <summary>The tensor concerned, or null for a file-level problem.</summary>
    public string? TensorName { get; }
    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}

/// <summary>A checkpoint that cannot be loaded into a trainer (corrupt, truncated or mismatched).</summary>
public sealed class CheckpointException : TrainingFileException
{
    public CheckpointException(string path, string? tensor, string problem) : base(path, tensor, problem) { }
}

/// <summary>
/// One tensor stored in a checkpoint: a parameter or optimizer state (fp32 <see cref="Values"/>), or
/// (from version 3) an integer buffer such as <c>num_batches_tracked</c> (<see cref="Integers"/>, int64;
/// <see cref="Values"/> then holds the same numbers as fp32).
/// </summary>
public sealed record CheckpointTensor(string Name, bool IsOptimizerState, int[] Shape, float[] Values)
{
    /// <summary>The values of an integer buffer; null for a parameter or optimizer state.</summary>
    public long[]? Integers { get; init; }
}

/// <summary>The saved state of one of the trainer's random generators (<see cref="ITrainer.RandomStreams"/>).</summary>
public sealed record CheckpointRandomStream(string Name, ulong State);

/// <summary>The decoded contents of a checkpoint file. <see cref="RandomStreams"/> is empty for a version-1 file, which did not save them.</summary>
public sealed record CheckpointContents(int Version, string OptimizerKind, long StepCount, float LearningRate,
    TrainingState? State, IReadOnlyList<CheckpointTensor> Tensors, IReadOnlyList<CheckpointRandomStream> RandomStreams);

/// <summary>
/// Training checkpoints: parameters, optimizer state, the step count, the learning rate and
/// (optionally) the <see cref="TrainingState"/> of a <see cref="Trainer.Fit"/> run, and the state of
/// every random generator of the trainer (dropout masks), in one file — so a resumed run is
/// bit-identical to an uninterrupted one. (The shuffle order needs no saved stream: it is a
/// function of the shuffle seed and the epoch, both in the <see cref="TrainingState"/>.)
/// <para>Format (version 2, little-endian):</para>
/// <code>
/// "TGCKPT\r\n"  8-byte magic
/// u32 version (2) · u32 reserved (0)
/// i64 step count · f32 learning rate · string optimizer kind          (string = u16 byte length + UTF-8)
/// u8 has-state, then if 1: i32 epoch · i32 batch in epoch · i64 schedule position · f64 base lr ·
///    u8 has-seed · u64 seed · f64 epoch loss sum · i32 epoch steps · f64 best loss · i32 best epoch ·
///    i32 epochs without improvement · u8 stopped
/// u32 random stream count, then per stream: string name · u64 generator state     (not in version 1)
/// u32 tensor count, then per tensor: string name (state_dict name; optimizer state as
///    <c>{param}.{slot}</c>) · u8 kind (0 parameter, 1 optimizer state, 2 integer buffer — not in
///    versions 1 and 2) · u8 rank · i32 dims[rank] · f32 values (i64 values for kind 2)
/// 32-byte SHA-256 of everything before it
/// </code>
/// Version 1 files (no random streams) are still read; loading one leaves the trainer's random
/// generators where they are. Versions 1 and 2 have no integer buffers (BatchNorm's
/// <c>num_batches_tracked</c>); loading one leaves the trainer's counters where they are.
/// <para>Writes are atomic (temporary file, then a move over the destination) and replace only an
/// existing checkpoint (a file starting with the magic); a non-finite parameter or optimizer state
/// is refused unless the caller opts in, so a diverged run never overwrites a good checkpoint.
/// Loading checks everything — magic, version, structure, checksum, names, shapes, optimizer,
/// random streams — before it changes the trainer, so a bad file leaves the trainer as it was.</para>
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 3;
    private const int FirstVersionWithRandomStreams = 2;
    private const int FirstVersionWithIntegerBuffers = 3;
    private const byte IntegerBufferKind = 2;
    private static readonly byte[] Magic = "TGCKPT\r\n"u8.ToArray();
    private const int HashSize = 32;

    /// <summary>
    /// Saves the trainer (and <paramref name="state"/>, if given) to <paramref name="path"/>, atomically.
    /// An existing file there is replaced only if it is a checkpoint.
    /// </summary>
    /// <exception cref="NonFiniteValueException">A parameter or optimizer state holds NaN or ±∞ and <paramref name="allowNonFinite"/> is false; nothing was written.</exception>
    /// <exception cref="OverwriteRefusedException"><paramref name="path"/> exists and is not a checkpoint (or is a directory).</exception>
    public static void Save(string path, ITrainer trainer, TrainingState? state = null, bool allowNonFinite = false)
    {
        if (trainer is null) throw new ArgumentNullException(nameof(trainer));
        NonFinite.ThrowIfAny(trainer.Parameters, path, allowNonFinite);
        NonFinite.ThrowIfAny(trainer.OptimizerState, path, allowNonFinite, "optimizer state");
        var streams = trainer.RandomStreams;
        AtomicFile.Write(path, stream =>
        {
            using var hashing = new HashingStream(stream);
            using (var w = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write((uint)FormatVersion);
                w.Write(0u);
                w.Write(trainer.StepCount);
                w.Write(trainer.LearningRate);
                WriteString(w, trainer.Optimizer.Kind);
                w.Write((byte)(state is null ? 0 : 1));
                if (state is not null)
                {
                    w.Write(state.Epoch); w.Write(state.BatchInEpoch); w.Write(state.SchedulePosition); w.Write(state.BaseLearningRate);
                    w.Write((byte)(state.ShuffleSeed.HasValue ? 1 : 0)); w.Write(state.ShuffleSeed ?? 0UL);
                    w.Write(state.EpochLossSum); w.Write(state.EpochSteps); w.Write(state.BestLoss); w.Write(state.BestEpoch);
                    w.Write(state.EpochsWithoutImprovement); w.Write((byte)(state.Stopped ? 1 : 0));
                }
                w.Write((uint)streams.Count);
                foreach (var r in streams)
                {
                    WriteString(w, r.Name);
                    w.Write(r.Generator.State);
                }
                var tensors = trainer.Parameters.Select(p => (p, 0)).Concat(trainer.OptimizerState.Select(s => (s, 1))).ToList();
                var counters = trainer.IntegerBuffers;
                w.Write((uint)(tensors.Count + counters.Count));
                foreach (var (t, kind) in tensors)
                {
                    if (t.Value.Length != ShapeUtil.Count(t.Shape))
                        throw new InvalidOperationException($"Tensor '{t.Name}' holds {t.Value.Length} values but its shape {ShapeUtil.Format(t.Shape)} needs {ShapeUtil.Count(t.Shape)}.");
                    WriteString(w, t.Name);
                    w.Write((byte)kind);
                    w.Write(checked((byte)t.Shape.Length));
                    foreach (var d in t.Shape) w.Write(d);
                    var bytes = new byte[t.Value.Length * sizeof(float)];
                    for (int i = 0; i < t.Value.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), t.Value[i]);
                    w.Write(bytes);
                }
                foreach (var c in counters)
                {
                    if (c.Value.Length != ShapeUtil.Count(c.Shape))
                        throw new InvalidOperationException($"Integer buffer '{c.Name}' holds {c.Value.Length} values but its shape {ShapeUtil.Format(c.Shape)} needs {ShapeUtil.Count(c.Shape)}.");
                    WriteString(w, c.Name);
                    w.Write(IntegerBufferKind);
                    w.Write(checked((byte)c.Shape.Length));
                    foreach (var d in c.Shape) w.Write(d);
                    foreach (var v in c.Value) w.Write(v);
                }
            }
            stream.Write(hashing.Finish());
        }, WhyNotReplaceable);
    }

    // Only a checkpoint is ever replaced by a checkpoint.
    private static string? WhyNotReplaceable(string existing) =>
        AtomicFile.ReadPrefix(existing, Magic.Length).AsSpan().SequenceEqual(Magic)
            ? null
            : "it is not a TrainingGen checkpoint (it does not start with the checkpoint magic bytes)";

    /// <summary>Reads and verifies a checkpoint file (structure and checksum) without a trainer.</summary>
    public static CheckpointContents Read(string path)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new CheckpointException(path, null, "the file does not exist."); }
        return Parse(bytes, path);
    }

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="trainer"/>: parameters, optimizer state,
    /// integer buffers, step count and learning rate. Returns the saved <see cref="TrainingState"/> (null if none).
    /// Throws <see cref="CheckpointException"/> — naming the tensor and the problem — for a corrupt,
    /// truncated or mismatched file; the trainer is modified only when the whole file is valid.
    /// </summary>
    public static TrainingState? Load(string path, ITrainer trainer)
    {
        if (trainer is null) throw new ArgumentNullException(nameof(trainer));
        var c = Read(path);
        if (c.OptimizerKind != trainer.Optimizer.Kind)
            throw new CheckpointException(path, null, $"it was saved with optimizer '{c.OptimizerKind}' but the trainer uses '{trainer.Optimizer.Kind}'.");
        var expected = trainer.Parameters.Select(p => (p, false)).Concat(trainer.OptimizerState.Select(s => (s, true))).ToList();
        var byName = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        foreach (var t in c.Tensors) byName[t.Name] = t;
        var plan = new List<(float[] Destination, float[] Source)>();
        foreach (var (t, isState) in expected)
        {
            string what = isState ? "optimizer state" : "parameter";
            if (!byName.TryGetValue(t.Name, out var saved))
                throw new CheckpointException(path, t.Name, $"missing: the trainer has this {what} but the checkpoint does not.");
            if (saved.Integers is not null || saved.IsOptimizerState != isState)
                throw new CheckpointException(path, t.Name, $"is stored as {(saved.Integers is not null ? "an integer buffer" : saved.IsOptimizerState ? "optimizer state" : "a parameter")} but the trainer has it as {what}.");
            if (!saved.Shape.AsSpan().SequenceEqual(t.Shape))
                throw new CheckpointException(path, t.Name, $"shape mismatch: {ShapeUtil.Format(saved.Shape)} in the checkpoint, {ShapeUtil.Format(t.Shape)} in the trainer.");
            plan.Add((t.Value, saved.Values));
            byName.Remove(t.Name);
        }
        var counterPlan = new List<(long[] Destination, long[] Source)>();
        if (c.Version >= FirstVersionWithIntegerBuffers)
            foreach (var t in trainer.IntegerBuffers)
            {
                if (!byName.TryGetValue(t.Name, out var saved))
                    throw new CheckpointException(path, t.Name, "missing: the trainer has this integer buffer but the checkpoint does not.");
                if (saved.Integers is null)
                    throw new CheckpointException(path, t.Name, $"is stored as {(saved.IsOptimizerState ? "optimizer state" : "a parameter")} but the trainer has it as an integer buffer.");
                if (!saved.Shape.AsSpan().SequenceEqual(t.Shape))
                    throw new CheckpointException(path, t.Name, $"shape mismatch: {ShapeUtil.Format(saved.Shape)} in the checkpoint, {ShapeUtil.Format(t.Shape)} in the trainer.");
                counterPlan.Add((t.Value, saved.Integers));
                byName.Remove(t.Name);
            }
        if (byName.Count > 0)
        {
            var extra = byName.Keys.First();
            throw new CheckpointException(path, extra, $"unexpected: the checkpoint has this tensor but the trainer does not" +
                (byName.Count > 1 ? $" (nor {byName.Count - 1} more: {string.Join(", ", byName.Keys.Skip(1))})." : "."));
        }
        var streamPlan = MatchRandomStreams(path, c, trainer);
        // Everything checked: now apply.
        foreach (var (dst, src) in plan) src.AsSpan().CopyTo(dst);
        foreach (var (dst, src) in counterPlan) src.AsSpan().CopyTo(dst);
        foreach (var (rng, saved) in streamPlan) rng.State = saved;
        trainer.StepCount = c.StepCount;
        trainer.LearningRate = c.LearningRate;
        return c.State;
    }

    // Every random stream of the trainer must be in the file and vice versa (names match exactly);
    // a version-1 file has none, and the trainer's generators are left as they are.
    private static List<(Rng Generator, ulong State)> MatchRandomStreams(string path, CheckpointContents c, ITrainer trainer)
    {
        var plan = new List<(Rng, ulong)>();
        if (c.Version < FirstVersionWithRandomStreams) return plan;
        var saved = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var s in c.RandomStreams) saved[s.Name] = s.State;
        foreach (var r in trainer.RandomStreams)
        {
            if (!saved.Remove(r.Name, out ulong state))
                throw new CheckpointException(path, null, $"random stream '{r.Name}' is missing: the trainer has this generator but the checkpoint does not.");
            plan.Add((r.Generator, state));
        }
        foreach (var extra in saved.Keys)
            throw new CheckpointException(path, null, $"random stream '{extra}' is unexpected: the checkpoint has this generator but the trainer does not.");
        return plan;
    }

    private static CheckpointContents Parse(byte[] bytes, string path)
    {
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException(path, null, "not a TrainingGen checkpoint (wrong magic bytes).");
        if (bytes.Length < Magic.Length + 8 + HashSize)
            throw new CheckpointException(path, null, $"truncated: {bytes.Length} bytes is shorter than any checkpoint.");
        var r = new Reader(bytes, bytes.Length, path);
        r.Skip(Magic.Length);
        uint version = r.U32("the header");
        if (version < 1 || version > FormatVersion)
            throw new CheckpointException(path, null, $"unsupported format version {version} (this build reads versions 1 to {FormatVersion}).");
        r.U32("the header");
        long step = r.I64("the header");
        float lr = r.F32("the header");
        string kind = r.String("the header");
        if (!float.IsFinite(lr) || lr < 0)
            throw new CheckpointException(path, null, $"corrupt: the learning rate {lr} is not a finite non-negative number.");
        TrainingState? state = null;
        if (r.U8("the header") == 1)
        {
            state = new TrainingState
            {
                Epoch = r.I32("the training state"), BatchInEpoch = r.I32("the training state"),
                SchedulePosition = r.I64("the training state"), BaseLearningRate = r.F64("the training state"),
            };
            bool hasSeed = r.U8("the training state") == 1;
            ulong seed = r.U64("the training state");
            state.ShuffleSeed = hasSeed ? seed : null;
            state.EpochLossSum = r.F64("the training state"); state.EpochSteps = r.I32("the training state");
            state.BestLoss = r.F64("the training state"); state.BestEpoch = r.I32("the training state");
            state.EpochsWithoutImprovement = r.I32("the training state"); state.Stopped = r.U8("the training state") == 1;
        }
        var streams = new List<CheckpointRandomStream>();
        if (version >= FirstVersionWithRandomStreams)
        {
            uint streamCount = r.U32("the random streams");
            for (uint k = 0; k < streamCount; k++)
                streams.Add(new CheckpointRandomStream(r.String("the random streams"), r.U64("the random streams")));
        }
        uint count = r.U32("the tensor table");
        var tensors = new List<CheckpointTensor>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (uint k = 0; k < count; k++)
        {
            string name = r.String($"the name of tensor #{k}");
            byte tkind = r.U8(name);
            if (tkind > (version >= FirstVersionWithIntegerBuffers ? IntegerBufferKind : 1))
                throw new CheckpointException(path, name, $"corrupt: unknown tensor kind {tkind}.");
            int rank = r.U8(name);
            var shape = new int[rank];
            long n = 1;
            for (int i = 0; i < rank; i++)
            {
                shape[i] = r.I32(name);
                if (shape[i] < 0) throw new CheckpointException(path, name, $"corrupt: negative dimension {shape[i]}.");
                n *= shape[i];
            }
            long[]? integers = tkind == IntegerBufferKind ? r.Longs(n, name) : null;
            var values = integers is null ? r.Floats(n, name) : Array.ConvertAll(integers, v => (float)v);
            if (!seen.Add(name)) throw new CheckpointException(path, name, "corrupt: the tensor appears twice.");
            tensors.Add(new CheckpointTensor(name, tkind == 1, shape, values) { Integers = integers });
        }
        int remaining = bytes.Length - r.Position;
        if (remaining < HashSize)
            throw new CheckpointException(path, null, $"truncated: the {HashSize}-byte checksum after the last tensor is incomplete ({remaining} bytes).");
        if (remaining > HashSize)
            throw new CheckpointException(path, null, $"corrupt: {remaining - HashSize} unexpected bytes after the last tensor.");
        var actual = SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashSize));
        if (!actual.AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashSize)))
            throw new CheckpointException(path, null, "checksum mismatch: the file is corrupt (its SHA-256 does not match the stored one).");
        return new CheckpointContents((int)version, kind, step, lr, state, tensors, streams);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write(checked((ushort)b.Length));
        w.Write(b);
    }

    /// <summary>Bounds-checked little-endian reader; running out names what was being read.</summary>
    private sealed class Reader
    {
        private readonly byte[] _b; private readonly int _end; private readonly string _path;
        public Reader(byte[] b, int end, string path) { _b = b; _end = end; _path = path; }
        public int Position { get; private set; }
        private ReadOnlySpan<byte> Take(long n, string what)
        {
            if (n < 0 || n > _end - Position)
            {
                bool isTensor = !what.StartsWith("the ", StringComparison.Ordinal);
                throw new CheckpointException(_path, isTensor ? what : null,
                    $"truncated or corrupt: {(isTensor ? "its data needs" : what + " needs")} {n} bytes at offset {Position} but only {Math.Max(0, _end - Position)} remain in the file.");
            }
            var s = _b.AsSpan(Position, (int)n);
            Position += (int)n;
            return s;
        }
        public void Skip(int n) => Take(n, "the header");
        public byte U8(string w) => Take(1, w)[0];
        public uint U32(string w) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, w));
        public int I32(string w) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, w));
        public long I64(string w) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, w));
        public ulong U64(string w) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, w));
        public float F32(string w) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, w));
        public double F64(string w) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, w));
        public string String(string w) { int n = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, w)); return Encoding.UTF8.GetString(Take(n, w)); }
        public long[] Longs(long n, string w)
        {
            var s = Take(checked(n * 8), w);
            var v = new long[n];
            for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadInt64LittleEndian(s.Slice(8 * i));
            return v;
        }
        public float[] Floats(long n, string w)
        {
            var s = Take(checked(n * 4), w);
            var f = new float[n];
            for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(s.Slice(4 * i));
            return f;
        }
    }

    /// <summary>Passes writes through and hashes them (SHA-256).</summary>
    private sealed class HashingStream : Stream
    {
        private readonly Stream _inner;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public HashingStream(Stream inner) { _inner = inner; }
        public byte[] Finish() => _hash.GetHashAndReset();
        public override void Write(byte[] buffer, int offset, int count) { _hash.AppendData(buffer, offset, count); _inner.Write(buffer, offset, count); }
        public override void Write(ReadOnlySpan<byte> buffer) { _hash.AppendData(buffer); _inner.Write(buffer); }
        public override void Flush() => _inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) _hash.Dispose(); base.Dispose(disposing); }
    }
}

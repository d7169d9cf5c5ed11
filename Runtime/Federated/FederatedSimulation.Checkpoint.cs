using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace TrainingGen.Federated;

/// <summary>
/// Checkpoints of a simulation, so that a killed run resumes bit-identically: everything the next
/// iteration reads is saved — the central model (trainable parameters, buffers, frozen ones), the
/// central optimizer's state and step count, the iteration, the (adaptive) clipping bound and the
/// state of the central model's random generators. The other random streams (cohort, per-user sample
/// order and dropout, DP noise) are pure functions of (seed, iteration, user), so the seeds and the
/// iteration restore them; the seeds are saved and a checkpoint of another run is refused.
/// <para>Format (version 1, little-endian): <c>"TGFEDCK\n"</c> · u32 version · u64 seed · u8 has-privacy ·
/// u64 noise seed · i32 iteration · i64 central steps · f64 clipping bound (NaN without DP) · u32 stream
/// count, per stream: string name · u64 state · u32 tensor count, per tensor: string name · u8 kind (0
/// central model, 1 central optimizer state) · i32 length · f32 values · 32-byte SHA-256 of everything
/// before it (string = u16 byte length + UTF-8). Written atomically (<see cref="AtomicFile"/>); only a
/// simulation checkpoint is ever replaced.</para>
/// </summary>
public sealed partial class FederatedSimulation
{
    private const int CheckpointVersion = 1;
    private static readonly byte[] CheckpointMagic = "TGFEDCK\n"u8.ToArray();

    /// <summary>
    /// Saves the simulation's state after <see cref="Iteration"/> iterations to <paramref name="path"/>
    /// (atomically). A fresh simulation built with the same factory, users and options that
    /// <see cref="LoadCheckpoint"/>s it continues exactly as this one would.
    /// </summary>
    /// <exception cref="NonFiniteValueException">A central parameter holds NaN or ±∞; nothing was written.</exception>
    /// <exception cref="OverwriteRefusedException"><paramref name="path"/> exists and is not a simulation checkpoint.</exception>
    public void SaveCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        NonFinite.ThrowIfAny(Model.Parameters, path, allowNonFinite: false);
        AtomicFile.Write(path, stream =>
        {
            using var buffer = new MemoryStream();
            using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(CheckpointMagic);
                w.Write((uint)CheckpointVersion);
                w.Write(_o.Seed);
                w.Write((byte)(_o.Privacy is null ? 0 : 1));
                w.Write(_o.Privacy?.NoiseSeed ?? 0UL);
                w.Write(Iteration);
                w.Write(_centralSteps);
                w.Write(ClippingBound ?? double.NaN);
                var streams = Model.RandomStreams;
                w.Write((uint)streams.Count);
                foreach (var r in streams) { WriteString(w, r.Name); w.Write(r.Generator.State); }
                var tensors = CheckpointTensors();
                w.Write((uint)tensors.Count);
                foreach (var (name, kind, values) in tensors)
                {
                    WriteString(w, name);
                    w.Write((byte)kind);
                    w.Write(values.Length);
                    var bytes = new byte[4 * values.Length];
                    for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                    w.Write(bytes);
                }
            }
            var content = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            stream.Write(content);
            stream.Write(SHA256.HashData(content));
        }, existing => AtomicFile.ReadPrefix(existing, CheckpointMagic.Length).AsSpan().SequenceEqual(CheckpointMagic)
            ? null
            : "it is not a TrainingGen federated checkpoint (it does not start with the checkpoint magic bytes)");
    }

    /// <summary>
    /// Restores a state saved by <see cref="SaveCheckpoint"/>. Everything is checked (magic, version,
    /// checksum, seeds, tensor names and sizes) before anything changes, so a bad file leaves the
    /// simulation as it was.
    /// </summary>
    /// <exception cref="CheckpointException">The file is corrupt or truncated, or belongs to a run with other seeds or another model.</exception>
    public void LoadCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < CheckpointMagic.Length + 32 || !bytes.AsSpan(0, CheckpointMagic.Length).SequenceEqual(CheckpointMagic))
            throw new CheckpointException(path, null, "not a TrainingGen federated checkpoint (the magic bytes are missing).");
        int end = bytes.Length - 32;
        if (!SHA256.HashData(bytes.AsSpan(0, end)).AsSpan().SequenceEqual(bytes.AsSpan(end)))
            throw new CheckpointException(path, null, "checksum mismatch: the file is corrupt (its SHA-256 does not match the stored one).");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 0, end, writable: false), Encoding.UTF8);
            r.ReadBytes(CheckpointMagic.Length);
            uint version = r.ReadUInt32();
            if (version != CheckpointVersion)
                throw new CheckpointException(path, null, $"unsupported format version {version} (this build reads version {CheckpointVersion}).");
            ulong seed = r.ReadUInt64();
            bool privacy = r.ReadByte() == 1;
            ulong noiseSeed = r.ReadUInt64();
            if (seed != _o.Seed)
                throw new CheckpointException(path, null, $"it was saved by a run with seed {seed}; this simulation's seed is {_o.Seed}.");
            if (privacy != _o.Privacy is not null || (privacy && noiseSeed != _o.Privacy!.NoiseSeed))
                throw new CheckpointException(path, null, privacy
                    ? $"it was saved by a run with central DP and noise seed {noiseSeed}; this simulation has {(_o.Privacy is null ? "no central DP" : $"noise seed {_o.Privacy.NoiseSeed}")}."
                    : "it was saved by a run without central DP; this simulation has central DP.");
            int iteration = r.ReadInt32();
            long centralSteps = r.ReadInt64();
            double bound = r.ReadDouble();
            if (iteration < 0 || centralSteps < 0 || centralSteps > iteration)
                throw new CheckpointException(path, null, $"corrupt: iteration {iteration}, central steps {centralSteps}.");
            if (privacy != !double.IsNaN(bound) || (privacy && !(bound > 0 && double.IsFinite(bound))))
                throw new CheckpointException(path, null, $"corrupt: clipping bound {bound}.");

            var streams = Model.RandomStreams;
            uint streamCount = r.ReadUInt32();
            if (streamCount != streams.Count)
                throw new CheckpointException(path, null, $"it holds {streamCount} random streams of the central model; this model has {streams.Count}.");
            var streamStates = new ulong[streams.Count];
            for (int k = 0; k < streams.Count; k++)
            {
                string name = ReadString(r);
                if (name != streams[k].Name) throw new CheckpointException(path, null, $"random stream {k} is '{name}'; this model's is '{streams[k].Name}'.");
                streamStates[k] = r.ReadUInt64();
            }

            var tensors = CheckpointTensors();
            uint count = r.ReadUInt32();
            if (count != tensors.Count)
                throw new CheckpointException(path, null, $"it holds {count} tensors; this simulation has {tensors.Count} (central model and central optimizer state).");
            var loaded = new float[tensors.Count][];
            for (int k = 0; k < tensors.Count; k++)
            {
                var (name, kind, values) = tensors[k];
                string saved = ReadString(r);
                int savedKind = r.ReadByte();
                int length = r.ReadInt32();
                if (saved != name || savedKind != kind)
                    throw new CheckpointException(path, saved, $"expected tensor '{name}' ({(kind == 0 ? "central model" : "central optimizer state")}) at position {k}.");
                if (length != values.Length)
                    throw new CheckpointException(path, name, $"it holds {length} values; this simulation's tensor has {values.Length}.");
                var data = r.ReadBytes(checked(4 * length));
                if (data.Length != 4 * length) throw new EndOfStreamException();
                var f = new float[length];
                for (int i = 0; i < length; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i));
                loaded[k] = f;
            }
            if (r.BaseStream.Position != end)
                throw new CheckpointException(path, null, $"corrupt: {end - r.BaseStream.Position} unexpected bytes after the last tensor.");

            // Everything checked: apply.
            for (int k = 0; k < tensors.Count; k++) loaded[k].AsSpan().CopyTo(tensors[k].Values);
            for (int k = 0; k < streams.Count; k++) streams[k].Generator.State = streamStates[k];
            Iteration = iteration;
            _centralSteps = centralSteps;
            ClippingBound = privacy ? bound : null;
        }
        catch (EndOfStreamException)
        {
            throw new CheckpointException(path, null, "truncated: the file ends before its last tensor.");
        }
    }

    /// <summary>The tensors a checkpoint holds, in file order: the central model's parameters (state_dict order), then the central optimizer's state.</summary>
    private List<(string Name, int Kind, float[] Values)> CheckpointTensors()
    {
        var list = new List<(string, int, float[])>();
        foreach (var p in Model.Parameters) list.Add((p.Name, 0, p.Value));
        foreach (var s in _centralOptimizer.State) list.Add((s.Name, 1, s.Value));
        return list;
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write(checked((ushort)b.Length));
        w.Write(b);
    }

    private static string ReadString(BinaryReader r)
    {
        int n = r.ReadUInt16();
        var b = r.ReadBytes(n);
        if (b.Length != n) throw new EndOfStreamException();
        return Encoding.UTF8.GetString(b);
    }
}

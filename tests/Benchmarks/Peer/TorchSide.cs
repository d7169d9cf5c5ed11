#if TORCH_PEER
using System;
using System.Diagnostics;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainingGen.Benchmarks.Peer;

using Tensor = TorchSharp.torch.Tensor; // not TrainingGen.Tensor

/// <summary>
/// The same five cases in TorchSharp-cpu 0.107 (libtorch 2.10, MKL): model, loss and optimizer as in
/// docs/benchmarks.md, <c>torch.manual_seed(1234)</c>, one fixed batch; a step is zero_grad, forward,
/// loss, backward, optimizer step inside a dispose scope (after ../shared/bench/TorchBaseline).
/// </summary>
public sealed class TorchSide : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Func<Tensor, Tensor, Tensor> _loss;
    private readonly optim.Optimizer _opt;
    private readonly Tensor _x, _y;

    public static bool Available => true;

    public static void Load()
    {
        NativeFixup.EnsureLoadable();
        torch.manual_seed(0);
    }

    public static void SetThreads(int threads) => torch.set_num_threads(threads);

    private TorchSide(nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> loss, optim.Optimizer opt, Tensor x, Tensor y)
    {
        _model = model; _loss = loss; _opt = opt; _x = x; _y = y;
    }

    public float Step()
    {
        using var scope = torch.NewDisposeScope();
        _opt.zero_grad();
        var loss = _loss(_model.call(_x), _y);
        loss.backward();
        _opt.step();
        return 0f;
    }

    public void Dispose() { _model.Dispose(); _x.Dispose(); _y.Dispose(); }

    public static TorchSide Make(string name)
    {
        torch.manual_seed(1234);
        switch (name)
        {
            case "seed":
            {
                var model = nn.Sequential(("l1", nn.Linear(2, 1)), ("l2", nn.Linear(1, 3)));
                var mse = nn.MSELoss();
                return new TorchSide(model, (a, b) => mse.call(a, b), optim.SGD(model.parameters(), 0.001, momentum: 0.9),
                    torch.randn(2, 2), torch.randn(2, 3));
            }
            case "mlp":
            {
                var model = nn.Sequential(("fc1", nn.Linear(784, 256)), ("relu", nn.ReLU()), ("fc2", nn.Linear(256, 10)));
                var ce = nn.CrossEntropyLoss();
                return new TorchSide(model, (a, b) => ce.call(a, b), optim.SGD(model.parameters(), 0.01, momentum: 0.9),
                    torch.randn(64, 784), torch.randint(0, 10, new long[] { 64 }, dtype: ScalarType.Int64));
            }
            case "mlp-big":
            {
                var model = nn.Sequential(("fc1", nn.Linear(1024, 1024)), ("r1", nn.ReLU()),
                    ("fc2", nn.Linear(1024, 1024)), ("r2", nn.ReLU()), ("fc3", nn.Linear(1024, 10)));
                var ce = nn.CrossEntropyLoss();
                return new TorchSide(model, (a, b) => ce.call(a, b), optim.Adam(model.parameters(), 1e-3),
                    torch.randn(256, 1024), torch.randint(0, 10, new long[] { 256 }, dtype: ScalarType.Int64));
            }
            case "cnn":
            {
                var model = nn.Sequential(
                    ("c1", nn.Conv2d(1, 6, 5)), ("r1", nn.ReLU()), ("p1", nn.MaxPool2d(2)),
                    ("c2", nn.Conv2d(6, 16, 5)), ("r2", nn.ReLU()), ("p2", nn.MaxPool2d(2)),
                    ("flat", nn.Flatten()),
                    ("f1", nn.Linear(256, 120)), ("r3", nn.ReLU()),
                    ("f2", nn.Linear(120, 84)), ("r4", nn.ReLU()),
                    ("f3", nn.Linear(84, 10)));
                var ce = nn.CrossEntropyLoss();
                return new TorchSide(model, (a, b) => ce.call(a, b), optim.SGD(model.parameters(), 0.01, momentum: 0.9),
                    torch.randn(32, 1, 28, 28), torch.randint(0, 10, new long[] { 32 }, dtype: ScalarType.Int64));
            }
            case "head":
            {
                var backbone = nn.Sequential(("fc", nn.Linear(512, 512)), ("relu", nn.ReLU()));
                foreach (var p in backbone.parameters()) p.requires_grad = false;
                var head = nn.Linear(512, 10);
                var model = nn.Sequential(("backbone", backbone), ("head", head));
                var ce = nn.CrossEntropyLoss();
                return new TorchSide(model, (a, b) => ce.call(a, b), optim.SGD(head.parameters(), 0.01),
                    torch.randn(16, 512), torch.randint(0, 10, new long[] { 16 }, dtype: ScalarType.Int64));
            }
            default: throw new ArgumentException($"unknown case '{name}'", nameof(name));
        }
    }

    /// <summary>µs per <c>C = A·B</c> of two n×n matrices (addmm_ with β = 0), median of <paramref name="repeats"/>.</summary>
    public static double GemmUs(int n, int repeats)
    {
        torch.manual_seed(1);
        using var a = torch.randn(n, n);
        using var b = torch.randn(n, n);
        using var c = torch.empty(n, n);
        for (int i = 0; i < 5; i++) c.addmm_(a, b, beta: 0, alpha: 1);
        var t = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            const int iters = 10;
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < iters; i++) c.addmm_(a, b, beta: 0, alpha: 1);
            t[r] = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency / iters;
        }
        Array.Sort(t);
        return t[repeats / 2];
    }

    public static string Version => typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";
}

/// <summary>
/// TorchSharp 0.107's libLibTorchSharp.so (built with GCC 13) requires GLIBCXX_3.4.32 for one symbol,
/// <c>std::ios_base_library_init()</c>, which it references but never calls; Debian 12's libstdc++
/// stops at 3.4.30, so loading fails. This marks that one version need weak (VER_FLG_WEAK) in this
/// app's own copy of the library under bin/ (never the NuGet cache), before TorchSharp loads it.
/// The fix is the one ../shared/bench/TorchBaseline applies, written for this harness.
/// </summary>
internal static class NativeFixup
{
    public static void EnsureLoadable()
    {
        if (!OperatingSystem.IsLinux()) return;
        foreach (var rel in new[] { "runtimes/linux-x64/native/libLibTorchSharp.so", "libLibTorchSharp.so" })
        {
            var path = Path.Combine(AppContext.BaseDirectory, rel);
            if (File.Exists(path) && MarkWeak(path, "GLIBCXX_3.4.32"))
                Console.WriteLine($"# patched {rel}: version need GLIBCXX_3.4.32 marked weak");
        }
    }

    private static bool MarkWeak(string path, string version)
    {
        var b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[4] != 2) return false; // ELF64 only
        ulong U64(long o) => BitConverter.ToUInt64(b, (int)o);
        uint U32(long o) => BitConverter.ToUInt32(b, (int)o);
        ushort U16(long o) => BitConverter.ToUInt16(b, (int)o);
        string Str(long o) { int e = (int)o; while (b[e] != 0) e++; return System.Text.Encoding.ASCII.GetString(b, (int)o, e - (int)o); }
        long shoff = (long)U64(0x28);
        int shentsize = U16(0x3A), shnum = U16(0x3C);
        bool changed = false;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (U32(sh + 4) != 0x6ffffffe) continue; // SHT_GNU_verneed
            long off = (long)U64(sh + 0x18);
            uint link = U32(sh + 0x28), count = U32(sh + 0x2C);
            long strtab = (long)U64(shoff + (long)link * shentsize + 0x18);
            long need = off;
            for (uint n = 0; n < count; n++)
            {
                string file = Str(strtab + U32(need + 4));
                long aux = need + U32(need + 8);
                for (int a = 0; a < U16(need + 2); a++)
                {
                    if (file.StartsWith("libstdc++", StringComparison.Ordinal) && Str(strtab + U32(aux + 8)) == version && (U16(aux + 4) & 2) == 0)
                    {
                        ushort flags = (ushort)(U16(aux + 4) | 2);
                        b[aux + 4] = (byte)flags; b[aux + 5] = (byte)(flags >> 8);
                        changed = true;
                    }
                    aux += U32(aux + 12);
                }
                need += U32(need + 12);
            }
        }
        if (changed) File.WriteAllBytes(path, b);
        return changed;
    }
}
#endif

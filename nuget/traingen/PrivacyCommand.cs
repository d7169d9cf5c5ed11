// `traingen privacy`: differential-privacy accounting for DP-SGD / federated training from the command line.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TrainingGen.Federated.Privacy;

namespace TrainingGen.Tool;

internal static class PrivacyCommand
{
    internal const string Usage =
        "  traingen privacy epsilon --noise-multiplier S --sampling-rate Q --steps T --delta D\n" +
        "                  [--accountant rdp|pld] [--conversion classic|improved] [--orders tf|pfl] [--json]\n" +
        "  traingen privacy noise --epsilon E --delta D --sampling-rate Q --steps T [--accountant rdp|pld] [--json]\n" +
        "  traingen privacy delta --epsilon E --noise-multiplier S --sampling-rate Q --steps T [--accountant rdp|pld] [--json]\n" +
        "  traingen privacy noise --mechanism analytic-gaussian --epsilon E --delta D [--sensitivity 1] [--json]\n" +
        "      Privacy of T steps of the Poisson-subsampled Gaussian mechanism (DP-SGD): any two of ε, δ and the\n" +
        "      noise multiplier σ give the third. Accountants: rdp (default; TF orders, improved conversion) or pld.\n" +
        "      analytic-gaussian is one unsampled release (Balle & Wang 2018). Prints one line of key=value.";

    private static readonly HashSet<string> ValueOptions =
    [
        "--noise-multiplier", "--sampling-rate", "--steps", "--delta", "--epsilon", "--accountant",
        "--conversion", "--orders", "--mechanism", "--sensitivity",
    ];

    /// <summary>Runs `traingen privacy &lt;what&gt; …`; bad input is exit code 2 with one sentence on stderr.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            if (args.Length == 0) throw new UsageException("'privacy' needs a quantity to compute: epsilon, noise or delta.");
            var options = Parse(args.Skip(1).ToArray(), out bool json);
            var result = args[0] switch
            {
                "epsilon" => Epsilon(options),
                "noise" => Noise(options),
                "delta" => Delta(options),
                _ => throw new UsageException($"unknown quantity '{args[0]}' (expected epsilon, noise or delta)."),
            };
            options.ThrowIfUnused();
            stdout.WriteLine(json
                ? "{" + string.Join(", ", result.Select(kv => $"\"{kv.Key}\": {Format(kv.Value)}")) + "}"
                : string.Join(" ", result.Select(kv => $"{kv.Key}={Format(kv.Value)}")));
            return 0;
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"traingen privacy: {e.Message}");
            stderr.WriteLine("Usage:\n" + Usage);
            return 2;
        }
        catch (ArgumentException e)
        {
            // Out-of-range values and unreachable targets: the accountants' messages name the quantity.
            stderr.WriteLine($"traingen privacy: {e.Message}");
            return 2;
        }
    }

    private static List<KeyValuePair<string, double>> Epsilon(Options o)
    {
        if (o.AnalyticGaussian())
            return [new("epsilon", AnalyticGaussian.Epsilon(o.Number("--noise-multiplier"), o.Number("--delta")))];
        var (sigma, q, steps, delta) = (o.Number("--noise-multiplier"), o.Number("--sampling-rate"), o.Steps(), o.Number("--delta"));
        if (o.Accountant() is RdpAccountant rdp)
        {
            var (eps, order) = rdp.EpsilonAndOrder(sigma, q, steps, delta);
            return [new("epsilon", eps), new("order", order)];
        }
        return [new("epsilon", o.Accountant().Epsilon(sigma, q, steps, delta))];
    }

    private static List<KeyValuePair<string, double>> Noise(Options o)
    {
        if (o.AnalyticGaussian())
        {
            double multiplier = AnalyticGaussian.NoiseMultiplier(o.Number("--epsilon"), o.Number("--delta"));
            double sensitivity = o.Has("--sensitivity") ? o.Number("--sensitivity") : 1.0;
            double stddev = AnalyticGaussian.StandardDeviation(o.Number("--epsilon"), o.Number("--delta"), sensitivity);
            return [new("noise_multiplier", multiplier), new("stddev", stddev)];
        }
        return [new("noise_multiplier", o.Accountant().NoiseMultiplier(o.Number("--epsilon"), o.Number("--delta"), o.Number("--sampling-rate"), o.Steps()))];
    }

    private static List<KeyValuePair<string, double>> Delta(Options o)
    {
        if (o.AnalyticGaussian())
            return [new("delta", AnalyticGaussian.Delta(o.Number("--noise-multiplier"), o.Number("--epsilon")))];
        return [new("delta", o.Accountant().Delta(o.Number("--noise-multiplier"), o.Number("--sampling-rate"), o.Steps(), o.Number("--epsilon")))];
    }

    private static string Format(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static Options Parse(string[] args, out bool json)
    {
        json = false;
        var values = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--json") { json = true; continue; }
            if (!ValueOptions.Contains(a)) throw new UsageException($"unknown option '{a}'.");
            if (i + 1 >= args.Length) throw new UsageException($"'{a}' needs a value.");
            if (!values.TryAdd(a, args[++i])) throw new UsageException($"'{a}' is given twice.");
        }
        return new Options(values);
    }

    /// <summary>The parsed options; every one given must be used by the chosen computation.</summary>
    private sealed class Options(Dictionary<string, string> values)
    {
        private readonly HashSet<string> _used = [];

        public bool Has(string name) => values.ContainsKey(name);

        public double Number(string name)
        {
            if (!values.TryGetValue(name, out string? text)) throw new UsageException($"missing {name}.");
            _used.Add(name);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x))
                throw new UsageException($"{name} must be a number, got '{text}'.");
            return x;
        }

        public int Steps()
        {
            if (!values.TryGetValue("--steps", out string? text)) throw new UsageException("missing --steps.");
            _used.Add("--steps");
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int t) || t < 1)
                throw new UsageException($"--steps must be a positive integer, got '{text}'.");
            return t;
        }

        public bool AnalyticGaussian()
        {
            string mechanism = Word("--mechanism", "subsampled-gaussian");
            return mechanism switch
            {
                "subsampled-gaussian" => false,
                "analytic-gaussian" => true,
                _ => throw new UsageException($"unknown mechanism '{mechanism}' (expected subsampled-gaussian or analytic-gaussian)."),
            };
        }

        public IPrivacyAccountant Accountant()
        {
            string name = Word("--accountant", "rdp");
            if (name == "pld")
            {
                foreach (string rdpOnly in new[] { "--conversion", "--orders" })
                    if (Has(rdpOnly)) throw new UsageException($"{rdpOnly} applies only to --accountant rdp.");
                return new PldAccountant();
            }
            if (name != "rdp") throw new UsageException($"unknown accountant '{name}' (expected rdp or pld).");
            var conversion = Word("--conversion", "improved") switch
            {
                "improved" => RdpConversion.Improved,
                "classic" => RdpConversion.Classic,
                var c => throw new UsageException($"unknown conversion '{c}' (expected classic or improved)."),
            };
            var orders = Word("--orders", "tf") switch
            {
                "tf" => RdpOrders.TensorFlow,
                "pfl" => RdpOrders.Pfl,
                var g => throw new UsageException($"unknown order grid '{g}' (expected tf or pfl)."),
            };
            return new RdpAccountant(orders, conversion);
        }

        public void ThrowIfUnused()
        {
            foreach (string name in values.Keys)
                if (!_used.Contains(name)) throw new UsageException($"{name} does not apply here.");
        }

        private string Word(string name, string fallback)
        {
            _used.Add(name);
            return values.TryGetValue(name, out string? v) ? v : fallback;
        }
    }

    private sealed class UsageException(string message) : Exception(message);
}

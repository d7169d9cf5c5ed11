using System.IO;
using System.Text.Json;
using NUnit.Framework;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// `traingen privacy` in-process: one key=value line (or JSON) per computation, exit code 2 with one
/// sentence for bad input. Expected figures are the published ones in shared/docs/dp-reference.md and
/// Balle &amp; Wang's calibration computed with mpmath (σ = 3.73063163481594 for ε = 1, δ = 1e-5).
/// </summary>
public class PrivacyCommandTests
{
    private static (int Rc, string Output, string Error) Traingen(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int rc = TrainingGen.Tool.Program.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    [Test]
    public void Epsilon_with_rdp_prints_epsilon_and_order()
    {
        // TF Privacy MNIST tutorial: TF orders, classic conversion, ε = 3.01.
        var (rc, output, error) = Traingen("privacy", "epsilon", "--noise-multiplier", "1.1", "--sampling-rate", "0.004266666666666667",
            "--steps", "14063", "--delta", "1e-5", "--conversion", "classic", "--orders", "tf");
        Assert.That(rc, Is.EqualTo(0), error);
        Assert.That(output, Does.Match(@"^epsilon=3\.00[0-9]+ order=8\.8\r?\n$"));
    }

    [Test]
    public void Epsilon_with_pld_has_no_order_and_json_is_valid()
    {
        var (rc, output, error) = Traingen("privacy", "epsilon", "--noise-multiplier", "4", "--sampling-rate", "0.01",
            "--steps", "10000", "--delta", "1e-5", "--accountant", "pld", "--json");
        Assert.That(rc, Is.EqualTo(0), error);
        using var doc = JsonDocument.Parse(output);
        Assert.That(doc.RootElement.EnumerateObject(), Has.Exactly(1).Items);
        double eps = doc.RootElement.GetProperty("epsilon").GetDouble();
        Assert.That(eps, Is.InRange(0.8, 1.26), "tighter than the moments accountant's 1.26");
    }

    [Test]
    public void Noise_then_epsilon_round_trips()
    {
        var (rc, output, _) = Traingen("privacy", "noise", "--epsilon", "7.32911117143", "--delta", "1e-5", "--sampling-rate", "0.04", "--steps", "2250");
        Assert.That(rc, Is.EqualTo(0));
        Assert.That(output, Does.StartWith("noise_multiplier="));
        double sigma = double.Parse(output.Trim().Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(sigma, Is.EqualTo(1.5).Within(1.5e-3), "Opacus: σ = 1.5 gives ε = 7.329 (TF orders, improved)");
    }

    [Test]
    public void Delta_is_printed_as_one_key()
    {
        var (rc, output, _) = Traingen("privacy", "delta", "--epsilon", "1.26", "--noise-multiplier", "4", "--sampling-rate", "0.01",
            "--steps", "10000", "--conversion", "classic");
        Assert.That(rc, Is.EqualTo(0));
        Assert.That(output, Does.Match(@"^delta=[0-9.E-]+\r?\n$"));
        double delta = double.Parse(output.Trim().Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(delta, Is.InRange(0.9e-5, 1.05e-5), "Abadi et al.: ε ≈ 1.26 at δ = 1e-5");
    }

    [Test]
    public void Analytic_gaussian_noise_for_a_single_release()
    {
        var (rc, output, _) = Traingen("privacy", "noise", "--mechanism", "analytic-gaussian", "--epsilon", "1", "--delta", "1e-5", "--sensitivity", "2");
        Assert.That(rc, Is.EqualTo(0));
        Assert.That(output, Does.Match(@"^noise_multiplier=3\.730631634\d* stddev=7\.46126326\d*\r?\n$"));
    }

    [TestCase("--sampling-rate", "0", "sampling rate must be in (0, 1]")]
    [TestCase("--sampling-rate", "1.5", "sampling rate must be in (0, 1]")]
    [TestCase("--delta", "0", "δ must be in (0, 1)")]
    [TestCase("--delta", "1", "δ must be in (0, 1)")]
    [TestCase("--noise-multiplier", "-1", "noise multiplier must be finite and non-negative")]
    [TestCase("--steps", "0", "--steps must be a positive integer")]
    [TestCase("--delta", "abc", "--delta must be a number")]
    public void Bad_input_is_a_clear_error_and_exit_code_2(string option, string value, string message)
    {
        var args = new System.Collections.Generic.Dictionary<string, string>
        {
            ["--noise-multiplier"] = "1", ["--sampling-rate"] = "0.01", ["--steps"] = "100", ["--delta"] = "1e-5",
        };
        args[option] = value;
        var argv = new System.Collections.Generic.List<string> { "privacy", "epsilon" };
        foreach (var kv in args) { argv.Add(kv.Key); argv.Add(kv.Value); }
        var (rc, output, error) = Traingen(argv.ToArray());
        Assert.That(rc, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.Contain(message));
    }

    [Test]
    public void An_unreachable_target_is_exit_code_2()
    {
        var (rc, _, error) = Traingen("privacy", "noise", "--epsilon", "1e-9", "--delta", "1e-5", "--sampling-rate", "1", "--steps", "100000");
        Assert.That(rc, Is.EqualTo(2));
        Assert.That(error, Does.Contain("reaches ε = 1E-09"));
    }

    [TestCase("privacy")]
    [TestCase("privacy", "sigma")]
    [TestCase("privacy", "epsilon", "--bogus", "1")]
    [TestCase("privacy", "epsilon", "--noise-multiplier", "1", "--sampling-rate", "0.1", "--steps", "10")]
    [TestCase("privacy", "epsilon", "--noise-multiplier", "1", "--sampling-rate", "0.1", "--steps", "10", "--delta", "1e-5", "--accountant", "pld", "--orders", "pfl")]
    [TestCase("privacy", "noise", "--epsilon", "1", "--delta", "1e-5", "--sampling-rate", "0.1", "--steps", "10", "--sensitivity", "2")]
    public void Usage_errors_are_exit_code_2(params string[] args)
    {
        var (rc, output, error) = Traingen(args);
        Assert.That(rc, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.StartWith("traingen privacy: "));
    }
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Runtime.Tests;

/// <summary>
/// Runs every coremltools-written fixture package (TestData/coreml-fixtures, see its README)
/// through <see cref="Evaluator.Open"/> and compares each call's outputs (and states) with the
/// float64-computed values in the matching <c>.io.json</c>:
/// |actual − expected| ≤ atol + rtol·|expected|.
/// </summary>
[TestFixture]
public class FixtureRunTests
{
    private static string FixtureDir => Path.Combine(TestContext.CurrentContext.TestDirectory, "TestData", "coreml-fixtures");

    public static IEnumerable<TestCaseData> Fixtures()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "TestData", "coreml-fixtures");
        if (!Directory.Exists(dir)) yield break;
        foreach (var file in Directory.GetFiles(dir, "*.io.json").OrderBy(f => f, StringComparer.Ordinal))
            yield return new TestCaseData(Path.GetFileName(file)).SetName("Fixture_" + Path.GetFileName(file).Replace(".io.json", ""));
    }

    [Test]
    public void AllFiveFixturesArePresent()
    {
        var names = Directory.GetFiles(FixtureDir, "*.io.json").Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.That(names, Is.EqualTo(new[]
        {
            "conv_inference.io.json", "mlp_inference.io.json", "multifunction.io.json",
            "stateful_accumulator.io.json", "train_step_sgd.io.json",
        }));
    }

    [TestCaseSource(nameof(Fixtures))]
    public void RunsAndMatchesExpectedOutputs(string ioFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, ioFile)));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("schema").GetString(), Is.EqualTo("coreml-fixture-io/1"));
        string package = Path.Combine(FixtureDir, root.GetProperty("package").GetString()!);

        using var ev = Evaluator.Open(package);
        var functions = root.GetProperty("functions").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.That(ev.Functions, Is.EquivalentTo(functions), "functions");
        Assert.That(ev.DefaultFunction, Is.EqualTo(root.GetProperty("default_function").GetString()), "default function");

        int checkedValues = 0;
        var report = new StringBuilder();
        foreach (var testCase in root.GetProperty("cases").EnumerateArray())
        {
            string caseName = testCase.GetProperty("name").GetString()!;
            string function = testCase.GetProperty("function").GetString()!;
            var states = new Dictionary<string, MilTensor>(StringComparer.Ordinal);
            if (testCase.TryGetProperty("states", out var initial))
                foreach (var s in initial.EnumerateArray()) states[s.GetProperty("name").GetString()!] = ReadTensor(s);

            int callIndex = 0;
            foreach (var call in testCase.GetProperty("calls").EnumerateArray())
            {
                string where = $"{caseName} call {callIndex++} ({function})";
                var inputs = call.GetProperty("inputs").EnumerateArray()
                    .ToDictionary(t => t.GetProperty("name").GetString()!, ReadTensor, StringComparer.Ordinal);
                var outputs = ev.Run(function, inputs, states);

                var expected = call.GetProperty("expected_outputs").EnumerateArray().ToList();
                Assert.That(outputs.Select(o => o.Key), Is.EqualTo(expected.Select(e => e.GetProperty("name").GetString())), $"{where}: output names/order");
                for (int i = 0; i < expected.Count; i++)
                    checkedValues += Compare(outputs[i].Value, expected[i], $"{where} output '{outputs[i].Key}'", report);

                if (call.TryGetProperty("expected_states_after", out var after))
                    foreach (var e in after.EnumerateArray())
                    {
                        string name = e.GetProperty("name").GetString()!;
                        Assert.That(states.ContainsKey(name), Is.True, $"{where}: state '{name}' after the call");
                        checkedValues += Compare(states[name], e, $"{where} state '{name}'", report);
                    }
            }
        }
        Assert.That(report.Length, Is.EqualTo(0), report.ToString());
        Assert.That(checkedValues, Is.GreaterThan(0));
    }

    private static MilTensor ReadTensor(JsonElement t)
    {
        var shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var data = new List<double>();
        Flatten(t.GetProperty("data"), data);
        var floats = data.Select(v => (float)v).ToArray();
        return t.GetProperty("dtype").GetString() switch
        {
            "float32" => MilTensor.Float32(shape, floats),
            "float16" => MilTensor.Float16(shape, floats),
            var other => throw new NotSupportedException($"fixture dtype {other}"),
        };
    }

    private static void Flatten(JsonElement e, List<double> into)
    {
        if (e.ValueKind == JsonValueKind.Array) foreach (var c in e.EnumerateArray()) Flatten(c, into);
        else into.Add(e.GetDouble());
    }

    private static int Compare(MilTensor actual, JsonElement expected, string what, StringBuilder report)
    {
        var e = ReadTensor(expected);
        var tol = expected.GetProperty("tolerance");
        double rtol = tol.GetProperty("rtol").GetDouble(), atol = tol.GetProperty("atol").GetDouble();
        if (!actual.Shape.SequenceEqual(e.Shape))
        {
            report.AppendLine($"{what}: shape [{string.Join(",", actual.Shape)}], expected [{string.Join(",", e.Shape)}]");
            return 0;
        }
        if (actual.Floats is null)
        {
            report.AppendLine($"{what}: dtype {actual.DType}, expected floating point");
            return 0;
        }
        int bad = 0;
        for (int i = 0; i < e.Count; i++)
        {
            double a = actual.Floats[i], x = e.Floats![i];
            if (!(Math.Abs(a - x) <= atol + rtol * Math.Abs(x)))
            {
                if (bad++ < 5)
                    report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"{what}[{i}]: {a:R} vs expected {x:R} (|diff| {Math.Abs(a - x):E2} > {atol + rtol * Math.Abs(x):E2})"));
            }
        }
        if (bad > 5) report.AppendLine($"{what}: {bad} mismatches in all");
        return e.Count;
    }
}

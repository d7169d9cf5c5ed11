using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Generator.Emit;
using TrainingGen.Generator.Model;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// Fusions are chosen before buffers are planned (Fusion.Plan, then BufferPlan): an absorbed value gets
/// no buffer, and a fused call never writes a buffer it reads. A fused kernel given overlapping buffers
/// would silently compute garbage (a product writing over its own operand), so this is checked on every
/// model the tests compile, not only on the ones whose generated text is pinned.
/// </summary>
public class FusionPlanTests
{
    private static IEnumerable<(string Name, TrainingModelIr Ir, BackwardPlan Plan)> Models(string source) => GeneratorHarness.Differentiate(source);

    private static IEnumerable<TestCaseData> Sources()
    {
        yield return new TestCaseData("benchmark models", BenchmarkModelsSource.Program("Demo.Bench", "Mlp", "MlpBig", "LeNet", "Cnn", "Head"));
        foreach (var file in Directory.GetFiles(Path.Combine(Snapshot.TestsDirectory(), "Models"), "*.cs").OrderBy(f => f, StringComparer.Ordinal))
            yield return new TestCaseData(Path.GetFileName(file), File.ReadAllText(file));
    }

    [TestCaseSource(nameof(Sources))]
    public void Absorbed_values_get_no_buffer_and_fused_calls_never_write_what_they_read(string name, string source)
    {
        int models = 0;
        foreach (var (model, ir, plan) in Models(source))
        {
            models++;
            var (fused, buffers) = TrainerEmitter.Plans(ir, plan);
            foreach (var (first, second) in fused)
            {
                var a = plan.Nodes[first]; var b = plan.Nodes[second];
                Assert.That(buffers.Owners, Does.Not.Contain(first), $"{model}: {a.Op} #{first} is computed by the fused call and needs no buffer");
                Assert.That(buffers.Sharing.Values.Any(held => held.Contains(first)), Is.False, $"{model}: {a.Op} #{first} is stored nowhere");
                int written = buffers.Owner(second);
                foreach (int read in a.Args.Concat(b.Args).Where(r => r >= 0 && r != first))
                    if (plan.Nodes[read].Op is not ("input" or "param"))
                        Assert.That(buffers.Owner(read), Is.Not.EqualTo(written),
                            $"{model}: the fused {a.Op} → {b.Op} writes #{second} into the buffer of #{read}, which it reads");
            }
        }
        Assert.That(models, Is.GreaterThan(0), $"{name} declares training models");
    }

    [Test]
    public void Every_relu_after_a_linear_layer_of_mlp_big_is_fused_forward_and_backward()
    {
        var (_, ir, plan) = Models(BenchmarkModelsSource.Program("Demo.Bench", "MlpBig")).Single();
        var (fused, buffers) = TrainerEmitter.Plans(ir, plan);
        var pairs = fused.Select(p => (plan.Nodes[p.Key].Op, plan.Nodes[p.Value].Op)).ToList();
        // fc1 → relu and fc2 → relu forward; fc3's and fc2's input gradients through the relu masks backward
        Assert.That(pairs.Count(p => p == ("linear", "relu")), Is.EqualTo(2));
        Assert.That(pairs.Count(p => p == ("linear_dx", "relu_grad")), Is.EqualTo(2));
        // three [batch, 1024] buffers: the two relu outputs (the backward pass reads them) and fc2's output
        // gradient; fc1's output gradient goes into the second relu output's buffer, dead by then
        Assert.That(buffers.Owners.Count(o => plan.Nodes[o].Shape.Count == 2 && plan.Nodes[o].Shape[0] == Dims.Batch && plan.Nodes[o].Shape[1] == 1024), Is.EqualTo(3));
    }
}

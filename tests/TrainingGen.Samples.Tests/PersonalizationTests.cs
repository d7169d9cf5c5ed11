using System.IO;
using System.Linq;
using NUnit.Framework;
using Personalization;

namespace TrainingGen.Samples.Tests;

/// <summary>The personalisation sample: the user's accuracy rises by the printed margin, only the head learns.</summary>
public class PersonalizationTests
{
    [Test]
    public void Personalisation_raises_the_users_accuracy_and_the_package_has_no_backbone_gradients()
    {
        var dir = TestUtil.TempDir();
        try
        {
            var log = new StringWriter();
            var r = PersonalizationSample.Run(new PersonalizationOptions { OutputDirectory = dir, Output = log });
            TestContext.Out.WriteLine(log.ToString());

            Assert.That(r.Gain, Is.GreaterThanOrEqualTo(r.RequiredGain), "the user's accuracy rose by the required margin");
            Assert.That(r.RequiredGain, Is.GreaterThanOrEqualTo(0.10));
            Assert.That(log.ToString(), Does.Contain($"(required +{100 * r.RequiredGain:F0})"), "the margin is printed");
            Assert.That(r.PretrainAccuracySeenClasses, Is.GreaterThan(0.9), "the pretrained model knows the vendor's classes");

            // Weights moved by state_dict name; the backbone stayed frozen.
            Assert.That(r.ImportedTensors, Is.EquivalentTo(new[]
            {
                "backbone.fc_1.weight", "backbone.fc_1.bias", "backbone.fc_2.weight", "backbone.fc_2.bias", "head.weight", "head.bias",
            }));
            Assert.That(r.BackboneUnchanged, Is.True);

            // The personalised training package: gradients, updates and optimizer state only for the head.
            Assert.That(r.BackwardOutputs, Is.EqualTo(new[] { "loss", "head_weight_grad", "head_bias_grad" }));
            Assert.That(r.TrainStepOutputs.Where(n => n.StartsWith("backbone")), Is.Empty);
            Assert.That(r.TrainStepOutputs, Does.Contain("head_weight_new"));
            Assert.That(r.BackboneOutputs, Is.Empty);
            using (var ev = Evaluator.Open(r.PackagePath))
            {
                Assert.That(ev.Describe("backward").Outputs.Where(o => o.Name.Contains("backbone")), Is.Empty);
                Assert.That(ev.Functions, Does.Contain("train_step").And.Contain("backward").And.Contain("main"));
            }
            using (var ev = Evaluator.Open(r.InferencePackagePath))
                Assert.That(ev.Functions, Is.EqualTo(new[] { "main" }));
            Assert.That(File.Exists(r.WeightsPath));
            Assert.That(r.PackageLossDifference, Is.LessThanOrEqualTo(1e-4));
            Assert.That(r.Success, Is.True);
        }
        finally { Directory.Delete(dir, true); }
    }
}

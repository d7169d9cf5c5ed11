using System.Linq;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>
/// The generated trainer's list forms (<c>Step(IReadOnlyList&lt;Tensor&gt;)</c> and friends) are public
/// members of the concrete type, beside the typed <c>Step(x, y)</c>: a user calling them on
/// <c>ModelToExport.Trainer</c> (not through <c>ITrainer</c>) compiles (it was CS7036 while they were
/// explicit interface implementations).
/// </summary>
public class ListFormApiTests
{
    private const string UserCode = """
        using System.Collections.Generic;
        using TrainingGen;

        namespace Demo;

        public static class User
        {
            public static float Train()
            {
                ModelToExport.Trainer trainer = ModelToExport.CreateTrainer(batchSize: 2);
                IReadOnlyList<Tensor> inputs = new[] { new Tensor(2, 2), new Tensor(2, 3) };
                float loss = trainer.Step(inputs);
                loss += trainer.Evaluate(inputs);
                loss += trainer.ComputeGradients(inputs);
                IReadOnlyList<Tensor> predictions = trainer.Predict(new[] { inputs[0] });
                Tensor typed = trainer.Predict(inputs[0]);
                IReadOnlyList<int[]> shapes = trainer.InputShapes;
                return loss + trainer.Step(inputs[0], inputs[1]) + predictions.Count + typed.Count + shapes.Count;
            }
        }
        """;

    [Test]
    public void The_list_forms_are_callable_on_the_concrete_trainer_type()
    {
        var run = GeneratorHarness.Run(TestSources.Seed, UserCode);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var errors = run.OutputErrors.ToList();
        Assert.That(errors, Is.Empty, string.Join("\n", errors));
        var trainer = run.Sources.Single(s => s.HintName.EndsWith(".Trainer.g.cs", System.StringComparison.Ordinal)).Text;
        Assert.That(trainer, Does.Contain("public float Step(global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.ITensorInput> inputs)"));
        Assert.That(trainer, Does.Not.Contain("global::TrainingGen.ITrainer.Step("), "no explicit implementation hides the list form");
    }
}

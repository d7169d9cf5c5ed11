using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Emit;

/// <summary>
/// For a training model with errors: a <c>CreateTrainer(int batchSize, int seed = 0)</c> with the
/// real one's parameters that throws, so the user's calls still compile and the build reports
/// only the TrainingGen diagnostics that explain the problem (instead of CS0117, "does not contain a
/// definition for 'CreateTrainer'", after each of them). It returns <c>dynamic</c> because the
/// trainer type it would return was not generated: <c>trainer.Step(x, y)</c> and the like still bind.
/// </summary>
internal static class StubEmitter
{
    public static string Emit(ModelStub stub)
    {
        var w = new IndentedWriter();
        w.Line(Header.TrimEnd('\n'));
        w.Line();
        using (OpenContainers(w, stub.Namespace, stub.ContainingTypes, $"partial class {stub.ClassName}{stub.TypeParameters}"))
        {
            w.Line("/// <summary>");
            w.Line($"/// Stands in for the trainer of <c>{stub.ClassName}</c>, which TrainingGen could not generate: fix the");
            w.Line("/// TrainingGen (TGxxxx) errors reported on the model and rebuild. Always throws.");
            w.Line("/// </summary>");
            WriteGeneratedAttributes(w);
            w.Line("public static dynamic CreateTrainer(int batchSize, int seed = 0) =>");
            using (w.Indent())
                w.Line($"throw new global::System.InvalidOperationException({Literal($"The trainer of '{stub.ClassName}' was not generated because the model has TrainingGen errors; fix them and rebuild.")});");
        }
        return w.ToString();
    }
}

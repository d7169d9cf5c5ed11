using System.Collections.Generic;
using System.Linq;
using TrainingGen.CoreML.Mil;
using TrainingGen.Optimizers;

namespace TrainingGen;

/// <summary>Builds the <see cref="TrainingManifest"/> of a package from what the generated trainer knows.</summary>
public static class TrainingManifestBuilder
{
    public static TrainingManifest Build(string model, string loss, int batchSize,
        IReadOnlyList<ManifestTensor> features, IReadOnlyList<ManifestTensor> labels, IReadOnlyList<ManifestTensor> predictions,
        IReadOnlyList<TrainerTensor> parameters, Optimizer optimizer, IReadOnlyList<MilFunction> functions,
        IReadOnlyList<ManifestDropout>? dropouts = null, IReadOnlyList<TrainerIntegerBuffer>? counters = null)
    {
        var m = new TrainingManifest
        {
            Model = model, Loss = loss, BatchSize = batchSize, LossOutput = TrainingNames.Loss,
            Features = features.ToList(), Labels = labels.ToList(), Predictions = predictions.ToList(),
            Dropouts = dropouts?.ToList() ?? new List<ManifestDropout>(),
        };
        var roles = new Dictionary<string, string>(System.StringComparer.Ordinal)
        {
            [TrainingNames.Loss] = "loss",
            [TrainingNames.LearningRate] = "hyper_parameter",
            [TrainingNames.Step] = "hyper_parameter",
        };
        foreach (var f in features) roles[f.Name] = "feature";
        foreach (var l in labels) roles[l.Name] = "label";
        foreach (var p in predictions) roles[p.Name] = "prediction";

        foreach (var p in parameters)
        {
            var mp = new ManifestParameter { Name = p.Name, Input = p.MilName, Shape = p.Shape, Trainable = p.Trainable, Buffer = p.IsBuffer };
            roles[p.MilName] = p.IsBuffer ? "buffer" : "parameter";
            if (p.IsBuffer)
            {
                mp.Updated = TrainingNames.Updated(p.MilName);
                roles[mp.Updated] = "updated_buffer";
            }
            if (p.Trainable)
            {
                mp.Gradient = TrainingNames.Gradient(p.MilName);
                mp.Updated = TrainingNames.Updated(p.MilName);
                roles[mp.Gradient] = "gradient";
                roles[mp.Updated] = "updated_parameter";
                foreach (var slot in optimizer.SlotNames)
                {
                    string name = TrainingNames.Slot(p.MilName, slot);
                    mp.State[slot] = name;
                    roles[name] = "optimizer_state";
                    roles[TrainingNames.Updated(name)] = "updated_optimizer_state";
                }
            }
            m.Parameters.Add(mp);
        }
        // Integer buffers (num_batches_tracked): int32 [1] inputs of train_step, which returns them counted.
        foreach (var c in counters ?? System.Array.Empty<TrainerIntegerBuffer>())
        {
            var mp = new ManifestParameter { Name = c.Name, Input = c.MilName, Shape = new[] { 1 }, Buffer = true, DType = "int32", Updated = TrainingNames.Updated(c.MilName) };
            roles[c.MilName] = "buffer";
            roles[mp.Updated] = "updated_buffer";
            m.Parameters.Add(mp);
        }

        m.Optimizer.Type = optimizer.Kind;
        foreach (var kv in optimizer.HyperParameters) m.Optimizer.HyperParameters[kv.Key] = kv.Value;
        foreach (var kv in optimizer.Flags) m.Optimizer.Flags[kv.Key] = kv.Value;

        foreach (var f in functions)
        {
            var mf = new ManifestFunction();
            foreach (var i in f.Inputs) mf.Inputs.Add(new ManifestRole(i.Name, Role(roles, i.Name, f.Name)));
            foreach (var o in f.Outputs)
                // init returns initial parameters and state under their input names
                mf.Outputs.Add(new ManifestRole(o, f.Name == "main" && roles.TryGetValue(o, out var r) && r == "prediction" ? r : Role(roles, o, f.Name)));
            m.Functions[f.Name] = mf;
        }
        return m;
    }

    private static string Role(Dictionary<string, string> roles, string name, string function) =>
        roles.TryGetValue(name, out var r) ? r
        : name.StartsWith(TrainingNames.DropoutMaskPrefix, System.StringComparison.Ordinal) ? "dropout_mask"
        : throw new System.InvalidOperationException($"Function '{function}' has '{name}', which has no role in the training manifest.");
}

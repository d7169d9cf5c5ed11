using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics.Tensors;
using TrainingGen;
using TrainingGen.CoreML.Mil;
using TrainingGen.Data;
using TrainingGen.Samples;

namespace Personalization;

/// <summary>Options of <see cref="PersonalizationSample.Run"/>; every member has a usable default.</summary>
public sealed class PersonalizationOptions
{
    /// <summary>Where the weights and packages are written (default: ./personalization-output).</summary>
    public string OutputDirectory { get; set; } = "personalization-output";
    /// <summary>Classes the vendor's pretraining sees (0 .. PretrainClasses−1); the user also writes the others.</summary>
    public int PretrainClasses { get; set; } = 7;
    /// <summary>Samples per class in the user's personalisation set.</summary>
    public int UserSamplesPerClass { get; set; } = 10;
    public int PretrainEpochs { get; set; } = 30;
    public int PersonalizeEpochs { get; set; } = 40;
    /// <summary>The user's accuracy must rise by at least this much (absolute, 0.10 = 10 points).</summary>
    public double RequiredGain { get; set; } = 0.10;
    /// <summary>Seed of the data split, initialisation and shuffling.</summary>
    public int Seed { get; set; } = 7;
    /// <summary>Where progress and results go (default: the console).</summary>
    public TextWriter? Output { get; set; }
}

/// <summary>What a run did.</summary>
/// <param name="BeforeAccuracy">The pretrained model on the user's held-out samples.</param>
/// <param name="AfterAccuracy">The personalised model on the same samples.</param>
/// <param name="ImportedTensors">state_dict names loaded from the pretrained safetensors file.</param>
/// <param name="BackwardOutputs">Outputs of the personalised package's <c>backward</c>.</param>
/// <param name="TrainStepOutputs">Outputs of its <c>train_step</c>.</param>
/// <param name="BackboneOutputs">Outputs of <c>backward</c>/<c>train_step</c> that belong to the frozen backbone (none expected).</param>
/// <param name="BackboneUnchanged">The backbone's values are bit-identical after personalisation.</param>
/// <param name="PackageLossDifference">|loss of the package's backward (run by the Evaluator) − the trainer's loss| on one user batch.</param>
public sealed record PersonalizationResult(
    double PretrainAccuracySeenClasses, double BeforeAccuracy, double AfterAccuracy, double RequiredGain,
    int UserTrainSamples, int UserTestSamples,
    string WeightsPath, string PackagePath, string InferencePackagePath,
    IReadOnlyList<string> ImportedTensors, IReadOnlyList<string> BackwardOutputs, IReadOnlyList<string> TrainStepOutputs,
    IReadOnlyList<string> BackboneOutputs, bool BackboneUnchanged, double PackageLossDifference, double TotalSeconds)
{
    public double Gain => AfterAccuracy - BeforeAccuracy;
    public bool Success => Gain >= RequiredGain && BackboneOutputs.Count == 0 && BackboneUnchanged && PackageLossDifference <= 1e-4;
}

/// <summary>
/// On-device personalisation: a vendor pretrains a digit classifier on some classes, exports its
/// weights as safetensors (PyTorch state_dict names); on the device a model with the same layers but
/// a [Frozen] backbone imports them and trains only its head on a few samples of the user — who also
/// writes digits the vendor never showed the model. The user's accuracy before and after, and the
/// personalised Core ML packages.
/// </summary>
public static class PersonalizationSample
{
    public static PersonalizationResult Run(PersonalizationOptions? options = null)
    {
        options ??= new PersonalizationOptions();
        var o = options.Output ?? Console.Out;
        var total = Stopwatch.StartNew();
        var ci = CultureInfo.InvariantCulture;
        Directory.CreateDirectory(options.OutputDirectory);
        int seen = options.PretrainClasses;

        // --- Data: 60 % of the digits are the vendor's, 40 % the user's.
        var path = Digits.Locate();
        var all = Digits.Load(path);
        o.WriteLine($"Digits: {all.Count} samples from {path} (UCI Optical Recognition of Handwritten Digits, CC BY 4.0, Alpaydin & Kaynak 1998).");
        var order = Enumerable.Range(0, all.Count).ToArray();
        Dataset.Shuffle(order, new Rng((ulong)options.Seed));
        int vendorCount = all.Count * 6 / 10;
        var vendor = order.Take(vendorCount).Where(i => Digits.Label(all, i) < seen).ToArray();
        var userPool = order.Skip(vendorCount).ToArray();
        var perClass = new int[Digits.Classes];
        var userTrain = new List<int>();
        var userTest = new List<int>();
        foreach (var i in userPool)
        {
            int c = Digits.Label(all, i);
            if (perClass[c] < options.UserSamplesPerClass) { perClass[c]++; userTrain.Add(i); }
            else userTest.Add(i);
        }
        var pretrainSet = new SubsetDataset(all, vendor);
        var userTrainSet = new SubsetDataset(all, userTrain);
        var userTestSet = new SubsetDataset(all, userTest);
        o.WriteLine($"Vendor: {vendor.Length} samples of digits 0-{seen - 1}. User: {userTrain.Count} samples to personalise with " +
            $"({options.UserSamplesPerClass} of each digit 0-9, digits {seen}-9 never seen in pretraining), {userTest.Count} held out to measure.");

        // --- 1. Pretrain backbone + head; export the weights by state_dict name.
        var pretrained = DigitClassifier.CreateTrainer(batchSize: 32, seed: options.Seed);
        o.WriteLine($"Pretraining {string.Join(", ", pretrained.Parameters.Select(p => $"{p.Name} {ShapeText(p.Shape)}"))}");
        Trainer.Fit(pretrained, pretrainSet, new FitOptions
        {
            Epochs = options.PretrainEpochs, ShuffleSeed = (ulong)options.Seed,
            Progress = new ConsoleProgressBar(o, interactive: options.Output is null && !Console.IsOutputRedirected),
        });
        var weights = Path.Combine(options.OutputDirectory, "pretrained.safetensors");
        SafeTensors.Export(weights, pretrained, new Dictionary<string, string> { ["classes"] = $"0-{seen - 1}" });
        o.WriteLine($"Wrote {weights} ({string.Join(", ", SafeTensors.Read(weights).Tensors.Select(t => t.Name))})");

        // --- 2. On the device: import into the model with the frozen backbone.
        var personal = PersonalizedClassifier.CreateTrainer(batchSize: 10, seed: options.Seed + 1);
        var report = SafeTensors.Import(weights, personal);
        o.WriteLine($"Imported {report.Loaded.Count} tensors by name ({string.Join(", ", report.Loaded)}); " +
            $"trainable: {string.Join(", ", personal.Parameters.Where(p => p.Trainable).Select(p => p.Name))}; " +
            $"frozen (no gradient buffer): {string.Join(", ", personal.Parameters.Where(p => !p.Trainable).Select(p => p.Name))}");
        var backboneBefore = personal.Parameters.Where(p => !p.Trainable).Select(p => (float[])p.Value.Clone()).ToArray();

        var (beforeAll, beforeSeen, beforeNew) = Accuracy(personal, userTestSet, seen);
        o.WriteLine(string.Create(ci, $"Before: the user's accuracy {100 * beforeAll:F2}% (digits 0-{seen - 1}: {100 * beforeSeen:F2}%, digits {seen}-9: {100 * beforeNew:F2}%)"));

        // --- 3. Personalise: train only the head on the user's few samples.
        Trainer.Fit(personal, userTrainSet, new FitOptions
        {
            Epochs = options.PersonalizeEpochs, ShuffleSeed = (ulong)options.Seed + 1,
            Progress = new ConsoleProgressBar(o, interactive: options.Output is null && !Console.IsOutputRedirected),
        });
        var (afterAll, afterSeen, afterNew) = Accuracy(personal, userTestSet, seen);
        o.WriteLine(string.Create(ci, $"After:  the user's accuracy {100 * afterAll:F2}% (digits 0-{seen - 1}: {100 * afterSeen:F2}%, digits {seen}-9: {100 * afterNew:F2}%)"));
        bool unchanged = personal.Parameters.Where(p => !p.Trainable).Select((p, k) => p.Value.AsSpan().SequenceEqual(backboneBefore[k])).All(b => b);
        o.WriteLine($"The frozen backbone is {(unchanged ? "bit-identical to the pretrained one" : "CHANGED")}.");

        // --- 4. The personalised packages, checked with the Evaluator.
        var package = Path.Combine(options.OutputDirectory, "personalized.mlpackage");
        var inference = Path.Combine(options.OutputDirectory, "personalized-inference.mlpackage");
        personal.ExportPackage(package);
        personal.ExportInferencePackage(inference);
        o.WriteLine($"Wrote {package} (training package) and {inference} (inference only: main)");
        string[] backwardOutputs, stepOutputs;
        double lossDiff;
        using (var ev = Evaluator.Open(package))
        {
            backwardOutputs = ev.Describe("backward").Outputs.Select(x => x.Name).ToArray();
            stepOutputs = ev.Describe("train_step").Outputs.Select(x => x.Name).ToArray();
            // One user batch through the package's backward (MIL interpreter) against the trainer.
            var batch = new BatchBuffer(userTrainSet, personal.BatchSize);
            batch.FillRange(0, personal.BatchSize);
            var inputs = new Dictionary<string, MilTensor>
            {
                [personal.InputNames[0]] = MilTensor.Float32(batch.Features.Shape, batch.Features.Data),
                [personal.InputNames[1]] = MilTensor.Float32(batch.Labels.Shape, batch.Labels.Data),
            };
            foreach (var p in personal.Parameters) inputs[p.MilName] = MilTensor.Float32(p.Shape, (float[])p.Value.Clone());
            float packageLoss = ev.Run("backward", inputs)[0].Value.Floats![0];
            float trainerLoss = personal.Evaluate(batch.Features, batch.Labels);
            lossDiff = Math.Abs(packageLoss - trainerLoss);
        }
        var frozenMil = personal.Parameters.Where(p => !p.Trainable).Select(p => p.MilName).ToArray();
        var backboneOutputs = backwardOutputs.Concat(stepOutputs).Where(n => frozenMil.Any(f => n.StartsWith(f, StringComparison.Ordinal))).Distinct().ToArray();
        o.WriteLine($"backward outputs: {string.Join(", ", backwardOutputs)}");
        o.WriteLine($"train_step outputs: {string.Join(", ", stepOutputs)}");
        o.WriteLine(backboneOutputs.Length == 0
            ? $"No gradient, updated value or optimizer state for the frozen backbone ({string.Join(", ", frozenMil)}) in the package."
            : $"UNEXPECTED backbone outputs: {string.Join(", ", backboneOutputs)}");
        o.WriteLine(string.Create(ci, $"Package backward loss on a user batch matches the trainer's (difference {lossDiff:E1})."));

        var result = new PersonalizationResult(beforeSeen, beforeAll, afterAll, options.RequiredGain, userTrain.Count, userTest.Count,
            weights, package, inference, report.Loaded, backwardOutputs, stepOutputs, backboneOutputs, unchanged, lossDiff, total.Elapsed.TotalSeconds);
        o.WriteLine(string.Create(ci,
            $"Personalisation raised the user's accuracy from {100 * beforeAll:F2}% to {100 * afterAll:F2}%: +{100 * result.Gain:F2} points " +
            $"(required +{100 * options.RequiredGain:F0}): {(result.Success ? "OK" : "FAILED")} ({result.TotalSeconds:F1} s)."));
        return result;
    }

    /// <summary>Accuracy over every sample of <paramref name="data"/>, and over the seen / unseen classes.</summary>
    public static (double All, double Seen, double Unseen) Accuracy(ITrainer trainer, IDataset data, int seenClasses)
    {
        var logits = Trainer.Predict(trainer, data)[0];
        int classes = logits.Count / data.Count;
        var label = new float[1];
        var features = new float[ShapeUtil.Count(data.FeatureShape)];
        int[] right = new int[2], count = new int[2];
        for (int i = 0; i < data.Count; i++)
        {
            data.CopySample(i, features, label);
            int g = (int)label[0] < seenClasses ? 0 : 1;
            count[g]++;
            if (TensorPrimitives.IndexOfMax(logits.Data.AsSpan(i * classes, classes)) == (int)label[0]) right[g]++;
        }
        static double Ratio(int a, int b) => b == 0 ? double.NaN : (double)a / b;
        return (Ratio(right[0] + right[1], count[0] + count[1]), Ratio(right[0], count[0]), Ratio(right[1], count[1]));
    }

    private static string ShapeText(int[] shape) => "[" + string.Join(", ", shape) + "]";
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TrainingGen;
using TrainingGen.Data;
using TrainingGen.Samples;

namespace ImportOnnx;

/// <summary>What a run did: accuracy before and after fine-tuning, and where the package went.</summary>
public sealed record ImportOnnxResult(string DataSet, int TrainSamples, double AccuracyBefore, double AccuracyAfter, string PackagePath,
    IReadOnlyList<string> LoadedWeights);

/// <summary>
/// Loads the PyTorch weights (Net.safetensors, by state_dict name) into the trainer of the imported
/// LeNet, fine-tunes it on Fashion-MNIST (or, when that Debian package is absent, on the bundled
/// 8×8 digits scaled ×3 and padded to 28×28), and exports the Core ML training package.
/// </summary>
public static class ImportOnnxSample
{
    public const string FashionDirectory = "/usr/share/datasets/fashion-mnist";

    public static ImportOnnxResult Run(string packagePath, int? trainLimit = null, int epochs = 1, TextWriter? log = null)
    {
        log ??= Console.Out;
        var (name, train, test) = LoadData(trainLimit);
        var trainer = FineTune.CreateTrainer(batchSize: 32, seed: 0);

        // The imported weights are named as in PyTorch (fc1.weight), and so are the imported properties'
        // parameters ([StateDictName("fc1")]); the wrapper only adds its prefix (backend.).
        string weights = Path.Combine(AppContext.BaseDirectory, "Net.safetensors");
        var report = SafeTensors.Import(weights, trainer, new SafeTensorsImportOptions { MapName = n => "backend." + n });
        log.WriteLine($"Loaded {report.Loaded.Count} tensors from {Path.GetFileName(weights)} ({string.Join(", ", report.Loaded.Take(3))}, ...)");

        double before = Trainer.Evaluate(trainer, test).Accuracy ?? 0;
        log.WriteLine($"{name}: {train.Count} training images; test accuracy of the imported weights {before:P1}");
        Trainer.Fit(trainer, train, new FitOptions { Epochs = epochs, ShuffleSeed = 7 });
        double after = Trainer.Evaluate(trainer, test).Accuracy ?? 0;
        log.WriteLine($"after fine-tuning {epochs} epoch(s): {after:P1}");

        trainer.ExportPackage(packagePath);
        log.WriteLine($"Wrote the training package {packagePath}");
        return new ImportOnnxResult(name, train.Count, before, after, packagePath, report.Loaded);
    }

    private static (string Name, IDataset Train, IDataset Test) LoadData(int? trainLimit)
    {
        IDataset train, test;
        string name;
        string[] files = { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" };
        if (files.All(f => File.Exists(Path.Combine(FashionDirectory, f))))
        {
            name = "Fashion-MNIST";
            train = WithChannel(IdxFile.LoadDataset(Path.Combine(FashionDirectory, files[0]), Path.Combine(FashionDirectory, files[1])));
            test = new SubsetDataset(WithChannel(IdxFile.LoadDataset(Path.Combine(FashionDirectory, files[2]), Path.Combine(FashionDirectory, files[3]))),
                Enumerable.Range(0, 2000));
        }
        else
        {
            name = "digits (8×8 scaled to 28×28)";
            (train, test) = Dataset.Split(ToLeNetSize(Digits.Load(Digits.Locate(), image: true)), 0.25, 42);
        }
        if (trainLimit is int n && n < train.Count) train = new SubsetDataset(train, Enumerable.Range(0, n));
        return (name, train, test);
    }

    /// <summary>
    /// [28, 28] images as the [1, 28, 28] the network takes, standardised with Fashion-MNIST's training-set
    /// pixel mean and standard deviation (0.2860, 0.3530), as torchvision's Normalize would.
    /// </summary>
    private static InMemoryDataset WithChannel(InMemoryDataset d)
    {
        var x = d.Features;
        for (int i = 0; i < x.Length; i++) x[i] = (x[i] - 0.2860f) / 0.3530f;
        return new InMemoryDataset(x, new[] { 1, d.FeatureShape[0], d.FeatureShape[1] }, d.Labels, Array.Empty<int>());
    }

    /// <summary>8×8 digits (0..16) → 28×28 in [0, 1]: each pixel becomes 3×3, with a 2-pixel border.</summary>
    private static InMemoryDataset ToLeNetSize(InMemoryDataset digits)
    {
        int n = digits.Count;
        var images = new float[n * 28 * 28];
        var labels = new float[n];
        var sample = new float[64];
        var label = new float[1];
        for (int i = 0; i < n; i++)
        {
            digits.CopySample(i, sample, label);
            labels[i] = label[0];
            for (int r = 0; r < 24; r++)
                for (int c = 0; c < 24; c++)
                    images[i * 784 + (r + 2) * 28 + c + 2] = sample[r / 3 * 8 + c / 3] / 16f;
        }
        return new InMemoryDataset(images, new[] { 1, 28, 28 }, labels, Array.Empty<int>());
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using TrainingGen;
using TrainingGen.Data;
using TrainingGen.Samples;

namespace FashionMnist;

/// <summary>Options of <see cref="FashionMnistSample.Run"/>; every member has a usable default.</summary>
public sealed class FashionMnistOptions
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the IDX files.</summary>
    public const string DefaultDataDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Directory holding the four Fashion-MNIST IDX .gz files; when they are absent the digits fallback runs.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;
    /// <summary>Train on the bundled digits set even when Fashion-MNIST is installed.</summary>
    public bool UseDigits { get; set; }
    /// <summary>Epochs (default: 5 for Fashion-MNIST, 20 for the small digits set).</summary>
    public int? Epochs { get; set; }
    public int BatchSize { get; set; } = 32;
    /// <summary>Shuffle seed of the epochs' sample order (and of the digits train/test split).</summary>
    public ulong ShuffleSeed { get; set; } = 42;
    /// <summary>Seed of the parameter initialisation.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Anneal the learning rate to 0 over the run (torch's CosineAnnealingLR, stepped per batch); default on.</summary>
    public bool CosineSchedule { get; set; } = true;
    /// <summary>Use only the first N training samples (smoke runs); null: all.</summary>
    public int? TrainLimit { get; set; }
    /// <summary>Required test accuracy (default: 0.88 on Fashion-MNIST, 0.95 on digits).</summary>
    public double? TargetAccuracy { get; set; }
    /// <summary>Where progress and results go (default: the console, with an in-place progress bar).</summary>
    public TextWriter? Output { get; set; }
}

/// <summary>What a run did.</summary>
/// <param name="DataSet">"Fashion-MNIST" or "digits".</param>
/// <param name="TestAccuracyPerEpoch">Test accuracy after each epoch.</param>
/// <param name="SecondsPerEpoch">Wall time of each epoch (training and the test evaluation).</param>
public sealed record FashionMnistResult(
    string DataSet, int TrainSamples, int TestSamples, int Epochs, int BatchSize,
    IReadOnlyList<double> TestAccuracyPerEpoch, IReadOnlyList<double> SecondsPerEpoch,
    double TestAccuracy, double TargetAccuracy, double TotalSeconds)
{
    public bool MetTarget => TestAccuracy >= TargetAccuracy;
}

/// <summary>
/// Trains the LeNet-style CNN on Fashion-MNIST (or, when the data set is not installed, a small CNN
/// on the bundled 8×8 digits) with <see cref="Trainer.Fit"/>, reporting the test accuracy after
/// every epoch through a <see cref="ConsoleProgressBar"/>.
/// </summary>
public static class FashionMnistSample
{
    public const double FashionTarget = 0.88, DigitsTarget = 0.95;
    // Fashion-MNIST classes, by label.
    public static readonly string[] ClassNames =
        { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };

    /// <summary>True when the four IDX files are in <paramref name="directory"/>.</summary>
    public static bool FashionMnistAvailable(string directory = FashionMnistOptions.DefaultDataDirectory) =>
        FashionFiles(directory).All(File.Exists);

    private static string[] FashionFiles(string dir) => new[]
    {
        Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"),
        Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"),
    };

    public static FashionMnistResult Run(FashionMnistOptions? options = null)
    {
        options ??= new FashionMnistOptions();
        var output = options.Output ?? Console.Out;
        var total = Stopwatch.StartNew();
        bool fashion = !options.UseDigits && FashionMnistAvailable(options.DataDirectory);
        IDataset train, test;
        ITrainer trainer;
        int epochs;
        double target;
        if (fashion)
        {
            (train, test) = LoadFashionMnist(options.DataDirectory, output);
            trainer = FashionCnn.CreateTrainer(options.BatchSize, options.Seed);
            epochs = options.Epochs ?? 5;
            target = options.TargetAccuracy ?? FashionTarget;
        }
        else
        {
            if (!options.UseDigits)
                output.WriteLine($"Fashion-MNIST is not installed in {options.DataDirectory} (apt-get install dataset-fashion-mnist); using the bundled digits set instead.");
            (train, test) = LoadDigits(options.ShuffleSeed, output);
            trainer = DigitsCnn.CreateTrainer(options.BatchSize, options.Seed);
            epochs = options.Epochs ?? 20;
            target = options.TargetAccuracy ?? DigitsTarget;
        }
        if (options.TrainLimit is int limit && limit < train.Count) train = new SubsetDataset(train, Enumerable.Range(0, limit));
        string name = fashion ? "Fashion-MNIST" : "digits";
        int parameters = trainer.Parameters.Sum(p => p.Value.Length);
        output.WriteLine($"{name}: {train.Count} training and {test.Count} test samples; {(fashion ? "LeNet CNN" : "small CNN")} with {parameters:N0} parameters, " +
            $"{trainer.Optimizer.Kind} lr {trainer.LearningRate.ToString(CultureInfo.InvariantCulture)}{(options.CosineSchedule ? " (cosine annealing)" : "")}, batch {trainer.BatchSize}, {epochs} epochs, shuffle seed {options.ShuffleSeed}.");

        // val_acc on each epoch line is the test accuracy (the test set is the Fit validation set).
        int stepsPerEpoch = train.Count / trainer.BatchSize;
        var history = Trainer.Fit(trainer, train, new FitOptions
        {
            Epochs = epochs,
            Schedule = options.CosineSchedule ? new CosineAnnealingLR(epochs * stepsPerEpoch) { Interval = ScheduleInterval.Step } : null,
            ShuffleSeed = options.ShuffleSeed,
            Validation = test,
            Progress = options.Output is null ? new ConsoleProgressBar() : new ConsoleProgressBar(output),
        });
        var accuracies = history.Epochs.Select(e => e.ValidationAccuracy ?? double.NaN).ToArray();
        var seconds = history.Epochs.Select(e => e.Seconds).ToArray();
        double final = accuracies.Length > 0 ? accuracies[^1] : Trainer.Evaluate(trainer, test).Accuracy ?? 0;
        var result = new FashionMnistResult(name, train.Count, test.Count, epochs, trainer.BatchSize, accuracies, seconds,
            final, target, total.Elapsed.TotalSeconds);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name} test accuracy {100 * final:F2}% after {epochs} epochs (target {100 * target:F0}%: {(result.MetTarget ? "met" : "MISSED")}); " +
            $"{seconds.DefaultIfEmpty().Average():F1} s per epoch, {result.TotalSeconds:F1} s in all."));
        return result;
    }

    /// <summary>
    /// Fashion-MNIST as [1, 28, 28] images: pixels scaled to [0, 1], then standardised with the mean
    /// and standard deviation of the training pixels; labels are class indices.
    /// </summary>
    public static (InMemoryDataset Train, InMemoryDataset Test) LoadFashionMnist(string directory, TextWriter? log = null)
    {
        var f = FashionFiles(directory);
        var train = IdxFile.LoadDataset(f[0], f[1]);
        var test = IdxFile.LoadDataset(f[2], f[3]);
        double sum = 0, sq = 0;
        foreach (var v in train.Features) { sum += v; sq += (double)v * v; }
        double mean = sum / train.Features.Length, std = Math.Sqrt(sq / train.Features.Length - mean * mean);
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Fashion-MNIST pixels in [0, 1]: mean {mean:F4}, std {std:F4} (training set); standardised with them."));
        return (Standardise(train, (float)mean, (float)std), Standardise(test, (float)mean, (float)std));
    }

    private static InMemoryDataset Standardise(InMemoryDataset d, float mean, float std)
    {
        var x = d.Features;
        float inv = 1 / std;
        for (int i = 0; i < x.Length; i++) x[i] = (x[i] - mean) * inv;
        return new InMemoryDataset(x, new[] { 1, d.FeatureShape[0], d.FeatureShape[1] }, d.Labels, Array.Empty<int>());
    }

    /// <summary>The bundled digits as [1, 8, 8] images in [0, 1], split 75 % / 25 % with <paramref name="seed"/>.</summary>
    public static (IDataset Train, IDataset Test) LoadDigits(ulong seed, TextWriter? log = null)
    {
        var path = Digits.Locate();
        log?.WriteLine($"Digits: {path} (UCI Optical Recognition of Handwritten Digits, CC BY 4.0, Alpaydin & Kaynak 1998).");
        return Dataset.Split(Digits.Load(path, image: true), 0.25, seed);
    }
}

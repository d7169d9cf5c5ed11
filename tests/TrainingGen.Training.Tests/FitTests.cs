using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>Fit, Evaluate, Predict, progress, allocation-free steps, and the data pieces.</summary>
public class FitTests
{
    private string _dir = "";
    [SetUp] public void SetUp() => _dir = TestUtil.TempDir();
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>Three Gaussian blobs in 4-D (centres ±2 on different axes), labels one-hot.</summary>
    private static InMemoryDataset Blobs(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[n * 4]; var y = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            int c = i % 3;
            for (int j = 0; j < 4; j++) x[4 * i + j] = (float)(0.7 * rng.NextGaussian() + (j == c ? 2 : j == 3 ? -1 : 0));
            y[3 * i + c] = 1;
        }
        return new InMemoryDataset(x, new[] { 4 }, y, new[] { 3 });
    }

    private sealed class Recorder : IProgress<TrainingProgress>
    {
        public readonly List<TrainingProgress> Reports = new();
        public void Report(TrainingProgress value) => Reports.Add(value);
    }

    private sealed class Counter : IProgress<TrainingProgress>
    {
        public int Count; public double LastLoss;
        public void Report(TrainingProgress value) { Count++; LastLoss = value.Loss; }
    }

    [Test]
    public void Fit_learns_the_blobs_and_reports_history_and_progress()
    {
        var (train, val) = Dataset.Split(Blobs(300, 1), 0.2, seed: 2);
        Assert.That((train.Count, val.Count), Is.EqualTo((240, 60)));
        var t = Classifier.CreateTrainer(8, seed: 3);
        double before = Trainer.Evaluate(t, val).Accuracy!.Value;
        var progress = new Recorder();
        var history = Trainer.Fit(t, train, new FitOptions { Epochs = 5, ShuffleSeed = 4, Validation = val, Progress = progress });
        var after = Trainer.Evaluate(t, val);
        TestContext.Out.WriteLine($"accuracy {before:P1} -> {after.Accuracy:P1}; train loss {string.Join(", ", history.TrainLoss.Select(l => l.ToString("F4")))}");
        Assert.That(after.Accuracy, Is.GreaterThan(0.9));
        Assert.That(history.Epochs.Count, Is.EqualTo(5));
        Assert.That(history.Epochs[^1].TrainLoss, Is.LessThan(history.Epochs[0].TrainLoss));
        Assert.That(history.Epochs[^1].ValidationAccuracy, Is.EqualTo(after.Accuracy));
        Assert.That(history.Epochs[^1].ValidationLoss, Is.EqualTo(after.Loss));
        // 240 / 8 = 30 steps per epoch: one report per step, the last one of each epoch carrying the validation
        Assert.That(progress.Reports.Count, Is.EqualTo(5 * 30));
        var ends = progress.Reports.Where(r => r.EpochCompleted).ToList();
        Assert.That(ends.Select(r => r.Epoch), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(ends.All(r => r.ValidationAccuracy is not null && r.StepInEpoch == 30 && r.StepsPerEpoch == 30));
        Assert.That(progress.Reports.Select(r => r.Step), Is.EqualTo(Enumerable.Range(1, 150).Select(i => (long)i)));
        Assert.That(progress.Reports.All(r => r.SamplesPerSecond > 0 && double.IsFinite(r.Loss) && r.Epochs == 5));
    }

    [Test]
    public void Steps_of_the_Fit_loop_allocate_nothing()
    {
        var t = AdamNet.CreateTrainer(4, seed: 1);
        t.Optimizer.Configure("*.bias", weightDecay: 0);
        var data = TestUtil.RegressionData(4 * 2 * 300, 2);
        var counter = new Counter();
        var session = Trainer.CreateSession(t, data, new FitOptions
        {
            Epochs = 1, ShuffleSeed = 3, AccumulationSteps = 2, ClipGradNorm = 0.5, Progress = counter,
            Schedule = new CosineAnnealingLR(300) { Interval = ScheduleInterval.Step },
        });
        for (int i = 0; i < 10; i++) session.RunStep();   // warm-up (JIT, first-epoch order)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++) session.RunStep();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"{allocated} bytes allocated over 200 steps (batch 4, 2 micro-batches, clipping, schedule, shuffling, progress)");
        Assert.That(allocated, Is.EqualTo(0));
        Assert.That(counter.Count, Is.EqualTo(210));
        Assert.That(t.StepCount, Is.EqualTo(210));
    }

    [Test]
    public void Evaluate_accuracy_is_the_argmax_match_rate()
    {
        // weights that score class c by feature c: predictions are argmax of the first three features
        var t = Classifier.CreateTrainer(2);
        var w = t.Parameters[0].Value; Array.Clear(w);
        w[0 * 4 + 0] = 1; w[1 * 4 + 1] = 1; w[2 * 4 + 2] = 1;
        Array.Clear(t.Parameters[1].Value);
        float[,] x = { { 5, 0, 0, 0 }, { 0, 5, 0, 0 }, { 0, 0, 5, 0 }, { 5, 0, 0, 0 }, { 0, 0, 1, 0 } };
        float[,] y = { { 1, 0, 0 }, { 0, 1, 0 }, { 1, 0, 0 }, { 0, 0, 1 }, { 0, 0, 1 } };
        // 5 samples, batch 2: the last sample is dropped; of the first four, samples 0 and 1 are right
        var r = Trainer.Evaluate(t, InMemoryDataset.FromRows(x, y));
        Assert.That(r.Samples, Is.EqualTo(4));
        Assert.That(r.Accuracy, Is.EqualTo(0.5));
        // loss: mean over the two batches of mean((pred − y)²)
        // batch 1: (5,0,0) vs (1,0,0) and (0,5,0) vs (0,1,0); batch 2: (0,0,5) vs (1,0,0) and (5,0,0) vs (0,0,1)
        double b1 = (Sq(5 - 1) + Sq(5 - 1)) / 6.0, b2 = (Sq(1) + Sq(5) + Sq(5) + Sq(1)) / 6.0;
        Assert.That(r.Loss, Is.EqualTo((b1 + b2) / 2).Within(1e-6));
        // class-index labels ([]-shaped) are compared directly
        var idx = InMemoryDataset.FromRows(new float[,] { { 0, 0, 5, 0 }, { 0, 5, 0, 0 } }, new float[] { 2, 0 });
        var predictionsOnly = Trainer.Predict(t, idx);
        Assert.That(predictionsOnly[0].Shape, Is.EqualTo(new[] { 2, 3 }));
    }

    private static double Sq(double v) => v * v;

    [Test]
    public void Predict_returns_every_sample_padding_the_last_batch()
    {
        var t = SgdNet.CreateTrainer(4, seed: 5);
        var data = TestUtil.RegressionData(10, 3);
        var pred = Trainer.Predict(t, data)[0];
        Assert.That(pred.Shape, Is.EqualTo(new[] { 10, 3 }));
        var net = new RefNet(t);
        for (int i = 0; i < 10; i++)
        {
            double h = data.Features[2 * i] * net.P[0][0] + data.Features[2 * i + 1] * net.P[0][1] + net.P[1][0];
            for (int o = 0; o < 3; o++) Assert.That(pred.Data[3 * i + o], Is.EqualTo(h * net.P[2][o] + net.P[3][o]).Within(1e-5), $"sample {i}");
        }
    }

    [Test]
    public void The_last_partial_batch_is_dropped()
    {
        var t = SgdNet.CreateTrainer(4);
        var h = Trainer.Fit(t, TestUtil.RegressionData(11, 1), new FitOptions { Epochs = 3 });
        Assert.That(h.Steps, Is.EqualTo(6));
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(SgdNet.CreateTrainer(4), TestUtil.RegressionData(7, 1), new FitOptions { AccumulationSteps = 2 }))!;
        Assert.That(e.Message, Does.Contain("fewer than one step's 8"));
    }

    [Test]
    public void Early_stopping_stops_after_patience_epochs_without_improvement()
    {
        var h = Trainer.Fit(SgdNet.CreateTrainer(4), TestUtil.RegressionData(40, 1),
            new FitOptions { Epochs = 20, EarlyStopping = new EarlyStopping(Patience: 2, MinDelta: 1e9) });
        // epoch 0 improves on +∞; epochs 1 and 2 cannot improve by 1e9
        Assert.That(h.Epochs.Count, Is.EqualTo(3));
        Assert.That(h.StoppedEarly, Is.True);
        Assert.That(h.BestEpoch, Is.EqualTo(0));
        var never = Trainer.Fit(Classifier.CreateTrainer(8), Blobs(120, 3), new FitOptions { Epochs = 4, EarlyStopping = new EarlyStopping(3) });
        Assert.That((never.Epochs.Count, never.StoppedEarly), Is.EqualTo((4, false)));
    }

    [Test]
    public void Fit_checks_the_trainer_inputs_and_the_sample_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(SgdNet.CreateTrainer(2), Blobs(12, 1)))!;
        // checked before the first step, per sample: the data set's [4] against x's [batch, 2]
        Assert.That(e.Message, Does.Contain("samples of shape [4]").And.Contain("input 'x' is [batch, 2]").And.Contain("one sample must be [2]"));
    }

    // ---- data ----

    [Test]
    public void Shuffle_is_Fisher_Yates_driven_by_Rng()
    {
        // reference: for i = n−1..1, j = ⌊u·(i+1)/2⁶⁴⌋, swap
        var order = Enumerable.Range(0, 20).ToArray();
        var expected = (int[])order.Clone();
        var rng = new Rng(77);
        for (int i = expected.Length - 1; i > 0; i--)
        {
            ulong u = rng.NextUInt64();
            int j = (int)(((UInt128)u * (UInt128)(ulong)(i + 1)) >> 64);
            (expected[i], expected[j]) = (expected[j], expected[i]);
        }
        Dataset.Shuffle(order, new Rng(77));
        Assert.That(order, Is.EqualTo(expected));
        var e0 = new int[50]; var e0b = new int[50]; var e1 = new int[50];
        Dataset.EpochOrder(e0, 5, 0); Dataset.EpochOrder(e0b, 5, 0); Dataset.EpochOrder(e1, 5, 1);
        Assert.That(e0, Is.EqualTo(e0b));
        Assert.That(e0, Is.Not.EqualTo(e1));
        Assert.That(e1.OrderBy(v => v), Is.EqualTo(Enumerable.Range(0, 50)));
    }

    [Test]
    public void Split_is_a_seeded_disjoint_partition()
    {
        var data = TestUtil.RegressionData(101, 1);
        var (a, b) = Dataset.Split(data, 0.25, 9);
        var (a2, _) = Dataset.Split(data, 0.25, 9);
        var ia = ((SubsetDataset)a).Indices; var ib = ((SubsetDataset)b).Indices;
        Assert.That((a.Count, b.Count), Is.EqualTo((76, 25)));
        Assert.That(ia.Concat(ib).OrderBy(v => v), Is.EqualTo(Enumerable.Range(0, 101)));
        Assert.That(((SubsetDataset)a2).Indices, Is.EqualTo(ia));
    }

    [Test]
    public void Csv_loads_features_and_labels_and_reports_bad_cells()
    {
        string path = Path.Combine(_dir, "d.csv");
        File.WriteAllText(path, "a,b,label\n1.5,2,0\n-3,4e-1,2\n\n");
        var d = CsvDataset.Load(path, hasHeader: true);
        Assert.That((d.Count, d.FeatureShape, d.LabelShape), Is.EqualTo((2, new[] { 2 }, Array.Empty<int>())));
        Assert.That(d.Features, Is.EqualTo(new[] { 1.5f, 2f, -3f, 0.4f }));
        Assert.That(d.Labels, Is.EqualTo(new[] { 0f, 2f }));
        var oh = CsvDataset.Load(path, labelColumn: 2, hasHeader: true, oneHotClasses: 3);
        Assert.That(oh.Labels, Is.EqualTo(new[] { 1f, 0, 0, 0, 0, 1 }));
        File.WriteAllText(path, "1,2,0\n1,x,1\n");
        Assert.That(Assert.Throws<FormatException>(() => CsvDataset.Load(path))!.Message, Does.Contain(":2:").And.Contain("column 2"));
    }

    private static byte[] IdxBytes(byte type, int[] shape, byte[] data)
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 0, 0, type, (byte)shape.Length });
        foreach (var d in shape) ms.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        ms.Write(data);
        return ms.ToArray();
    }

    [Test]
    public void Idx_loads_mnist_style_pairs_raw_or_gzipped()
    {
        var pixels = Enumerable.Range(0, 3 * 2 * 2).Select(i => (byte)(i * 20)).ToArray();
        string images = Path.Combine(_dir, "images-idx3-ubyte");
        File.WriteAllBytes(images, IdxBytes(0x08, new[] { 3, 2, 2 }, pixels));
        string labels = Path.Combine(_dir, "labels-idx1-ubyte.gz");
        using (var f = File.Create(labels))
        using (var gz = new GZipStream(f, CompressionLevel.Fastest))
            gz.Write(IdxBytes(0x08, new[] { 3 }, new byte[] { 7, 0, 9 }));
        var d = IdxFile.LoadDataset(images, labels);
        Assert.That((d.Count, d.FeatureShape, d.LabelShape), Is.EqualTo((3, new[] { 2, 2 }, Array.Empty<int>())));
        Assert.That(d.Features[5], Is.EqualTo(100.0 / 255).Within(1e-7));
        Assert.That(d.Labels, Is.EqualTo(new[] { 7f, 0f, 9f }));
        Assert.That(IdxFile.LoadDataset(images, labels, flatten: true).FeatureShape, Is.EqualTo(new[] { 4 }));
        // big-endian int32 and float payloads
        var (shape, values) = IdxFile.Parse(IdxBytes(0x0C, new[] { 2 }, new byte[] { 0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFE }));
        Assert.That((shape, values), Is.EqualTo((new[] { 2 }, new[] { 256f, -2f })));
        File.WriteAllBytes(images, IdxBytes(0x08, new[] { 3, 2, 2 }, pixels.Take(10).ToArray()));
        Assert.That(Assert.Throws<FormatException>(() => IdxFile.Read(images))!.Message, Does.Contain("truncated"));
    }
}

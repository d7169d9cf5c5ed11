using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Training.Tests.Models;

namespace TrainingGen.Training.Tests;

/// <summary>
/// Fit, Evaluate and Predict on data sets of named tensors (any number of inputs), checked against
/// hand-built batches driven through the trainer's own Step/Evaluate/Predict; and the errors for a
/// missing, extra or mis-shaped tensor.
/// </summary>
public class MultiInputFitTests : TempDirTest
{
    /// <summary>x ~ N(0, 1)⁴; yReg = x₀ − ½x₁ + noise; yBin = 1 when x₂ + x₃ &gt; 0.</summary>
    private static (float[] X, float[] YReg, float[] YBin) TwoHeadArrays(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[n * 4]; var yReg = new float[n]; var yBin = new float[n];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        for (int i = 0; i < n; i++)
        {
            yReg[i] = x[4 * i] - 0.5f * x[4 * i + 1] + (float)(0.1 * rng.NextGaussian());
            yBin[i] = x[4 * i + 2] + x[4 * i + 3] > 0 ? 1 : 0;
        }
        return (x, yReg, yBin);
    }

    private static TensorDataset TwoHeadData(int n, ulong seed)
    {
        var (x, yReg, yBin) = TwoHeadArrays(n, seed);
        return new TensorDataset(("x", new Tensor(new[] { n, 4 }, x)), ("yReg", new Tensor(new[] { n, 1 }, yReg)), ("yBin", new Tensor(new[] { n, 1 }, yBin)));
    }

    /// <summary>The samples <paramref name="idx"/> of a sample-major array, as a batch tensor [idx.Length, …sample].</summary>
    private static Tensor Gather(float[] values, int[] sampleShape, IEnumerable<int> idx)
    {
        int size = ShapeUtil.Count(sampleShape);
        var rows = idx.ToArray();
        var t = new Tensor(new[] { rows.Length }.Concat(sampleShape).ToArray());
        for (int k = 0; k < rows.Length; k++) values.AsSpan(rows[k] * size, size).CopyTo(t.Data.AsSpan(k * size));
        return t;
    }

    [Test]
    public void A_three_input_model_trains_with_Fit_and_evaluates_with_Evaluate()
    {
        var train = TwoHeadData(512, 1);
        var validation = TwoHeadData(128, 2);
        var t = TwoHeadNet.CreateTrainer(16, seed: 3);
        var before = Trainer.Evaluate(t, validation);
        var history = Trainer.Fit(t, train, new FitOptions { Epochs = 8, ShuffleSeed = 4, Validation = validation });
        var after = Trainer.Evaluate(t, validation);
        TestContext.Out.WriteLine($"validation loss {before.Loss:F4} -> {after.Loss:F4}; train loss per epoch {string.Join(", ", history.TrainLoss.Select(l => l.ToString("F4")))}");

        Assert.That(history.Steps, Is.EqualTo(8 * 32));
        Assert.That(history.Epochs[^1].TrainLoss, Is.LessThan(0.5 * history.Epochs[0].TrainLoss));
        Assert.That(after.Loss, Is.LessThan(0.3 * before.Loss));
        Assert.That(history.Epochs[^1].ValidationLoss, Is.EqualTo(after.Loss));
        Assert.That(after.Accuracy, Is.Null, "two label inputs: no single label to score an accuracy against");
        Assert.That(after.Samples, Is.EqualTo(128));

        // Evaluate's loss is the mean of trainer.Evaluate over hand-built batches, in data order.
        var (vx, vReg, vBin) = TwoHeadArrays(128, 2);
        double sum = 0;
        for (int k = 0; k < 8; k++)
        {
            var rows = Enumerable.Range(16 * k, 16).ToArray();
            sum += t.Evaluate(Gather(vx, new[] { 4 }, rows), Gather(vReg, new[] { 1 }, rows), Gather(vBin, new[] { 1 }, rows));
        }
        Assert.That(after.Loss, Is.EqualTo(sum / 8).Within(1e-12));

        // Both heads learned: the binary head's sign matches yBin, the regression head's error is small.
        var pred = Trainer.Predict(t, validation);
        int right = Enumerable.Range(0, 128).Count(i => (pred[1].Data[i] > 0) == (vBin[i] > 0.5f));
        double mse = Enumerable.Range(0, 128).Average(i => Math.Pow(pred[0].Data[i] - vReg[i], 2));
        TestContext.Out.WriteLine($"binary head accuracy {right / 128.0:P1}, regression head MSE {mse:F4}");
        Assert.That(right / 128.0, Is.GreaterThan(0.85));
        Assert.That(mse, Is.LessThan(0.25));
    }

    [Test]
    public void Predict_returns_every_non_loss_output_for_every_sample_and_needs_only_the_features()
    {
        var t = TwoHeadNet.CreateTrainer(4, seed: 5);
        var (x, _, _) = TwoHeadArrays(10, 6);
        var withLabels = Trainer.Predict(t, TwoHeadData(10, 6));
        var featuresOnly = Trainer.Predict(t, new TensorDataset(("x", new Tensor(new[] { 10, 4 }, x))));
        Assert.That(t.OutputNames, Is.EqualTo(new[] { "reg", "bin_logit" }));
        Assert.That(withLabels.Select(p => p.Shape), Is.EqualTo(new[] { new[] { 10, 1 }, new[] { 10, 1 } }));
        for (int o = 0; o < 2; o++) Assert.That(featuresOnly[o].Data, Is.EqualTo(withLabels[o].Data));
        // each batch of 4 (the last one padded) equals the trainer's own Predict on it
        for (int first = 0; first < 10; first += 4)
        {
            var rows = Enumerable.Range(first, 4).Select(i => Math.Min(i, 9)).ToArray();
            var own = t.Predict(new[] { Gather(x, new[] { 4 }, rows) });
            int n = Math.Min(4, 10 - first);
            for (int o = 0; o < 2; o++)
                Assert.That(withLabels[o].Data.Skip(first).Take(n), Is.EqualTo(own[o].Data.Take(n)), $"output {o}, batch at {first}");
        }
    }

    [Test]
    public void Tensors_are_matched_by_name_and_Fit_equals_the_hand_written_loop_bit_for_bit()
    {
        // Forward takes (a, y, b); the data set holds (b, y, a): matched by name, not position.
        const int n = 22, batch = 4;   // 5 full batches per epoch; the last 2 samples are dropped
        var rng = new Rng(7);
        float[] a = new float[n * 3], b = new float[n * 2], y = new float[n * 2];
        foreach (var arr in new[] { a, b, y }) for (int i = 0; i < arr.Length; i++) arr[i] = (float)rng.NextGaussian();
        var data = new TensorDataset(("b", new Tensor(new[] { n, 2 }, b)), ("y", new Tensor(new[] { n, 2 }, y)), ("a", new Tensor(new[] { n, 3 }, a)));

        var fitted = TwoFeatureNet.CreateTrainer(batch, seed: 8);
        var h = Trainer.Fit(fitted, data, new FitOptions { Epochs = 3, ShuffleSeed = 9 });
        Assert.That(h.Steps, Is.EqualTo(15));

        var manual = TwoFeatureNet.CreateTrainer(batch, seed: 8);
        var order = new int[n];
        for (int epoch = 0; epoch < 3; epoch++)
        {
            Dataset.EpochOrder(order, 9, epoch);
            for (int s = 0; s + batch <= n; s += batch)
            {
                var rows = order.Skip(s).Take(batch).ToArray();
                manual.Step(Gather(a, new[] { 3 }, rows), Gather(y, new[] { 2 }, rows), Gather(b, new[] { 2 }, rows));
            }
        }
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(fitted), TestUtil.Snapshot(manual)), Is.True);
    }

    [Test]
    public void An_input_whose_batch_dimension_is_not_first_is_batched_along_it()
    {
        // s is [3, batch, 2]; the data set stores one sample as [3, 2].
        const int n = 12, batch = 4;
        var rng = new Rng(10);
        float[] s = new float[n * 6], y = new float[n * 3];
        for (int i = 0; i < s.Length; i++) s[i] = (float)rng.NextGaussian();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextGaussian();
        var data = new TensorDataset(("s", new Tensor(new[] { n, 3, 2 }, s)), ("y", new Tensor(new[] { n, 3 }, y)));

        var fitted = SeqFirstNet.CreateTrainer(batch, seed: 11);
        Trainer.Fit(fitted, data, new FitOptions { Epochs = 2, ShuffleSeed = 12 });
        var manual = SeqFirstNet.CreateTrainer(batch, seed: 11);
        var order = new int[n];
        for (int epoch = 0; epoch < 2; epoch++)
        {
            Dataset.EpochOrder(order, 12, epoch);
            for (int k = 0; k < n / batch; k++)
            {
                var rows = order.Skip(k * batch).Take(batch).ToArray();
                // by hand: element [t, j, c] of the batch is sample rows[j]'s [t, c]
                var sb = new Tensor(3, batch, 2);
                for (int t = 0; t < 3; t++) for (int j = 0; j < batch; j++) for (int c = 0; c < 2; c++)
                    sb[t, j, c] = s[rows[j] * 6 + t * 2 + c];
                manual.Step(sb, Gather(y, new[] { 3 }, rows));
            }
        }
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(fitted), TestUtil.Snapshot(manual)), Is.True);
        var p = Trainer.Predict(fitted, data)[0];
        Assert.That(p.Shape, Is.EqualTo(new[] { n, 3 }));
    }

    [Test]
    public void Fit_steps_on_three_inputs_allocate_nothing()
    {
        var t = TwoHeadNet.CreateTrainer(8, seed: 1);
        var session = Trainer.CreateSession(t, TwoHeadData(8 * 300, 2), new FitOptions { Epochs = 1, ShuffleSeed = 3, ClipGradNorm = 1.0 });
        for (int i = 0; i < 10; i++) session.RunStep();   // warm-up (JIT, the first epoch's order)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++) session.RunStep();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"{allocated} bytes allocated over 200 steps of a three-input model (batch 8, shuffling, clipping)");
        Assert.That(allocated, Is.EqualTo(0));
    }

    [Test]
    public void A_resumed_three_input_Fit_equals_an_uninterrupted_one_bit_for_bit()
    {
        // dropout in the trunk: the checkpoint's random stream and the shuffle order must both resume
        var data = TwoHeadData(50, 13);   // 12 batches of 4 per epoch
        FitOptions Options(string? save, string? resume, long? max) => new()
        {
            Epochs = 3, ShuffleSeed = 14, Validation = TwoHeadData(8, 15), CheckpointPath = save, ResumeFrom = resume, MaxSteps = max,
        };
        var straight = TwoHeadNet.CreateTrainer(4, seed: 16);
        Trainer.Fit(straight, data, Options(null, null, null));
        string path = Path.Combine(_dir, "multi.ckpt");
        var first = TwoHeadNet.CreateTrainer(4, seed: 16);
        Assert.That(Trainer.Fit(first, data, Options(path, null, 17)).Steps, Is.EqualTo(17));
        var resumed = TwoHeadNet.CreateTrainer(4, seed: 99);
        Assert.That(Trainer.Fit(resumed, data, Options(null, path, null)).Steps, Is.EqualTo(36 - 17));
        Assert.That(TestUtil.BitwiseEqual(TestUtil.Snapshot(resumed), TestUtil.Snapshot(straight)), Is.True);
        Assert.That(resumed.RandomStreams[0].Generator.State, Is.EqualTo(straight.RandomStreams[0].Generator.State));
    }

    [Test]
    public void Split_of_a_tensor_data_set_keeps_the_names_and_the_seeded_order()
    {
        var data = TwoHeadData(20, 17);
        var (train, val) = Dataset.Split(data, 0.25, seed: 18);
        Assert.That((train.Count, val.Count), Is.EqualTo((15, 5)));
        Assert.That(train.Names, Is.EqualTo(new[] { "x", "yReg", "yBin" }));
        var order = Enumerable.Range(0, 20).ToArray();
        Dataset.Shuffle(order, new Rng(18));
        Assert.That(((TensorSubset)val).Indices, Is.EqualTo(order.Take(5)));
        Assert.That(((TensorSubset)train).Indices, Is.EqualTo(order.Skip(5)));
        // the same split as the features/labels overload gives
        var legacy = Dataset.Split(TestUtil.RegressionData(20, 1), 0.25, seed: 18);
        Assert.That(((SubsetDataset)legacy.Validation).Indices, Is.EqualTo(order.Take(5)));
        // a features/labels set split through the named overload stays one (matched by role)
        ITensorDataset roles = TestUtil.RegressionData(20, 1);
        var viaNamed = Dataset.Split(roles, 0.25, seed: 18);
        Assert.That(viaNamed.Validation, Is.InstanceOf<SubsetDataset>());
        Assert.That(Trainer.Evaluate(SgdNet.CreateTrainer(5), viaNamed.Validation).Samples, Is.EqualTo(5));
    }

    // ---- errors: each names the tensor and shows what the trainer expects ----

    private const string Expected = "x [batch, 4], yReg [batch, 1], yBin [batch, 1]";

    private static TensorDataset Named(params (string Name, int[] Sample)[] tensors) =>
        new(tensors.Select(t => (t.Name, (ITensorInput)new Tensor(new[] { 8 }.Concat(t.Sample).ToArray()))).ToArray());

    private static string FitError(ITensorDataset data) =>
        Assert.Throws<ArgumentException>(() => Trainer.Fit(TwoHeadNet.CreateTrainer(4), data))!.Message;

    [Test]
    public void A_missing_input_is_named_with_the_expected_names_and_shapes()
    {
        string m = FitError(Named(("x", new[] { 4 }), ("yReg", new[] { 1 })));
        TestContext.Out.WriteLine(m);
        Assert.That(m, Does.StartWith("Trainer.Fit: the data set does not match the trainer's inputs: it has no tensor for the trainer's input 'yBin'."));
        Assert.That(m, Does.Contain($"The trainer takes inputs ({Expected}); the data set has (x [4], yReg [1]) per sample."));
    }

    [Test]
    public void An_extra_tensor_is_named_and_a_case_slip_is_pointed_out()
    {
        string extra = FitError(Named(("x", new[] { 4 }), ("yReg", new[] { 1 }), ("yBin", new[] { 1 }), ("weights", new[] { 1 })));
        TestContext.Out.WriteLine(extra);
        Assert.That(extra, Does.Contain("it has a tensor 'weights' that matches no input."));
        Assert.That(extra, Does.Contain(Expected));

        string slip = FitError(Named(("x", new[] { 4 }), ("yReg", new[] { 1 }), ("ybin", new[] { 1 })));
        TestContext.Out.WriteLine(slip);
        Assert.That(slip, Does.Contain("no tensor for the trainer's input 'yBin', and a tensor 'ybin' that matches no input (did you mean 'yBin'? names are case-sensitive)"));
    }

    [Test]
    public void A_wrong_shape_names_the_tensor_and_both_shapes()
    {
        string m = FitError(Named(("x", new[] { 4 }), ("yReg", new[] { 2 }), ("yBin", new[] { 1 })));
        TestContext.Out.WriteLine(m);
        Assert.That(m, Is.EqualTo(
            "Trainer.Fit: the data set's tensor 'yReg' has samples of shape [2], but the trainer's input 'yReg' is [batch, 1], so one sample must be [1]. " +
            $"The trainer takes inputs ({Expected}). (Parameter 'train')"));
        // the features/labels data set gets the same check (by role)
        var legacy = new InMemoryDataset(new float[8 * 3], new[] { 3 }, new float[8 * 3], new[] { 3 });
        var e = Assert.Throws<ArgumentException>(() => Trainer.Evaluate(SgdNet.CreateTrainer(4), legacy))!;
        Assert.That(e.Message, Does.StartWith("Trainer.Evaluate: the data set's features has samples of shape [3], but the trainer's input 'x' is [batch, 2], so one sample must be [2]."));
    }

    [Test]
    public void A_features_labels_data_set_with_a_three_input_trainer_says_what_to_use_instead()
    {
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(TwoHeadNet.CreateTrainer(4), TestUtil.RegressionData(8, 1)))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.StartWith($"Trainer.Fit: a features/labels data set (IDataset) fits only a trainer with one feature input and one label input; this one takes ({Expected})."));
        Assert.That(e.Message, Does.Contain("Use a TensorDataset"));
    }

    [Test]
    public void Predict_needs_only_the_features_but_rejects_unknown_tensors_and_Validation_is_checked_too()
    {
        var t = TwoHeadNet.CreateTrainer(4);
        var m = Assert.Throws<ArgumentException>(() => Trainer.Predict(t, Named(("yReg", new[] { 1 }))))!.Message;
        Assert.That(m, Does.StartWith("Trainer.Predict: the data set does not match the trainer's features: it has no tensor for the trainer's input 'x'."));
        Assert.That(m, Does.Contain("The trainer takes features (x [batch, 4])"));
        m = Assert.Throws<ArgumentException>(() => Trainer.Predict(t, Named(("x", new[] { 4 }), ("z", new[] { 1 }))))!.Message;
        Assert.That(m, Does.Contain("a tensor 'z' that matches no input"));

        m = Assert.Throws<ArgumentException>(() => Trainer.Fit(t, TwoHeadData(8, 1), new FitOptions { Validation = Named(("x", new[] { 4 }), ("yReg", new[] { 1 })) }))!.Message;
        Assert.That(m, Does.StartWith("Trainer.Fit (FitOptions.Validation): the data set does not match the trainer's inputs: it has no tensor for the trainer's input 'yBin'."));
    }

    [Test]
    public void The_list_form_of_Step_is_callable_on_the_concrete_trainer()
    {
        // compiles only if Step(IReadOnlyList<Tensor>) is public on the generated type (not hidden by Step(x, yReg, yBin))
        var t = TwoHeadNet.CreateTrainer(2, seed: 1);
        var inputs = new[] { new Tensor(2, 4), new Tensor(2, 1), new Tensor(2, 1) };
        float viaList = t.Evaluate(inputs);
        Assert.That(viaList, Is.EqualTo(t.Evaluate(inputs[0], inputs[1], inputs[2])));
        Assert.That(float.IsFinite(t.Step(inputs)), Is.True);
        Assert.That(t.StepCount, Is.EqualTo(1));
        Assert.That(t.Predict(new[] { inputs[0] }).Count, Is.EqualTo(2));
        Assert.That(t.InputShapes, Is.EqualTo(new[] { new[] { Dim.Batch, 4 }, new[] { Dim.Batch, 1 }, new[] { Dim.Batch, 1 } }));
    }

    [Test]
    public void A_tensor_data_set_rejects_bad_construction()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new TensorDataset(("x", new Tensor(3, 2)), ("y", new Tensor(4, 1))))!.Message,
            Does.StartWith("Tensor 'y' [4, 1] has 4 samples, but 'x' [3, 2] has 3."));
        Assert.That(Assert.Throws<ArgumentException>(() => new TensorDataset(("x", new Tensor(3, 2)), ("x", new Tensor(3, 1))))!.Message,
            Does.StartWith("Two tensors are named 'x'."));
        Assert.Throws<ArgumentException>(() => new TensorDataset());
        Assert.Throws<ArgumentException>(() => new TensorDataset(("s", Tensor.Scalar(1))));
        var d = new TensorDataset(new Dictionary<string, Tensor> { ["x"] = new Tensor(3, 2) });
        Assert.That(d["x"].Shape, Is.EqualTo(new[] { 3, 2 }));
        Assert.That(d.SampleShapes[0], Is.EqualTo(new[] { 2 }));
    }
}

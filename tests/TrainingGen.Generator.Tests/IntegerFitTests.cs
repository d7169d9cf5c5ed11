using System;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;
using TrainingGen.Tests.Models.Integers;

namespace TrainingGen.Tests;

/// <summary>
/// Fit, Evaluate and Predict on data sets holding IntTensors: int32 token ids and class labels are
/// matched by name to the IntTensor parameters of Forward, batched without allocating, split and
/// shuffled like float tensors; a tensor of the wrong element type is refused by name.
/// </summary>
public class IntegerFitTests
{
    private const int Tokens = 3, Classes = 3;

    /// <summary>n samples of 3 token ids below 10, labelled by the learnable rule "first id mod 3".</summary>
    private static (IntTensor Ids, IntTensor Labels) TokenData(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var ids = new IntTensor(n, Tokens);
        for (int i = 0; i < ids.Count; i++) ids.Data[i] = (int)(rng.NextDouble() * 10);
        var labels = new IntTensor(n);
        for (int s = 0; s < n; s++) labels.Data[s] = ids.Data[s * Tokens] % Classes;
        return (ids, labels);
    }

    private static TensorDataset TokenSet(int n, ulong seed)
    {
        var (ids, labels) = TokenData(n, seed);
        return new TensorDataset(("ids", ids), ("labels", labels));
    }

    [Test]
    public void The_int_model_trains_with_Fit_on_int32_ids_and_labels_and_evaluates()
    {
        var data = TokenSet(64, 1);
        var (train, validation) = Dataset.Split(data, 0.25, seed: 2);
        Assert.That(train.DTypes, Is.EqualTo(new[] { TensorDType.Int32, TensorDType.Int32 }), "a split keeps the element types");
        var t = TokenTagger.CreateTrainer(8, seed: 3);
        var before = Trainer.Evaluate(t, data);
        var history = Trainer.Fit(t, train, new FitOptions { Epochs = 30, ShuffleSeed = 4, Validation = validation });
        var after = Trainer.Evaluate(t, data);
        Assert.That(history.Epochs.Last().ValidationAccuracy, Is.Not.Null, "validation accuracy on int32 labels");
        Assert.That(after.Loss, Is.LessThan(0.5 * before.Loss), $"loss {before.Loss} → {after.Loss}");
        Assert.That(after.Accuracy, Is.EqualTo(1.0), "accuracy against int32 class labels");

        // Accuracy counted by hand from Predict (which takes the int32 ids alone).
        var logits = Trainer.Predict(t, new TensorDataset(("ids", data.Get("ids"))))[0];
        var labels = ((IntTensor)data.Get("labels")).Data;
        int correct = 0, n = data.Count / 8 * 8;
        for (int s = 0; s < n; s++)
        {
            var row = logits.Data.AsSpan(s * Classes, Classes).ToArray().ToList();
            if (row.IndexOf(row.Max()) == labels[s]) correct++;
        }
        Assert.That(Trainer.Evaluate(t, data).Accuracy, Is.EqualTo((double)correct / n));
    }

    [Test]
    public void Fit_with_int_labels_equals_a_hand_written_Step_loop_bit_for_bit()
    {
        const int b = 4, epochs = 3;
        var (ids, labels) = TokenData(22, 5);   // 5 batches per epoch, the last 2 samples dropped
        var fitted = TokenTagger.CreateTrainer(b, seed: 6);
        Trainer.Fit(fitted, new TensorDataset(("ids", ids), ("labels", labels)), new FitOptions { Epochs = epochs, ShuffleSeed = 7 });

        var manual = TokenTagger.CreateTrainer(b, seed: 6);
        var order = new int[ids.Shape[0]];
        var x = new IntTensor(b, Tokens);
        var y = new IntTensor(b);
        for (int e = 0; e < epochs; e++)
        {
            Dataset.EpochOrder(order, 7, e);
            for (int k = 0; k < order.Length / b; k++)
            {
                for (int s = 0; s < b; s++)
                {
                    int i = order[k * b + s];
                    ids.Data.AsSpan(i * Tokens, Tokens).CopyTo(x.Data.AsSpan(s * Tokens));
                    y.Data[s] = labels.Data[i];
                }
                manual.Step(x, y);
            }
        }
        Assert.That(fitted.StepCount, Is.EqualTo(manual.StepCount).And.EqualTo(15));
        for (int p = 0; p < fitted.Parameters.Count; p++)
            Assert.That(fitted.Parameters[p].Value.Select(BitConverter.SingleToInt32Bits),
                Is.EqualTo(manual.Parameters[p].Value.Select(BitConverter.SingleToInt32Bits)), fitted.Parameters[p].Name);
        for (int p = 0; p < fitted.OptimizerState.Count; p++)
            Assert.That(fitted.OptimizerState[p].Value.Select(BitConverter.SingleToInt32Bits),
                Is.EqualTo(manual.OptimizerState[p].Value.Select(BitConverter.SingleToInt32Bits)), fitted.OptimizerState[p].Name);
    }

    [Test]
    public void Float_features_with_int32_labels_fit_and_float_labels_in_a_named_set_are_refused()
    {
        var rng = new Rng(9);
        var x = new Tensor(32, 4);
        var y = new IntTensor(32);
        for (int i = 0; i < 32; i++)
        {
            y.Data[i] = i % Classes;
            for (int j = 0; j < 4; j++) x.Data[i * 4 + j] = (float)rng.NextGaussian() * 0.3f + (j == i % Classes ? 2f : 0f);
        }
        var t = IntNllClassifier.CreateTrainer(4, seed: 4);
        var data = new TensorDataset(("x", x), ("labels", y));
        var before = Trainer.Evaluate(t, data);
        Trainer.Fit(t, data, new FitOptions { Epochs = 5 });
        var after = Trainer.Evaluate(t, data);
        Assert.That(after.Loss, Is.LessThan(0.5 * before.Loss));
        Assert.That(after.Accuracy, Is.EqualTo(1.0));

        var floatLabels = new TensorDataset(("x", x), ("labels", y.ToFloat()));
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(t, floatLabels))!;
        Assert.That(e.Message, Does.Contain("tensor 'labels' is float32 (a Tensor)").And.Contain("input 'labels' [batch] is int32 (an IntTensor)").And.Contain("IntTensor.FromFloats"));
        var intFeatures = new TensorDataset(("x", IntTensor.FromFloats(new Tensor(32, 4))), ("labels", y));
        var f = Assert.Throws<ArgumentException>(() => Trainer.Evaluate(t, intFeatures))!;
        Assert.That(f.Message, Does.Contain("tensor 'x' is int32 (an IntTensor)").And.Contain("input 'x' [batch, 4] is float32 (a Tensor)"));
        var p = Assert.Throws<ArgumentException>(() => Trainer.Predict(TokenTagger.CreateTrainer(4), new TensorDataset(("ids", new Tensor(8, Tokens)))))!;
        Assert.That(p.Message, Does.Contain("Trainer.Predict").And.Contain("tensor 'ids' is float32").And.Contain("input 'ids' [batch, 3] is int32"));
    }

    [Test]
    public void Fit_steps_on_int32_inputs_allocate_nothing()
    {
        var t = TokenTagger.CreateTrainer(8, seed: 1);
        var session = Trainer.CreateSession(t, TokenSet(8 * 300, 2), new FitOptions { Epochs = 1, ShuffleSeed = 3, ClipGradNorm = 1.0 });
        for (int i = 0; i < 10; i++) session.RunStep();   // warm-up (JIT, the first epoch's order)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++) session.RunStep();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"{allocated} bytes allocated over 200 steps of the int32 token model (batch 8, shuffling, clipping)");
        Assert.That(allocated, Is.EqualTo(0));
    }

    [Test]
    public void A_resumed_int_Fit_equals_an_uninterrupted_one_bit_for_bit()
    {
        var data = TokenSet(30, 11);
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tg-intfit-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        try
        {
            string ckpt = System.IO.Path.Combine(dir, "run.ckpt");
            var whole = TokenTagger.CreateTrainer(4, seed: 12);
            Trainer.Fit(whole, data, new FitOptions { Epochs = 3, ShuffleSeed = 13 });

            var first = TokenTagger.CreateTrainer(4, seed: 12);
            Trainer.Fit(first, data, new FitOptions { Epochs = 3, ShuffleSeed = 13, MaxSteps = 10, CheckpointPath = ckpt });
            var resumed = TokenTagger.CreateTrainer(4, seed: 99);
            Trainer.Fit(resumed, data, new FitOptions { Epochs = 3, ShuffleSeed = 13, ResumeFrom = ckpt });
            Assert.That(resumed.StepCount, Is.EqualTo(whole.StepCount).And.EqualTo(21));
            for (int p = 0; p < whole.Parameters.Count; p++)
                Assert.That(resumed.Parameters[p].Value.Select(BitConverter.SingleToInt32Bits),
                    Is.EqualTo(whole.Parameters[p].Value.Select(BitConverter.SingleToInt32Bits)), whole.Parameters[p].Name);
        }
        finally { System.IO.Directory.Delete(dir, recursive: true); }
    }
}

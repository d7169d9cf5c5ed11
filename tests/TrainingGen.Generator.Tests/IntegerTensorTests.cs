using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML;
using TrainingGen.CoreML.Mil;
using TrainingGen.Data;
using TrainingGen.Tests.Models.Integers;
using PbSpec = TrainingGen.CoreML.Proto;
using PbMil = TrainingGen.CoreML.Proto.MilSpec;

namespace TrainingGen.Tests;

/// <summary>
/// Integer (int32) inputs end to end: IntTensor token ids and class labels train, their gradients
/// match float64 finite differences, the exported package takes int32 inputs (checked in the
/// protobuf), and the MIL interpreter's train_step equals the trainer's step.
/// </summary>
public class IntegerTensorTests
{
    private const int Batch = 4, Vocabulary = 10, Dim = 4, Tokens = 3, Classes = 3;

    private static IntTensor Ids(Rng rng, int batch)
    {
        var t = new IntTensor(batch, Tokens);
        for (int i = 0; i < t.Count; i++) t.Data[i] = (int)(rng.NextDouble() * Vocabulary);
        return t;
    }

    /// <summary>A learnable rule: the class is the first token's id mod 3.</summary>
    private static IntTensor LabelsOf(IntTensor ids)
    {
        var y = new IntTensor(ids.Shape[0]);
        for (int b = 0; b < y.Count; b++) y.Data[b] = ids.Data[b * Tokens] % Classes;
        return y;
    }

    /// <summary>TokenTagger's loss in float64 from its parameters (state_dict order) and integer inputs.</summary>
    private static double TaggerLoss(double[][] p, int[] ids, int[] labels, int batch)
    {
        double[] table = p[0], w = p[1], bias = p[2];
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            var h = new double[Tokens * Dim];
            for (int t = 0; t < Tokens; t++)
                for (int d = 0; d < Dim; d++) h[t * Dim + d] = Math.Max(0, table[ids[b * Tokens + t] * Dim + d]);
            var logits = new double[Classes];
            for (int c = 0; c < Classes; c++)
            {
                logits[c] = bias[c];
                for (int k = 0; k < h.Length; k++) logits[c] += w[c * h.Length + k] * h[k];
            }
            total += SmoothedCrossEntropy(logits, labels[b], 0.1);
        }
        return total / batch;
    }

    /// <summary>torch's cross_entropy with label smoothing ε: −(1 − ε)·log p[y] − (ε/n)·Σ log p.</summary>
    private static double SmoothedCrossEntropy(double[] logits, int label, double eps)
    {
        double max = logits.Max(), z = Math.Log(logits.Sum(v => Math.Exp(v - max))) + max;
        double sumLogP = logits.Sum(v => v - z);
        return -(1 - eps) * (logits[label] - z) - eps / logits.Length * sumLogP;
    }

    private static void Randomise(ITrainer t, ulong seed)
    {
        var rng = new Rng(seed);
        foreach (var p in t.Parameters)
            for (int i = 0; i < p.Value.Length; i++)
            {
                double v = rng.NextGaussian();
                if (Math.Abs(v) < 0.05) v = 0.05 * Math.Sign(v == 0 ? 1 : v); // away from relu's kink
                p.Value[i] = (float)v;
            }
    }

    [Test]
    public void Token_ids_and_labels_get_gradients_equal_to_float64_finite_differences()
    {
        var t = TokenTagger.CreateTrainer(Batch);
        Assert.That(t.Parameters.Select(p => p.Name), Is.EqualTo(new[] { "model.tokens.weight", "model.head.weight", "model.head.bias" }));
        Randomise(t, 11);
        var rng = new Rng(12);
        var ids = Ids(rng, Batch);
        var labels = IntTensor.Vector(new[] { 0, 2, 1, 2 });

        float loss = t.ComputeGradients(ids, labels);

        var p = t.Parameters.Select(q => TestUtil.ToDouble(q.Value)).ToArray();
        double reference = TaggerLoss(p, ids.Data, labels.Data, Batch);
        Assert.That(loss, Is.EqualTo(reference).Within(1e-5 * Math.Max(1, Math.Abs(reference))));
        for (int k = 0; k < p.Length; k++)
        {
            var fd = new double[p[k].Length];
            for (int i = 0; i < fd.Length; i++)
            {
                double keep = p[k][i], eps = 1e-6 * Math.Max(1, Math.Abs(keep));
                p[k][i] = keep + eps; double up = TaggerLoss(p, ids.Data, labels.Data, Batch);
                p[k][i] = keep - eps; double down = TaggerLoss(p, ids.Data, labels.Data, Batch);
                p[k][i] = keep;
                fd[i] = (up - down) / (2 * eps);
            }
            double err = TestUtil.RelativeError(TestUtil.ToDouble(t.Parameters[k].Gradient!), fd);
            Assert.That(err, Is.LessThanOrEqualTo(1e-4), $"{t.Parameters[k].Name}: relative error {err:E2}");
        }
        // Rows of the table no id selects get no gradient (the scatter-add's zeros).
        var unused = Enumerable.Range(0, Vocabulary).Except(ids.Data).ToList();
        Assert.That(unused, Is.Not.Empty, "the test needs a row no id selects");
        foreach (int row in unused)
            Assert.That(t.Parameters[0].Gradient!.Skip(row * Dim).Take(Dim), Is.All.EqualTo(0f), $"row {row}");
    }

    [Test]
    public void The_int_model_trains_and_the_loss_decreases()
    {
        var t = TokenTagger.CreateTrainer(8, seed: 3);
        var ids = Ids(new Rng(5), 8);
        var labels = LabelsOf(ids);
        float first = t.Step(ids, labels), last = first;
        for (int s = 0; s < 60; s++) last = t.Step(ids, labels);
        Assert.That(last, Is.LessThan(0.5f * first), $"loss {first} → {last}");
        var predicted = t.Predict(ids);
        for (int b = 0; b < 8; b++)
        {
            var row = predicted.Data.Skip(b * Classes).Take(Classes).ToList();
            Assert.That(row.IndexOf(row.Max()), Is.EqualTo(labels.Data[b]), $"sample {b}");
        }
    }

    [Test]
    public void The_eager_model_with_an_IntTensor_equals_the_trainers_prediction()
    {
        var t = TokenTagger.CreateTrainer(Batch, seed: 7);
        var model = new TokenClassifier();
        var ids = Ids(new Rng(8), Batch);
        var training = new TokenTagger();
        t.CopyTo(training);
        var eager = training.Model.Forward(ids);
        var compiled = t.Predict(ids);
        Assert.That(TestUtil.RelativeError(compiled.Data, eager.Data), Is.LessThanOrEqualTo(1e-6));
        // The eager float-index path gives the same rows.
        Assert.That(training.Model.Tokens.Forward(ids.ToFloat()).Data, Is.EqualTo(training.Model.Tokens.Forward(ids).Data));
        Assert.That(model.Tokens.Weight.Shape, Is.EqualTo(new[] { Vocabulary, Dim }));
    }

    [Test]
    public void The_package_takes_int32_inputs_in_the_protobuf_and_the_manifest()
    {
        var t = TokenTagger.CreateTrainer(Batch);
        string dir = TestUtil.TempDir();
        try
        {
            string path = Path.Combine(dir, "tagger.mlpackage");
            t.ExportPackage(path);
            var proto = PbSpec.Model.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(path, "Data", "com.apple.CoreML", "model.mlmodel")));
            foreach (var function in new[] { "main", "forward", "backward", "train_step" })
            {
                var described = proto.Description.Functions.Single(f => f.Name == function);
                var program = proto.MlProgram.Functions[function];
                var inputs = function == "main" ? new[] { "ids" } : new[] { "ids", "labels" };
                foreach (var name in inputs)
                {
                    Assert.That(described.Input.Single(i => i.Name == name).Type.MultiArrayType.DataType,
                        Is.EqualTo(PbSpec.ArrayFeatureType.Types.ArrayDataType.Int32), $"{function}: description of {name}");
                    Assert.That(program.Inputs.Single(i => i.Name == name).Type.TensorType.DataType,
                        Is.EqualTo(PbMil.DataType.Int32), $"{function}: MIL input {name}");
                }
                // Besides them only the optimizer's step counter is int32 (as before).
                Assert.That(described.Input.Where(i => !inputs.Contains(i.Name) && i.Name != TrainingNames.Step).Select(i => i.Type.MultiArrayType.DataType),
                    Has.None.EqualTo(PbSpec.ArrayFeatureType.Types.ArrayDataType.Int32), $"{function}: only the integer inputs are int32");
            }
            var manifest = TrainingManifest.FromJson(MlPackage.Open(path).UserDefined[TrainingManifest.MetadataKey]);
            Assert.That(manifest.Features.Select(f => (f.Name, f.DType)), Is.EqualTo(new[] { ("ids", "int32") }));
            Assert.That(manifest.Labels.Select(f => (f.Name, f.DType)), Is.EqualTo(new[] { ("labels", "int32") }));
            Assert.That(manifest.Predictions.Select(f => f.DType), Is.All.EqualTo("fp32"));
            // int32 indices go straight into gather / one_hot / scatter: no cast of an integer input.
            var ops = MlPackage.Open(path).Program.Function("train_step").Operations;
            Assert.That(ops.Where(o => o.Type == "cast"), Is.Empty, "no casts");
            Assert.That(ops.Select(o => o.Type), Does.Contain("gather").And.Contain("one_hot").And.Contain("scatter"));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>train_step of the exported package, run by the MIL interpreter on int32 inputs, equals the trainer's Step.</summary>
    [TestCase(typeof(TokenTagger))]
    [TestCase(typeof(IntNllClassifier))]
    public void The_interpreters_train_step_on_int32_inputs_equals_the_trainer(Type model)
    {
        var t = (ITrainer)model.GetMethod("CreateTrainer")!.Invoke(null, new object[] { Batch, 0 })!;
        var rng = new Rng(21);
        for (int step = 0; step < 3; step++)
        {
            var inputs = Inputs(t, rng);
            using var ev = Evaluator.FromSpec(t.BuildPackage());
            Assert.That(ev.Describe("train_step").Inputs.Where(i => i.Name == "labels").Select(i => i.DType), Is.EqualTo(new[] { MilDType.Int32 }));
            var feed = new Dictionary<string, MilTensor>
            {
                [TrainingNames.LearningRate] = MilTensor.Float32(new[] { 1 }, new[] { t.LearningRate }),
                [TrainingNames.Step] = MilTensor.Int32(new[] { 1 }, new[] { (int)t.StepCount }),
            };
            for (int k = 0; k < inputs.Length; k++)
                feed[t.InputNames[k]] = inputs[k] is IntTensor i ? MilTensor.Int32(i.Shape, (int[])i.Data.Clone()) : TestUtil.Mil((Tensor)inputs[k]);
            foreach (var p in t.Parameters.Concat(t.OptimizerState)) feed[p.MilName] = TestUtil.Mil(p.Shape, p.Value);
            var outputs = ev.Run("train_step", feed).ToDictionary(o => o.Key, o => o.Value);

            float loss = t.Step(inputs);
            Assert.That(outputs[TrainingNames.Loss].Floats![0], Is.EqualTo(loss).Within(1e-5 * Math.Max(1, Math.Abs(loss))), $"step {step}: loss");
            var prediction = t.Predict(inputs.Where((_, k) => t.FeatureNames.Contains(t.InputNames[k])).ToList())[0];
            foreach (var p in t.Parameters.Concat(t.OptimizerState))
                Assert.That(TestUtil.RelativeError(outputs[TrainingNames.Updated(p.MilName)].Floats!, p.Value), Is.LessThanOrEqualTo(1e-5), $"step {step}: {p.Name}");
            Assert.That(prediction.Count, Is.EqualTo(Batch * Classes));
        }
    }

    private static ITensorInput[] Inputs(ITrainer t, Rng rng)
    {
        if (t.InputNames.SequenceEqual(new[] { "ids", "labels" }))
        {
            var ids = Ids(rng, Batch);
            return new ITensorInput[] { ids, LabelsOf(ids) };
        }
        var x = TestUtil.RandomTensor(rng, Batch, 4);
        var y = new IntTensor(Batch);
        for (int b = 0; b < Batch; b++) y.Data[b] = (int)(rng.NextDouble() * Classes);
        return new ITensorInput[] { x, y };
    }

    [Test]
    public void The_list_form_takes_IntTensors_and_float_tensors_of_whole_numbers()
    {
        var a = IntNllClassifier.CreateTrainer(Batch, seed: 1);
        var b = IntNllClassifier.CreateTrainer(Batch, seed: 1);
        var x = TestUtil.RandomTensor(new Rng(2), Batch, 4);
        var y = IntTensor.Vector(new[] { 2, 0, 1, 1 });
        float typed = a.Step(x, y);
        float listed = ((ITrainer)b).Step(new ITensorInput[] { x, y.ToFloat() });
        Assert.That(listed, Is.EqualTo(typed));
        Assert.That(b.Parameters[0].Value, Is.EqualTo(a.Parameters[0].Value));

        var notWhole = y.ToFloat();
        notWhole.Data[2] = 1.5f;
        var e = Assert.Throws<ArgumentException>(() => ((ITrainer)b).Step(new ITensorInput[] { x, notWhole }))!;
        Assert.That(e.Message, Does.Contain("'labels'").And.Contain("element 2").And.Contain("1.5"));
        var wrongType = Assert.Throws<ArgumentException>(() => ((ITrainer)b).Step(new ITensorInput[] { y, y }))!;
        Assert.That(wrongType.Message, Does.Contain("Input 'x'").And.Contain("int32").And.Contain("float32 Tensor"));
        var wrongShape = Assert.Throws<ArgumentException>(() => b.Step(x, new IntTensor(Batch + 1)))!;
        Assert.That(wrongShape.Message, Does.Contain("'labels'").And.Contain("[5]").And.Contain("[4]"));
    }

    [Test]
    public void Fit_and_Evaluate_train_an_int_label_model_from_a_float_data_set()
    {
        var rng = new Rng(9);
        var features = new float[32, 4];
        var classes = new float[32];
        for (int i = 0; i < 32; i++)
        {
            classes[i] = i % Classes;
            for (int j = 0; j < 4; j++) features[i, j] = (float)rng.NextGaussian() * 0.3f + (j == i % Classes ? 2f : 0f);
        }
        var data = InMemoryDataset.FromRows(features, classes);
        var t = IntNllClassifier.CreateTrainer(Batch, seed: 4);
        var before = Trainer.Evaluate(t, data);
        Trainer.Fit(t, data, new FitOptions { Epochs = 5 });
        var after = Trainer.Evaluate(t, data);
        Assert.That(after.Loss, Is.LessThan(0.5 * before.Loss));
        Assert.That(after.Accuracy, Is.EqualTo(1.0));
    }

    [Test]
    public void Int64_values_are_checked_on_the_way_in()
    {
        var ok = IntTensor.FromInt64(new[] { 2, 2 }, new long[] { 0, -1, int.MaxValue, int.MinValue }, "ids");
        Assert.That(ok.Data, Is.EqualTo(new[] { 0, -1, int.MaxValue, int.MinValue }));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => IntTensor.FromInt64(new[] { 2, 2 }, new long[] { 0, 1, 2, 1L << 32 }, "ids"))!;
        Assert.That(e.Message, Does.Contain("'ids'").And.Contain("element 3").And.Contain("[1, 1]").And.Contain("4294967296"));
        Assert.Throws<ArgumentOutOfRangeException>(() => IntTensor.FromInt64(new[] { 1 }, new long[] { (long)int.MinValue - 1 }, "labels"));
        Assert.Throws<ArgumentException>(() => IntTensor.FromInt64(new[] { 3 }, new long[] { 1, 2 }, "labels"));
    }

    [Test]
    public void Eager_integer_losses_equal_their_float_label_forms_and_reject_bad_labels()
    {
        var logits = TestUtil.RandomTensor(new Rng(31), 4, 5);
        var labels = IntTensor.Vector(new[] { 4, 0, 3, 3 });
        Assert.That(Ops.CrossEntropy(logits, labels, 0.2f).ToScalar(), Is.EqualTo(Ops.CrossEntropy(logits, labels.ToFloat(), 0.2f).ToScalar()));
        var logp = Ops.LogSoftmax(logits);
        Assert.That(Ops.NllLoss(logp, labels, Reduction.Sum).ToScalar(), Is.EqualTo(Ops.NllLoss(logp, labels.ToFloat(), Reduction.Sum).ToScalar()));
        double expected = -Enumerable.Range(0, 4).Sum(b => (double)logp.Data[b * 5 + labels.Data[b]]);
        Assert.That(Ops.NllLoss(logp, labels, Reduction.Sum).ToScalar(), Is.EqualTo(expected).Within(1e-5));
        var bad = IntTensor.Vector(new[] { 0, 5, 0, 0 });
        Assert.That(Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(logits, bad))!.Message, Does.Contain("label 5 of sample 1"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Embedding(3, 2).Forward(IntTensor.Vector(new[] { 1, -1 })))!.Message, Does.Contain("index -1 at position 1"));
    }
}

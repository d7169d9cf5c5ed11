// QuickStart: train the seed model for 100 steps, export the Core ML training package, then run
// one more step through the package (the Evaluator's MIL interpreter) and through the trainer.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuickStart;
using TrainingGen;
using TrainingGen.CoreML.Mil;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string output = args.Length > 0 ? args[0] : "model.mlpackage";

// Fixed random data, x: [2, 2], y: [2, 3], as in Apple's example.
var rng = new Rng(2024);
Tensor Random(params int[] shape)
{
    var t = new Tensor(shape);
    for (int i = 0; i < t.Count; i++) t.Data[i] = (float)rng.NextGaussian();
    return t;
}
var x = Random(2, 2);
var y = Random(2, 3);

var trainer = ModelToExport.CreateTrainer(batchSize: 2, seed: 0);
Console.WriteLine($"Training {string.Join(", ", trainer.Parameters.Select(p => $"{p.Name} [{string.Join(", ", p.Shape)}]"))}");
float first = 0, last = float.PositiveInfinity;
bool monotonic = true;
for (int step = 1; step <= 100; step++)
{
    float loss = trainer.Step(x, y);                             // one-line update
    monotonic &= loss < last;
    last = loss;
    if (step == 1) first = loss;
    if (step % 10 == 0) Console.WriteLine($"step {step,3}  loss {last:F6}");
}
Console.WriteLine(monotonic ? $"Loss fell at every step, from {first:F6} to {last:F6}." : $"Loss did not fall at every step ({first:F6} -> {last:F6}).");

trainer.ExportPackage(output);                                   // Core ML training package
Console.WriteLine($"Wrote {Path.GetFullPath(output)}");

using var evaluator = Evaluator.Open(output);
Console.WriteLine($"Functions: {string.Join(", ", evaluator.Functions)} (default: {evaluator.DefaultFunction})");
foreach (var name in evaluator.Functions)
{
    var f = evaluator.Describe(name);
    Console.WriteLine($"  {name}({string.Join(", ", f.Inputs.Select(i => i.Name))}) -> {string.Join(", ", f.Outputs.Select(o => o.Name))}");
}

// Step 101, twice from the same state: once on the package's train_step, once on the trainer.
var inputs = new Dictionary<string, MilTensor>
{
    ["x"] = MilTensor.Float32(x.Shape, x.Data),
    ["y"] = MilTensor.Float32(y.Shape, y.Data),
    ["learning_rate"] = MilTensor.Float32(new[] { 1 }, new[] { trainer.LearningRate }),
    ["step"] = MilTensor.Int32(new[] { 1 }, new[] { (int)trainer.StepCount }),
};
foreach (var t in trainer.Parameters.Concat(trainer.OptimizerState))
    inputs[t.MilName] = MilTensor.Float32(t.Shape, (float[])t.Value.Clone());
float packageLoss = evaluator.Run("train_step", inputs)[0].Value.Floats![0];
float trainerLoss = trainer.Step(x, y);
Console.WriteLine($"Step 101 loss: package train_step {packageLoss:F6}, trainer {trainerLoss:F6} (difference {Math.Abs(packageLoss - trainerLoss):E1})");
return monotonic && Math.Abs(packageLoss - trainerLoss) <= 1e-5 * Math.Abs(trainerLoss) ? 0 : 1;

// Starting from a PyTorch model: the LeNet exported to ../Data/lenet.onnx, imported with
//   traingen import ../Data/lenet.onnx --name Net --namespace ImportOnnx --out .
// (Net.cs + Net.safetensors), fine-tuned here and exported as a Core ML training package.
//   dotnet run --project Samples/ImportOnnx -- [package path] [--train-limit N]
using System;
using System.Globalization;
using ImportOnnx;

string package = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "lenet-finetune.mlpackage";
int? limit = null;
int at = Array.IndexOf(args, "--train-limit");
if (at >= 0 && at + 1 < args.Length) limit = int.Parse(args[at + 1], CultureInfo.InvariantCulture);
var result = ImportOnnxSample.Run(package, limit);
return result.AccuracyAfter > result.AccuracyBefore ? 0 : 1;

// Fashion-MNIST: the LeNet-style CNN trained for 5 epochs on the Debian package dataset-fashion-mnist
// (falls back to a small CNN on the bundled 8×8 digits when it is not installed), test accuracy per
// epoch on a console progress bar. Exit code 0 when the target accuracy is reached.
//   dotnet run -c Release --project Samples/FashionMnist [-- --digits] [--epochs N] [--limit N] [--batch N] [--data DIR] [--no-schedule] [--json PATH]
using System;
using System.Globalization;
using System.IO;
using System.Text.Json;
using FashionMnist;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = new FashionMnistOptions();
string? json = null;   // --json PATH: also write the result there (read by tests/TrainingGen.Samples.Tests)
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--digits": options.UseDigits = true; break;
        case "--epochs": options.Epochs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--limit": options.TrainLimit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--batch": options.BatchSize = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--data": options.DataDirectory = Next(); break;
        case "--no-schedule": options.CosineSchedule = false; break;
        case "--json": json = Next(); break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: [--digits] [--epochs N] [--limit N] [--batch N] [--data DIR] [--no-schedule] [--json PATH]");
            return 2;
    }
}
var result = FashionMnistSample.Run(options);
if (json is not null) File.WriteAllText(json, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
return result.MetTarget ? 0 : 1;

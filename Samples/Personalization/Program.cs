// Personalisation: pretrain a digit classifier on digits 0-6, export its weights (safetensors, PyTorch
// state_dict names), import them into a model whose backbone is [Frozen], train only the head on a few
// samples of the user (who also writes 7, 8 and 9), and write the personalised Core ML packages.
// Exit code 0 when the user's accuracy rose by the required margin and the package has no backbone gradients.
//   dotnet run --project Samples/Personalization [-- --out DIR] [--per-class N] [--epochs N] [--seed N]
using System;
using System.Globalization;
using Personalization;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = new PersonalizationOptions();
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--out": options.OutputDirectory = Next(); break;
        case "--per-class": options.UserSamplesPerClass = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--epochs": options.PersonalizeEpochs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": options.Seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: [--out DIR] [--per-class N] [--epochs N] [--seed N]");
            return 2;
    }
}
return PersonalizationSample.Run(options).Success ? 0 : 1;

// traingen: command-line tool for TrainingGen's Core ML training packages.
using System;
using System.Globalization;
using System.IO;
using TrainingGen.CoreML;

namespace TrainingGen.Tool;

public static class Program
{
    private const string Usage =
        "Usage:\n" +
        "  traingen inspect <model.mlpackage> [--mil]\n" +
        "      Functions (default marked), each function's inputs and outputs with dtype, shape and\n" +
        "      training role, and the parameters (count and bytes). --mil prints the program as MIL\n" +
        "      text, like the model.mil of a compiled model.\n" +
        "  traingen run <model.mlpackage> <function> [--seed <n>]\n" +
        "      Runs one function through TrainingGen's MIL interpreter: features and labels are seeded\n" +
        "      random values, parameters and optimizer state come from the package's init function.\n" +
        PrivacyCommand.Usage + "\n" +
        ImportCommand.Usage + "\n" +
        "  traingen --help | --version";

    public static int Main(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        return Run(args, Console.Out, Console.Error);
    }

    /// <summary>The whole command line on given writers (tests run the tool in-process this way).</summary>
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0) { stderr.WriteLine(Usage); return 2; }
        switch (args[0])
        {
            case "-h" or "--help" or "help":
                stdout.WriteLine(Usage);
                return 0;
            case "--version":
                stdout.WriteLine(typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "?");
                return 0;
            case "inspect" when args.Length == 2:
                return WithPackage(args[1], stderr, ev => { Inspector.Write(ev, args[1], stdout); return 0; });
            case "inspect" when args.Length == 3 && args[2] == "--mil":
                return WithPackage(args[1], stderr, ev => { stdout.Write(TrainingGen.CoreML.Mil.MilTextPrinter.Print(ev.Spec.Program)); return 0; });
            case "run" when args.Length is 3 or 5:
                int seed = 0;
                if (args.Length == 5 && (args[3] != "--seed" || !int.TryParse(args[4], NumberStyles.Integer, CultureInfo.InvariantCulture, out seed)))
                    return UsageError(stderr, $"expected '--seed <integer>', got '{args[3]} {args[4]}'");
                return WithPackage(args[1], stderr, ev => Runner.Run(ev, args[2], seed, stdout, stderr));
            case "privacy":
                return PrivacyCommand.Run(args[1..], stdout, stderr);
            case "import":
                return ImportCommand.Run(args[1..], stdout, stderr);
            case "inspect" or "run":
                return UsageError(stderr, $"wrong arguments for '{args[0]}'");
            default:
                return UsageError(stderr, $"unknown command '{args[0]}'");
        }
    }

    private static int UsageError(System.IO.TextWriter stderr, string message)
    {
        stderr.WriteLine($"traingen: {message}");
        stderr.WriteLine(Usage);
        return 2;
    }

    /// <summary>Opens the package and runs <paramref name="action"/>; a missing or broken package is a clear error and exit code 1.</summary>
    private static int WithPackage(string path, TextWriter stderr, Func<Evaluator, int> action)
    {
        if (!Directory.Exists(path))
        {
            stderr.WriteLine(File.Exists(path)
                ? $"traingen: '{path}' is a file; a Core ML package (.mlpackage) is a directory."
                : $"traingen: no package at '{path}' (the directory does not exist).");
            return 1;
        }
        Evaluator evaluator;
        try
        {
            evaluator = Evaluator.Open(path);
        }
        catch (MlPackageException e)
        {
            stderr.WriteLine($"traingen: '{path}' is not a valid Core ML package: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            stderr.WriteLine($"traingen: cannot read '{path}': {e.Message}");
            return 1;
        }
        using (evaluator)
        {
            try
            {
                return action(evaluator);
            }
            catch (Exception e) when (e is MlPackageException or ArgumentException or InvalidOperationException or NotSupportedException or System.Collections.Generic.KeyNotFoundException)
            {
                stderr.WriteLine($"traingen: {e.Message}");
                return 1;
            }
        }
    }
}

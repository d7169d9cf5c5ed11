// The bundled UCI digits data set (Samples/Data/digits.csv.gz, see the README beside it), shared by
// the samples: compiled into each sample (internal, so each assembly has its own copy).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using TrainingGen.Data;

namespace TrainingGen.Samples;

internal static class Digits
{
    public const string FileName = "digits.csv.gz";
    public const int Side = 8, Pixels = 64, Classes = 10;

    /// <summary>
    /// The data file: next to the executable (Data/digits.csv.gz, copied by the project file), else
    /// Samples/Data/digits.csv.gz in the current directory or one of its parents.
    /// </summary>
    public static string Locate()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "Data", FileName);
        if (File.Exists(beside)) return beside;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Samples", "Data", FileName);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"The bundled digits data set ({FileName}) was found neither in {Path.GetDirectoryName(beside)} nor in Samples/Data above {Directory.GetCurrentDirectory()}.");
    }

    /// <summary>
    /// Reads the gzip'd CSV (64 pixel values 0..16, then the label): features [64] scaled to [0, 1]
    /// (or, with <paramref name="image"/>, [1, 8, 8]), labels class indices (shape []).
    /// </summary>
    public static InMemoryDataset Load(string? path = null, bool image = false)
    {
        path ??= Locate();
        var features = new List<float>(1797 * Pixels);
        var labels = new List<float>(1797);
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        int lineNo = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            var cells = line.Split(',');
            if (cells.Length != Pixels + 1) throw new FormatException($"{path}:{lineNo}: {cells.Length} columns, expected {Pixels + 1}.");
            for (int c = 0; c <= Pixels; c++)
            {
                if (!float.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new FormatException($"{path}:{lineNo}: column {c + 1} ('{cells[c]}') is not a number.");
                if (c < Pixels) features.Add(v / 16f);
                else if (v != (int)v || v < 0 || v >= Classes) throw new FormatException($"{path}:{lineNo}: label {cells[c]} is not a digit.");
                else labels.Add(v);
            }
        }
        return new InMemoryDataset(features.ToArray(), image ? new[] { 1, Side, Side } : new[] { Pixels }, labels.ToArray(), Array.Empty<int>());
    }

    /// <summary>The label (class index) of sample <paramref name="index"/>.</summary>
    public static int Label(InMemoryDataset data, int index) => (int)data.Labels[index];
}

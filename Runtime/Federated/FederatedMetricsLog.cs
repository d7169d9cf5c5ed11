using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace TrainingGen.Federated;

/// <summary>
/// The per-iteration metrics of a simulation as a CSV file, one row per central iteration, appended
/// and flushed as each iteration ends (so a killed run loses nothing it finished):
/// <c>iteration,users,local_images,train_loss,test_loss,test_accuracy,epsilon,clipping_bound,seconds,users_per_s,images_per_s</c>.
/// <c>test_*</c> are empty on iterations without a central evaluation; <c>epsilon</c> is empty
/// without DP and <c>inf</c> for norm clipping alone. Numbers use the invariant culture.
/// <para>Append-safe across a resume: <see cref="Open"/> keeps the rows of the iterations before the
/// one the run resumes from and drops the rest (rows a killed run wrote after its last checkpoint,
/// or a torn last line), rewriting the file atomically, so every iteration appears exactly once.</para>
/// </summary>
public sealed class FederatedMetricsLog : IDisposable
{
    /// <summary>The header row.</summary>
    public const string Header = "iteration,users,local_images,train_loss,test_loss,test_accuracy,epsilon,clipping_bound,seconds,users_per_s,images_per_s";

    private readonly FileStream _stream;
    private readonly StringBuilder _line = new(160);

    private FederatedMetricsLog(FileStream stream, string path) { _stream = stream; Path = path; }

    /// <summary>The CSV file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens <paramref name="path"/> for a run starting at iteration <paramref name="firstIteration"/>
    /// (0 for a new run: any previous file there is replaced, if it is a metrics log). Rows of
    /// iterations ≥ <paramref name="firstIteration"/> are dropped.
    /// </summary>
    /// <exception cref="OverwriteRefusedException"><paramref name="path"/> exists and is not a metrics log.</exception>
    public static FederatedMetricsLog Open(string path, int firstIteration = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (firstIteration < 0) throw new ArgumentOutOfRangeException(nameof(firstIteration), firstIteration, "The first iteration must be ≥ 0.");
        var kept = new List<string>();
        if (File.Exists(path) && firstIteration > 0)
            foreach (var line in File.ReadLines(path))
            {
                int comma = line.IndexOf(',');
                if (comma > 0 && int.TryParse(line.AsSpan(0, comma), NumberStyles.None, CultureInfo.InvariantCulture, out int it)
                    && it < firstIteration && line.Split(',').Length == 11)
                    kept.Add(line);
            }
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            w.WriteLine(Header);
            foreach (var line in kept) w.WriteLine(line);
        }, existing =>
        {
            var prefix = AtomicFile.ReadPrefix(existing, Header.Length);
            return Encoding.UTF8.GetString(prefix) == Header ? null : "it is not a federated metrics log (its first line is not the metrics header)";
        });
        return new FederatedMetricsLog(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), path);
    }

    /// <summary>
    /// Appends the row of <paramref name="result"/>, with the central evaluation's loss and accuracy
    /// when one ran after this iteration, and flushes it to disk.
    /// </summary>
    public void Append(IterationResult result, double? testLoss = null, double? testAccuracy = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        _line.Clear();
        _line.Append(result.Iteration.ToString(c)).Append(',')
             .Append(result.Users.Count.ToString(c)).Append(',')
             .Append(result.LocalImages.ToString(c)).Append(',')
             .Append(Number(result.MeanLoss)).Append(',')
             .Append(Number(testLoss)).Append(',')
             .Append(Number(testAccuracy)).Append(',')
             .Append(Number(result.Epsilon)).Append(',')
             .Append(Number(result.ClippingBound)).Append(',')
             .Append(Number(result.Seconds)).Append(',')
             .Append(Number(result.UsersPerSecond)).Append(',')
             .Append(Number(result.ImagesPerSecond)).Append('\n');
        // One write per row, then a flush to disk: a kill leaves whole rows and at most one torn last line.
        _stream.Write(Encoding.UTF8.GetBytes(_line.ToString()));
        _stream.Flush(flushToDisk: true);
    }

    private static string Number(double? v) => v switch
    {
        null => "",
        double d when double.IsPositiveInfinity(d) => "inf",
        double d when double.IsNaN(d) => "nan",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Closes the file.</summary>
    public void Dispose() => _stream.Dispose();
}

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace TrainingGen.Samples;

/// <summary>
/// Renders <see cref="TrainingProgress"/> as a one-line console progress bar, redrawn in place
/// (carriage return) at most every <c>minInterval</c>, with a line per finished epoch:
/// <c>epoch 2/10 [██████░░░░░░] 120/240  loss 0.1234  lr 0.001  5321 samples/s</c>.
/// When the writer is not an interactive console only the epoch lines are written.
/// The runtime only reports <see cref="TrainingProgress"/> through <see cref="IProgress{T}"/>; how
/// to show it belongs to the application, so this renderer lives with the samples (linked into each).
/// </summary>
internal sealed class ConsoleProgressBar : IProgress<TrainingProgress>
{
    private readonly TextWriter _out;
    private readonly bool _interactive;
    private readonly int _width;
    private readonly long _minTicks;
    private long _lastTicks;
    private readonly StringBuilder _sb = new(160);

    /// <param name="writer">Defaults to <see cref="Console.Out"/>.</param>
    /// <param name="width">Bar width in characters.</param>
    /// <param name="minInterval">Minimum time between redraws (default 100 ms).</param>
    /// <param name="interactive">Redraw in place; defaults to true for a console that is not redirected.</param>
    public ConsoleProgressBar(TextWriter? writer = null, int width = 30, TimeSpan? minInterval = null, bool? interactive = null)
    {
        _out = writer ?? Console.Out;
        _width = Math.Max(5, width);
        _minTicks = (long)((minInterval ?? TimeSpan.FromMilliseconds(100)).TotalSeconds * Stopwatch.Frequency);
        _interactive = interactive ?? (writer is null && !Console.IsOutputRedirected);
    }

    public void Report(TrainingProgress p)
    {
        long now = Stopwatch.GetTimestamp();
        if (!p.EpochCompleted && (!_interactive || now - _lastTicks < _minTicks)) return;
        _lastTicks = now;
        _sb.Clear();
        if (_interactive) _sb.Append('\r');
        var c = CultureInfo.InvariantCulture;
        _sb.Append("epoch ").Append(p.Epoch).Append('/').Append(p.Epochs).Append(" [");
        int filled = p.StepsPerEpoch > 0 ? (int)((long)_width * p.StepInEpoch / p.StepsPerEpoch) : _width;
        _sb.Append('#', filled).Append('.', _width - filled).Append("] ");
        _sb.Append(p.StepInEpoch).Append('/').Append(p.StepsPerEpoch);
        _sb.Append("  loss ").Append(p.EpochLoss.ToString("0.0000", c));
        _sb.Append("  lr ").Append(p.LearningRate.ToString("0.####E+0", c));
        _sb.Append("  ").Append(p.SamplesPerSecond.ToString("0", c)).Append(" samples/s");
        if (p.ValidationLoss is double vl) _sb.Append("  val_loss ").Append(vl.ToString("0.0000", c));
        if (p.ValidationAccuracy is double va) _sb.Append("  val_acc ").Append((100 * va).ToString("0.00", c)).Append('%');
        if (p.EpochCompleted) _sb.AppendLine();
        _out.Write(_sb.ToString());
        _out.Flush();
    }
}

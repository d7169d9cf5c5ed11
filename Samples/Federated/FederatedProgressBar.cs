using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using TrainingGen;
using TrainingGen.Federated;

namespace FederatedSample;

/// <summary>
/// The console view of a federated run: an in-place bar redrawn at most every 100 ms on an
/// interactive console (<c>iteration 37/300 [######......] loss 0.5321  ε 0.81  96 users/s  5730 images/s</c>),
/// and one line per central evaluation, which is all a redirected output gets.
/// </summary>
internal sealed class FederatedProgressBar
{
    private readonly TextWriter _out;
    private readonly bool _interactive;
    private long _lastTicks;
    private readonly StringBuilder _sb = new(160);
    private const int Width = 30;

    public FederatedProgressBar(TextWriter output, bool interactive) { _out = output; _interactive = interactive; }

    /// <param name="usersPerSecond">Over the run so far.</param>
    /// <param name="imagesPerSecond">Over the run so far.</param>
    public void Report(IterationResult r, int iterations, EvaluationResult? evaluation, double usersPerSecond, double imagesPerSecond)
    {
        long now = Stopwatch.GetTimestamp();
        if (evaluation is null && (!_interactive || Stopwatch.GetElapsedTime(_lastTicks, now).TotalMilliseconds < 100)) return;
        _lastTicks = now;
        var c = CultureInfo.InvariantCulture;
        int done = r.Iteration + 1;
        _sb.Clear();
        if (_interactive) _sb.Append('\r');
        _sb.Append("iteration ").Append(done).Append('/').Append(iterations);
        if (evaluation is null)
        {
            int filled = (int)((long)Width * done / iterations);
            _sb.Append(" [").Append('#', filled).Append('.', Width - filled).Append(']');
        }
        _sb.Append("  loss ").Append(r.MeanLoss.ToString("0.0000", c));
        if (evaluation is EvaluationResult ev)
            _sb.Append("  test accuracy ").Append((100 * (ev.Accuracy ?? double.NaN)).ToString("0.00", c)).Append('%')
               .Append(" (loss ").Append(ev.Loss.ToString("0.0000", c)).Append(')');
        if (r.Epsilon is double eps) _sb.Append("  ε ").Append(double.IsPositiveInfinity(eps) ? "∞" : eps.ToString("0.000", c));
        _sb.Append("  ").Append(usersPerSecond.ToString("0.0", c)).Append(" users/s  ").Append(imagesPerSecond.ToString("0", c)).Append(" images/s");
        if (evaluation is not null) _sb.AppendLine(_interactive ? "          " : "");
        _out.Write(_sb.ToString());
        _out.Flush();
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace FederatedSample;

/// <summary>The PNG of a run: test accuracy per iteration (left axis) and, with DP, ε spent (right axis).</summary>
internal static class MetricsPlot
{
    public static void Save(string path, string title, IReadOnlyList<EvaluationPoint> points, bool privacy)
    {
        var plot = new ScottPlot.Plot();
        double[] xs = points.Select(p => (double)p.Iteration).ToArray();
        var accuracy = plot.Add.Scatter(xs, points.Select(p => 100 * p.Accuracy).ToArray());
        accuracy.LegendText = "test accuracy (%)";
        plot.Axes.Left.Label.Text = "test accuracy (%)";
        plot.Axes.Bottom.Label.Text = "central iteration";
        if (privacy)
        {
            var eps = plot.Add.Scatter(xs, points.Select(p => p.Epsilon ?? double.NaN).ToArray());
            eps.Axes.YAxis = plot.Axes.Right;
            eps.LegendText = "ε spent";
            plot.Axes.Right.Label.Text = "ε spent";
        }
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        // Written next to the destination and moved over it, so a reader never sees half a PNG.
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp.png");
        try
        {
            plot.SavePng(temp, 900, 500);
            File.Move(temp, path, overwrite: true);
        }
        finally { if (File.Exists(temp)) File.Delete(temp); }
    }
}

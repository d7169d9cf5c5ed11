using System;
using System.IO;
using System.Linq;
using NUnit.Framework;
using TrainingGen.Data;

namespace TrainingGen.Samples.Tests;

/// <summary>The samples' console renderer of <see cref="TrainingProgress"/>, driven by a real Fit of the quick-start model.</summary>
public class ConsoleProgressBarTests
{
    /// <summary>n random (x [2], y [3]) rows for the quick-start model.</summary>
    private static InMemoryDataset Rows(int n)
    {
        var rng = new Rng(5);
        var x = new float[n * 2]; var y = new float[n * 3];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextGaussian();
        return new InMemoryDataset(x, new[] { 2 }, y, new[] { 3 });
    }

    [Test]
    public void Prints_a_line_per_epoch_with_loss_and_samples_per_second()
    {
        var w = new StringWriter();
        Trainer.Fit(QuickStart.ModelToExport.CreateTrainer(4), Rows(40),
            new FitOptions { Epochs = 2, Progress = new ConsoleProgressBar(w, interactive: false) });
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        TestContext.Out.WriteLine(w.ToString());
        Assert.That(lines.Length, Is.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("epoch 1/2 [##############################] 10/10  loss ").And.Contain("samples/s"));
        Assert.That(lines[1], Does.StartWith("epoch 2/2 "));
    }

    [Test]
    public void Redraws_in_place_after_every_step_on_an_interactive_console()
    {
        var live = new StringWriter();
        Trainer.Fit(QuickStart.ModelToExport.CreateTrainer(4), Rows(40),
            new FitOptions { Progress = new ConsoleProgressBar(live, minInterval: TimeSpan.Zero, interactive: true) });
        Assert.That(live.ToString().Count(c => c == '\r'), Is.EqualTo(10), "redrawn in place after every step");
    }
}

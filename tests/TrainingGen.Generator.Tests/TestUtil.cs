using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Tests;

internal static class TestUtil
{
    public static Tensor RandomTensor(Rng rng, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Count; i++) t.Data[i] = (float)rng.NextGaussian();
        return t;
    }

    public static double[] ToDouble(float[] a) => a.Select(v => (double)v).ToArray();

    /// <summary>‖a − b‖ / ‖b‖ (b is the reference), with a floor so an all-zero reference compares absolutely.</summary>
    public static double RelativeError(IReadOnlyList<double> actual, IReadOnlyList<double> reference)
    {
        Assert.That(actual.Count, Is.EqualTo(reference.Count), "length");
        double num = 0, den = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            num += (actual[i] - reference[i]) * (actual[i] - reference[i]);
            den += reference[i] * reference[i];
        }
        return Math.Sqrt(num) / Math.Max(Math.Sqrt(den), 1e-12);
    }

    public static double RelativeError(float[] actual, float[] reference) => RelativeError(ToDouble(actual), ToDouble(reference));

    public static MilTensor Mil(Tensor t) => MilTensor.Float32(t.Shape, (float[])t.Data.Clone());
    public static MilTensor Mil(int[] shape, float[] data) => MilTensor.Float32(shape, (float[])data.Clone());

    public static string TempDir()
    {
        var d = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "traininggen-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(d);
        return d;
    }
}

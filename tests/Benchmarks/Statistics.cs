using System.Collections.Generic;
using System.Linq;

namespace TrainingGen.Benchmarks;

/// <summary>The one median every benchmark mode reports (NaN for no values; the mean of the middle two for an even count).</summary>
internal static class Statistics
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace TrainingGen.Benchmarks;

/// <summary>A column computed from a benchmark's median time and its case's reference figures.</summary>
public abstract class CaseColumn : IColumn
{
    public abstract string Id { get; }
    public abstract string ColumnName { get; }
    public abstract string Legend { get; }
    protected abstract string Format(double medianUs, double mflop, double torchSharpUs);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var report = summary[benchmarkCase];
        var stats = report?.ResultStatistics;
        string name = benchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');
        var reference = Cases.Reference.Where(r => r.Name == name).ToArray();
        if (stats is null || reference.Length == 0) return "-";
        return Format(stats.Median / 1000.0, reference[0].MFlop, reference[0].TorchSharpUs);
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public override string ToString() => ColumnName;
}

/// <summary>GFLOP/s from the median and the case's MFLOP/step (benchmarks.md's counting rule).</summary>
public sealed class GflopsColumn : CaseColumn
{
    public override string Id => "GflopsPerSecond";
    public override string ColumnName => "GFLOP/s";
    public override string Legend => "MFLOP per step (benchmarks.md) / median µs per step";
    protected override string Format(double medianUs, double mflop, double torchSharpUs) => (mflop / medianUs * 1000).ToString("0.00");
}

/// <summary>Median µs/step divided by TorchSharp's µs/step (below 1: faster than TorchSharp).</summary>
public sealed class TorchSharpRatioColumn : CaseColumn
{
    public override string Id => "TorchSharpRatio";
    public override string ColumnName => "vs TorchSharp";
    public override string Legend => "median µs/step ÷ TorchSharp µs/step (benchmarks.md); < 1 is faster";
    protected override string Format(double medianUs, double mflop, double torchSharpUs) => (medianUs / torchSharpUs).ToString("0.00");
}

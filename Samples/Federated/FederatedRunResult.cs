using System.Collections.Generic;
using System.Globalization;

namespace FederatedSample;

/// <summary>One central evaluation.</summary>
/// <param name="Iteration">Iterations completed when it ran.</param>
public sealed record EvaluationPoint(int Iteration, double Loss, double Accuracy, double? Epsilon);

/// <summary>What a run did.</summary>
/// <param name="DataSet">"Fashion-MNIST" or "digits".</param>
/// <param name="Accuracy">Test accuracy of the final central model.</param>
/// <param name="Epsilon">ε spent (∞ without DP).</param>
/// <param name="NoiseMultiplier">z of the Gaussian mechanism (0 without DP).</param>
/// <param name="UsersPerSecond">Users trained per second of local training and aggregation (evaluation excluded), over the whole run.</param>
/// <param name="ImagesPerSecond">Local training images per second, all workers together, over the whole run.</param>
/// <param name="Seconds">Wall time of the run, data loading and evaluation included.</param>
public sealed record FederatedRunResult(
    string DataSet, bool Privacy, int Users, int CohortSize, int Iterations, double Accuracy, double Epsilon, double NoiseMultiplier,
    double UsersPerSecond, double ImagesPerSecond, double Seconds, IReadOnlyList<EvaluationPoint> Evaluations,
    string CsvPath, string? PlotPath, string PackagePath, string CheckpointPath)
{
    /// <summary>The machine-readable summary line: <c>federated dp=off accuracy=0.8123 epsilon=inf iterations=N users_per_s=X images_per_s=Y</c>.</summary>
    public string SummaryLine() => string.Create(CultureInfo.InvariantCulture,
        $"federated dp={(Privacy ? "on" : "off")} accuracy={Accuracy:F4} epsilon={(double.IsPositiveInfinity(Epsilon) ? "inf" : Epsilon.ToString("F3", CultureInfo.InvariantCulture))} " +
        $"iterations={Iterations} users_per_s={UsersPerSecond:F1} images_per_s={ImagesPerSecond:F0}");
}

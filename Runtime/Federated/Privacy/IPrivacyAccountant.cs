namespace TrainingGen.Federated.Privacy;

/// <summary>
/// A differential-privacy accountant for T compositions of the Poisson-subsampled Gaussian mechanism
/// (add/remove-one neighbours, sensitivity 1): given any two of ε, δ and the noise multiplier σ
/// (with the sampling rate q and the number of steps T), it gives the third.
/// </summary>
/// <remarks>
/// Every method throws <see cref="System.ArgumentException"/> (or a subclass: an out-of-range value is
/// <see cref="System.ArgumentOutOfRangeException"/>, a target no noise can reach is
/// <see cref="UnreachablePrivacyTargetException"/>) for bad input: q outside (0, 1], δ outside (0, 1),
/// σ or ε negative or not finite, T below 1. Implementations: <see cref="RdpAccountant"/> and
/// <see cref="PldAccountant"/>; <see cref="AnalyticGaussian"/> covers a single unsampled release.
/// </remarks>
public interface IPrivacyAccountant
{
    /// <summary>The ε for which T steps with noise multiplier σ and sampling rate q are (ε, δ)-DP.</summary>
    double Epsilon(double noiseMultiplier, double samplingRate, int steps, double delta);

    /// <summary>The δ for which T steps with noise multiplier σ and sampling rate q are (ε, δ)-DP.</summary>
    double Delta(double noiseMultiplier, double samplingRate, int steps, double epsilon);

    /// <summary>
    /// The smallest noise multiplier σ (to a relative tolerance of 1e-3, rounded up so the target
    /// holds) for which T steps at sampling rate q are (ε, δ)-DP.
    /// </summary>
    double NoiseMultiplier(double epsilon, double delta, double samplingRate, int steps);
}

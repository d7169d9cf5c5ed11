using System;

namespace TrainingGen.Federated.Privacy;

/// <summary>A privacy target (ε, δ) that no noise multiplier in the searched range reaches.</summary>
public sealed class UnreachablePrivacyTargetException : ArgumentException
{
    public UnreachablePrivacyTargetException(string message) : base(message) { }
}

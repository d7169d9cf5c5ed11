using TrainingGen.Generator.Diagnostics;

namespace TrainingGen.Generator.Model;

/// <summary>A stage's value (null when the stage gave up) and the diagnostics it found.</summary>
internal sealed record Result<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics) where T : class;

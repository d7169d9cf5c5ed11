namespace TrainingGen;

/// <summary>How a loss reduces its per-element values (torch's <c>reduction=</c>).</summary>
public enum Reduction
{
    /// <summary>The mean over every element (torch's default).</summary>
    Mean = 0,
    /// <summary>The sum over every element.</summary>
    Sum = 1,
}

using System;
using System.Collections.Generic;

namespace TrainingGen.Optimizers;

/// <summary>
/// The one statement of which optimizer hyper-parameters are valid: torch.optim's own argument
/// checks (SGD, Adam/AdamW, RMSprop), plus "finite", since an infinite or NaN value turns every
/// parameter non-finite on the first step. The runtime's <c>*Options.Validate()</c> throws the first
/// problem; the generator and the optimizer analyzer (TG4001) report each one at its attribute
/// argument. It is linked as source into the generator, so the two cannot disagree; keep it free of
/// anything netstandard2.0 lacks.
/// </summary>
internal static class HyperParameterRules
{
    internal readonly struct Problem
    {
        public Problem(string argument, double value, string reason) { Argument = argument; Value = value; Reason = reason; }
        /// <summary>The C# name shared by the attribute property and the options record (e.g. <c>Momentum</c>).</summary>
        public string Argument { get; }
        public double Value { get; }
        /// <summary>The rule, phrased so that it says how to fix the value.</summary>
        public string Reason { get; }
    }

    /// <summary>
    /// Checks the values of one optimizer. <paramref name="optimizer"/> is the optimizer's kind
    /// (<c>sgd</c>, <c>adam</c>, <c>adamw</c>, <c>rmsprop</c>); <paramref name="value"/> returns an
    /// argument's value, or null where the caller did not set it (only set values are checked,
    /// except that Nesterov looks at the momentum and dampening it will actually run with).
    /// </summary>
    public static List<Problem> Check(string optimizer, Func<string, double?> value)
    {
        var problems = new List<Problem>();
        void AtLeastZero(string name, string what)
        {
            if (value(name) is { } v && !(v >= 0 && !double.IsInfinity(v)))
                problems.Add(new Problem(name, v, $"{what} must be finite and at least 0"));
        }
        void Finite(string name, string what)
        {
            if (value(name) is { } v && (double.IsNaN(v) || double.IsInfinity(v)))
                problems.Add(new Problem(name, v, $"{what} must be finite"));
        }
        void Beta(string name)
        {
            if (value(name) is { } v && !(v >= 0 && v < 1))
                problems.Add(new Problem(name, v, $"{name.ToLowerInvariant()} must be at least 0 and below 1"));
        }

        AtLeastZero("LearningRate", "the learning rate");
        AtLeastZero("WeightDecay", "weight decay");
        switch (optimizer)
        {
            case "sgd":
                AtLeastZero("Momentum", "momentum");
                Finite("Dampening", "dampening"); // torch.optim.SGD accepts any dampening
                if (value("Nesterov") is { } n && n != 0 && !((value("Momentum") ?? 0) > 0 && (value("Dampening") ?? 0) == 0))
                    problems.Add(new Problem("Nesterov", 1, "Nesterov momentum needs a momentum above 0 and a dampening of 0"));
                break;
            case "adam":
            case "adamw":
                AtLeastZero("Eps", "epsilon");
                Beta("Beta1");
                Beta("Beta2");
                break;
            case "rmsprop":
                AtLeastZero("Eps", "epsilon");
                AtLeastZero("Momentum", "momentum");
                AtLeastZero("Alpha", "alpha");
                break;
        }
        return problems;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for the first problem, naming the argument and the rule.</summary>
    public static void ThrowIfInvalid(string optimizer, Func<string, double?> value)
    {
        var problems = Check(optimizer, value);
        if (problems.Count > 0)
            throw new ArgumentOutOfRangeException(problems[0].Argument, problems[0].Value,
                $"Invalid {optimizer} hyper-parameter: {problems[0].Reason}.");
    }
}

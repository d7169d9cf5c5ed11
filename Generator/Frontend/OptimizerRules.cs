using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Compile-time checks of optimizer hyper-parameters (TG4001), with the ranges torch.optim
/// accepts. Shared by the generator and the analyzers.
/// </summary>
internal static class OptimizerRules
{
    public readonly struct Problem
    {
        public Problem(string argument, double value, string reason) { Argument = argument; Value = value; Reason = reason; }
        public string Argument { get; }
        public double Value { get; }
        public string Reason { get; }
    }

    public static IEnumerable<Problem> Check(AttributeData attribute)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var kv in attribute.NamedArguments)
            if (kv.Value.Value is IConvertible c && kv.Value.Value is not string)
                values[kv.Key] = c.ToDouble(CultureInfo.InvariantCulture);
        double Get(string name, double fallback) => values.TryGetValue(name, out var v) ? v : fallback;

        var problems = new List<Problem>();
        void Require(bool valid, string name, double value, string reason)
        {
            if (!valid) problems.Add(new Problem(name, value, reason));
        }

        string kind = attribute.AttributeClass?.Name ?? "";
        if (values.TryGetValue("LearningRate", out var lr))
            Require(lr > 0 && !double.IsInfinity(lr), "LearningRate", lr, "the learning rate must be positive and finite");
        if (values.TryGetValue("WeightDecay", out var wd))
            Require(wd >= 0, "WeightDecay", wd, "weight decay must be ≥ 0");
        if (values.TryGetValue("Eps", out var eps))
            Require(eps >= 0, "Eps", eps, "epsilon must be ≥ 0");
        foreach (var beta in new[] { "Beta1", "Beta2", "Alpha" })
            if (values.TryGetValue(beta, out var b))
                Require(b >= 0 && b < 1, beta, b, $"{beta.ToLowerInvariant()} must be in [0, 1)");
        if (values.TryGetValue("Momentum", out var m))
            Require(m >= 0 && m < 1, "Momentum", m, "momentum must be in [0, 1)");
        if (values.TryGetValue("Dampening", out var d))
            Require(d >= 0 && d <= 1, "Dampening", d, "dampening must be in [0, 1]");
        if (kind == "SgdAttribute" && Get("Nesterov", 0) != 0)
            Require(Get("Momentum", 0) > 0 && Get("Dampening", 0) == 0, "Nesterov", 1, "Nesterov momentum needs a momentum > 0 and zero dampening");
        return problems;
    }
}

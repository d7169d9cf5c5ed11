using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Generator.Diagnostics;

namespace TrainingGen.Tests;

/// <summary>
/// Every descriptor's message, rendered with arguments like the ones the front end passes, is one
/// sentence a user can act on: every placeholder filled, no "X and Y and Z" run-on (the old
/// TG3001 "shapes A and B and cross_entropy needs ..."), and a clause that names the fix.
/// </summary>
public class DiagnosticMessageTests
{
    /// <summary>Sample arguments per id, taken from what the parser and analyzers really pass.</summary>
    private static readonly Dictionary<string, object[]> Samples = new()
    {
        ["TG0001"] = new object[] { "ModelToExport", "pred" },
        ["TG0002"] = new object[] { "Backbone", "Model" },
        ["TG0003"] = new object[] { "ModelToExport", "TrainingModel" },
        ["TG0004"] = new object[] { "x", "ModelToExport" },
        ["TG0005"] = new object[] { "Linear2", "argument 'outFeatures' must be a compile-time constant" },
        ["TG0006"] = new object[] { "fc_weight", "fc.weight" },
        ["TG0007"] = new object[] { "x", "dimension 1 is 0" },
        ["TG0008"] = new object[] { "FC1", "Net", "fc_1_weight", "Fc1" },
        ["TG0009"] = new object[] { "Case", "TrainingModel", "<T>" },
        ["TG0010"] = new object[] { "Case", "Experiments" },
        ["TG0011"] = new object[] { "ModelToExport" },
        ["TG0012"] = new object[] { "ModelToExport" },
        ["TG0013"] = new object[] { "ModelToExport" },
        ["TG0014"] = new object[] { "L2", "public Linear L2 { get; } = new(3, 3);" },
        ["TG0015"] = new object[] { "Backbone", "Plain.Forward" },
        ["TG0016"] = new object[] { "Linear2", "LinearModel", "private" },
        ["TG0017"] = new object[] { "Fc1", "\"fc 1\"", "' ' is not an ASCII letter, digit, '_' or '.'" },
        ["TG0018"] = new object[] { "Fc2", "LeNet", "fc1_weight", "Fc1" },
        ["TG0019"] = new object[] { "Scale", "its type 'float' is neither a layer nor a [Model]" },
        ["TG0020"] = new object[] { "y", "parameter 'a' of Ops.Relu" },
        ["TG0021"] = new object[] { "labels", "ModelToExport" },
        ["TG0022"] = new object[] { "y", "labels", "ModelToExport.Ce" },
        ["TG1001"] = new object[] { "A 'try' statement", "Forward is straight-line code: locals computed from ops, then one return" },
        ["TG1002"] = new object[] { "Math.Abs(float)" },
        ["TG1003"] = new object[] { "A loop", "write the layers out (loops are not yet unrolled)" },
        ["TG1004"] = new object[] { "An 'if' statement", "the training graph must not depend on tensor values; compute both branches and combine them with ops" },
        ["TG1005"] = new object[] { "A LINQ query", "compute the value from locals, + - * /, numeric constants, and calls to ops, layers, models or [Loss] functions" },
        ["TG1006"] = new object[] { "A lambda", "compute the value from locals, + - * /, numeric constants, and calls to ops, layers, models or [Loss] functions" },
        ["TG1007"] = new object[] { "'await'", "compute the value from locals, + - * /, numeric constants, and calls to ops, layers, models or [Loss] functions" },
        ["TG1008"] = new object[] { "An expression statement", "use statements that assign tensors to locals only (no calls for their side effects, no fields or elements)" },
        ["TG2001"] = new object[] { "labels", "cross_entropy", "class indices have no derivative" },
        ["TG2002"] = new object[] { "Net.Spare", "ModelToExport", "Forward never uses it" },
        ["TG3002"] = new object[] { "The result of reshape", 6, "[batch, 1, 1, 1, 1, 2]" },
        ["TG3001"] = new object[] { "cross_entropy needs logits [batch, classes] and labels [batch], but got [batch, 3] and [batch, 1]", "change the arguments (or the [Shape] of the inputs they come from) to satisfy it" },
        ["TG4001"] = new object[] { "LearningRate", "-1", "the learning rate must be positive and finite" },
        ["TG4002"] = new object[] { "ModelToExport" },
        ["TG4003"] = new object[] { "ModelToExport", "[batch, 3]" },
        ["TG9999"] = new object[] { "ModelToExport", "parsing", "NullReferenceException: Object reference not set to an instance of an object." },
    };

    // Verbs that start a fix ("add ...", "remove ...", "rename one of them", ...).
    private static readonly Regex Fix = new(@"\b(add|remove|rename|return|declare|use|mark|make|reduce|compute|write|change|correct|list|report|freeze|move|pass|give|keep|replace)\b");

    // "A and B and C" inside one clause: two "and"s with no comma, semicolon or colon between them
    // (shapes such as [batch, 3] count as one word: their commas do not separate clauses).
    private static readonly Regex DoubledAnd = new(@"\band\b[^,;:()]*\band\b");

    private static bool HasDoubledAnd(string message) => DoubledAnd.IsMatch(Regex.Replace(message, @"\[[^\]]*\]", "S"));

    private static IEnumerable<TestCaseData> Descriptors() =>
        DiagnosticDescriptors.All.Select(d => new TestCaseData(d).SetName("Message_of_" + d.Id + "_is_an_actionable_sentence"));

    [TestCaseSource(nameof(Descriptors))]
    public void Message_is_an_actionable_sentence(DiagnosticDescriptor d)
    {
        Assert.That(Samples.ContainsKey(d.Id), Is.True, $"{d.Id} needs sample arguments here");
        string message = Diagnostic.Create(d, Location.None, Samples[d.Id]).GetMessage(CultureInfo.InvariantCulture);
        Assert.That(message, Does.Not.Match(@"\{\d+\}"), "every placeholder is filled");
        Assert.That(Regex.Matches(d.MessageFormat.ToString(CultureInfo.InvariantCulture), @"\{(\d+)\}").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1,
            Is.EqualTo(Samples[d.Id].Length), "the samples match the placeholders");
        Assert.That(HasDoubledAnd(message), Is.False, $"no 'and ... and' run-on: {message}");
        Assert.That(Fix.IsMatch(message), Is.True, $"the message names the fix: {message}");
        Assert.That(message, Does.Not.EndWith("."), "diagnostic messages carry no final period");
    }

    [Test]
    public void The_old_garbled_shape_message_would_fail_the_checks()
    {
        // The TG3001 text before issue 10, with the cross-entropy rule's message as its last argument.
        string old = "cross_entropy: shapes [batch, 3] and [batch, 1] and cross_entropy needs logits [batch, classes] and labels [batch]; got [batch, 3] and [batch, 1] are incompatible";
        Assert.That(HasDoubledAnd(old), Is.True);
        Assert.That(Fix.IsMatch(old), Is.False);
    }
}

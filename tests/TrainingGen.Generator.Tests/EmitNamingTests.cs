using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NUnit.Framework;
using TrainingGen.Generator.Emit;
using TrainingGen.Generator.Model;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>How the emitters name values, and the backward pass computing a repeated adjoint term once.</summary>
public class EmitNamingTests
{
    private static (TrainingModelIr Ir, BackwardPlan Plan) Differentiate(string source)
    {
        var (_, ir, plan) = GeneratorHarness.Differentiate(source).FirstOrDefault();
        return ir is null ? throw new InvalidOperationException("no training model in the source") : (ir, plan);
    }

    private static string ModelFile(string name) => File.ReadAllText(Path.Combine(Snapshot.TestsDirectory(), "Models", name));

    [Test]
    public void The_two_identical_terms_of_d_times_d_are_computed_once_and_added()
    {
        var (_, plan) = Differentiate(TestSources.Seed);
        var backward = plan.Nodes.Skip(plan.ForwardCount).ToList();
        var square = plan.Nodes.Take(plan.ForwardCount).Single(n => n.Op == "mul" && n.Args[0] == n.Args[1]);
        var terms = backward.Where(n => n.Op == "mul" && n.Args.Contains(square.Args[0])).ToList();
        Assert.That(terms, Has.Count.EqualTo(1), "g·d is computed once, not once per operand");
        var sum = backward.Single(n => n.Op == "add");
        Assert.That(sum.Args, Is.EqualTo(new[] { terms[0].Id, terms[0].Id }), "d(d·d) = g·d + g·d");
    }

    [Test]
    public void Values_are_named_after_locals_layers_outputs_parameters_and_gradients()
    {
        var (ir, plan) = Differentiate(TestSources.Seed);
        var names = ValueNames.For(ir, plan);
        var all = Enumerable.Range(0, plan.Nodes.Count).Select(i => names[i]).ToList();
        Assert.That(all, Is.SupersetOf(new[] { "x", "y", "pred", "d", "Linear1_out", "dD", "dD_part", "dLinear1_out", "dLoss" }));
        for (int p = 0; p < ir.Params.Count; p++)
        {
            Assert.That(names[Autodiff.ParamNode(ir, p)], Is.EqualTo(ir.Params[p].MilName), "parameters keep their package names");
            Assert.That(names[plan.ParamGrads[p]], Is.EqualTo(ir.Params[p].MilName + "_grad"), "gradients keep their package names");
        }
    }

    [Test]
    public void Clashing_locals_get_unique_valid_identifiers_with_deterministic_suffixes()
    {
        var (ir, plan) = Differentiate(ModelFile("NamingModel.cs"));
        var names = ValueNames.For(ir, plan);
        var all = Enumerable.Range(0, plan.Nodes.Count).Select(i => names[i]).ToList();
        Assert.That(all, Is.Unique);
        string[] milReserved = { "any", "bool", "program", "func", "tensor", "list", "dict", "tuple", "true", "false", "string", "state" };
        foreach (var n in all)
        {
            Assert.That(n, Does.Match("^[A-Za-z_][A-Za-z0-9_]*$"), "a MIL and C# identifier");
            Assert.That(milReserved, Does.Not.Contain(n));
            // Public names stay as apps see them (the output 'out' is written @out); every other name avoids keywords.
            if (!ir.Outputs.Any(o => o.Name == n)) Assert.That(SyntaxFacts.GetKeywordKind(n), Is.EqualTo(SyntaxKind.None), n);
        }
        Assert.That(all, Does.Contain("out"));
        // The trainer's _batch, the package's b and v, and 'loss' stay theirs; h is assigned three times (the last is the output).
        Assert.That(all, Does.Not.Contain("batch").And.Not.Contain("b").And.Not.Contain("v").And.Not.Contain("loss"));
        Assert.That(all, Is.SupersetOf(new[] { "batch2", "state_workaround", "b2", "v2", "h", "h2", "class_", "loss2", "Linear2_out" }));
        // Same model, same names: the suffixes depend only on node order.
        var again = ValueNames.For(ir, plan);
        Assert.That(Enumerable.Range(0, plan.Nodes.Count).Select(i => again[i]), Is.EqualTo(all));
    }
}

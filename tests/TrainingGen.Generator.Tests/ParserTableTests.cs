using System.Linq;
using NUnit.Framework;
using TrainingGen.Generator.Frontend;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;

namespace TrainingGen.Tests;

/// <summary>
/// The facts the parser reads from the op table instead of knowing op names: layer specs, label
/// operands and masks; the shape rules' sentences; the broadcasting rule shared with the runtime.
/// </summary>
public class ParserTableTests
{
    [Test]
    public void Every_layer_entry_has_a_spec_whose_operands_are_its_arity()
    {
        foreach (var e in OpTable.All)
        {
            if (e.Kind != OpKind.Layer) { Assert.That(e.Layer, Is.Null, e.Name); continue; }
            Assert.That(e.Layer, Is.Not.Null, e.Name);
            Assert.That(e.Layer!.Op, Is.EqualTo(e.Name));
            Assert.That(e.Layer.Inputs + e.Layer.Params.Count, Is.EqualTo(e.Arity), $"{e.Name}: input and parameters are the node's operands");
        }
    }

    [Test]
    public void Losses_over_class_indices_or_targets_declare_their_label_operand()
    {
        // The parser rejects a trainable value in these operands (TG2001) only because the table says so.
        var labelled = OpTable.All.Where(e => e.Label is not null).ToDictionary(e => e.Name, e => e.Label!);
        Assert.That(labelled.Keys, Is.EquivalentTo(new[] { "cross_entropy", "nll_loss", "bce_with_logits" }));
        Assert.That(labelled.Values.Select(l => l.Index), Is.All.EqualTo(1));
        Assert.That(OpTable.IsMask("dropout_mask"), Is.True);
        Assert.That(OpTable.IsMask("dropout"), Is.False);
    }

    [TestCase("cross_entropy")]
    [TestCase("nll_loss")]
    [TestCase("l1_loss")]
    public void Shape_rule_errors_are_the_final_clause_of_TG3001(string op)
    {
        var args = new[] { new[] { Dims.Batch, 3 }.ToEquatable(), new[] { Dims.Batch, 1 }.ToEquatable() };
        var outcome = ShapeRules.Infer(op, args, new double[] { 0, 1 });
        Assert.That(outcome.Shape, Is.Null);
        Assert.That(outcome.Error, Does.Contain(", but got [batch, 3] and [batch, 1]"));
        Assert.That(outcome.Error, Does.Not.Contain(";"), "the parser appends '; <fix>' itself");
    }

    [Test]
    public void Broadcasting_treats_the_batch_as_a_dimension_that_matches_itself_or_one()
    {
        int b = Dims.Batch;
        Assert.That(Generator.Model.Broadcasting.Shapes(new[] { b, 3 }, new[] { 3 }), Is.EqualTo(new[] { b, 3 }));
        Assert.That(Generator.Model.Broadcasting.Shapes(new[] { 1, 3 }, new[] { b, 1 }), Is.EqualTo(new[] { b, 3 }));
        Assert.That(Generator.Model.Broadcasting.Shapes(new[] { b, 3 }, new[] { b, 3 }), Is.EqualTo(new[] { b, 3 }));
        Assert.That(Generator.Model.Broadcasting.Shapes(new[] { b, 3 }, new[] { 4, 3 }), Is.Null);
        Assert.That(Generator.Model.Broadcasting.Shapes(new[] { 2, 1, 4 }, new[] { 5, 1 }), Is.EqualTo(new[] { 2, 5, 4 }));
        Assert.That(Generator.Model.Broadcasting.Shapes(new[] { 2, 3 }, new[] { 4 }), Is.Null);
    }

    [Test]
    public void The_runtime_broadcasts_concrete_shapes_as_numpy_does()
    {
        Assert.That(ShapeUtil.Broadcast(new[] { 2, 1, 4 }, new[] { 5, 1 }, "add"), Is.EqualTo(new[] { 2, 5, 4 }));
        Assert.That(ShapeUtil.Broadcast(new[] { 3 }, new int[0], "add"), Is.EqualTo(new[] { 3 }));
        var e = Assert.Throws<System.ArgumentException>(() => ShapeUtil.Broadcast(new[] { 2, 3 }, new[] { 4 }, "add"));
        Assert.That(e!.Message, Is.EqualTo("add: shapes [2, 3] and [4] do not broadcast."));
    }
}

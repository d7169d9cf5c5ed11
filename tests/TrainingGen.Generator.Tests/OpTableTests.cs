using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NUnit.Framework;
using TrainingGen.CoreML.Interpreter;
using TrainingGen.CoreML.Mil;
using TrainingGen.Generator.Emit;
using TrainingGen.Generator.Frontend;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Tests;

/// <summary>An <c>[Op]</c> the runtime declares: its name, whether it is on a layer class, and its Tensor parameters.</summary>
/// <summary>An [Op] in the runtime; <paramref name="IntegerOperands"/>: tensor operands an overload takes as IntTensor (a layer's Forward argument for a class).</summary>
internal sealed record RuntimeOp(string Name, bool IsClass, int TensorParameters, string Where, int[]? IntegerOperands = null);

/// <summary>
/// The checks behind <see cref="OpTableTests"/>, kept apart from the real table so the tests can
/// show they catch an incomplete entry.
/// </summary>
internal static class OpTableCheck
{
    /// <summary>Every <c>[Op]</c> method and class in the runtime assembly.</summary>
    public static List<RuntimeOp> RuntimeOps()
    {
        var list = new List<RuntimeOp>();
        foreach (var type in typeof(Tensor).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<OpAttribute>() is { } onClass)
                list.Add(new RuntimeOp(onClass.Name, true, 0, type.FullName!, type.GetMethods().Where(m => m.Name == "Forward")
                    .SelectMany(m => IntegerPositions(m.GetParameters())).Distinct().ToArray()));
            foreach (var m in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                if (m.GetCustomAttribute<OpAttribute>() is { } onMethod)
                    list.Add(new RuntimeOp(onMethod.Name, false, m.GetParameters().Count(p => p.ParameterType == typeof(Tensor) || p.ParameterType == typeof(IntTensor)),
                        $"{type.FullName}.{m.Name}", IntegerPositions(m.GetParameters()).ToArray()));
        }
        return list;
    }

    /// <summary>Positions (among the tensor parameters) of the IntTensor parameters.</summary>
    private static IEnumerable<int> IntegerPositions(ParameterInfo[] parameters) =>
        parameters.Where(p => p.ParameterType == typeof(Tensor) || p.ParameterType == typeof(IntTensor))
            .Select((p, k) => (p, k)).Where(t => t.p.ParameterType == typeof(IntTensor)).Select(t => t.k);

    /// <summary>What is missing, one line per problem; empty when the table and the runtime agree and every entry is complete.</summary>
    public static List<string> Problems(IReadOnlyList<OpEntry> table, IReadOnlyList<RuntimeOp> runtime)
    {
        var problems = new List<string>();
        // IR ops the table's rules define: what a VJP may add.
        var known = new HashSet<string>(table.SelectMany(e => e.Forward is null ? e.Extra : e.Extra.Prepend(e.Forward))
            .Concat(OpTable.IrOnly).Select(r => r.Name), StringComparer.Ordinal);
        var byName = table.GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var dup in byName.Where(kv => kv.Value.Count > 1)) problems.Add($"'{dup.Key}': {dup.Value.Count} entries");
        foreach (var r in runtime.Where(r => !byName.ContainsKey(r.Name))) problems.Add($"'{r.Name}' ({r.Where}): [Op] with no op-table entry");
        foreach (var e in table.Where(e => runtime.All(r => r.Name != e.Name))) problems.Add($"'{e.Name}': op-table entry with no [Op] in the runtime");

        foreach (var e in table)
        {
            var declared = runtime.Where(r => r.Name == e.Name).ToList();
            // The entry's integer operands are exactly those some runtime overload takes as IntTensor.
            var overloads = declared.SelectMany(r => r.IntegerOperands ?? Array.Empty<int>()).Distinct().OrderBy(k => k);
            if (declared.Count > 0 && !overloads.SequenceEqual(e.IntegerOperands.OrderBy(k => k)))
                problems.Add($"'{e.Name}': integer operands [{string.Join(", ", e.IntegerOperands)}] in the table, IntTensor overloads at [{string.Join(", ", overloads)}] in the runtime");
            switch (e.Kind)
            {
                case OpKind.Call:
                    if (declared.Any(r => r.IsClass)) problems.Add($"'{e.Name}': a call entry, but [Op] is on a class");
                    foreach (var r in declared.Where(r => !r.IsClass && r.TensorParameters != e.Arity))
                        problems.Add($"'{e.Name}': arity {e.Arity}, but {r.Where} takes {r.TensorParameters} tensors");
                    if (e.Shape is null) problems.Add($"'{e.Name}': no shape rule");
                    CheckRules(e, known, problems);
                    break;
                case OpKind.Layer:
                    if (declared.Any(r => !r.IsClass)) problems.Add($"'{e.Name}': a layer entry, but [Op] is on a method");
                    CheckRules(e, known, problems);
                    break;
                case OpKind.Composite:
                    if (e.ExpandsTo.Count == 0) problems.Add($"'{e.Name}': a composite that expands to nothing");
                    foreach (var part in e.ExpandsTo.Where(p => !table.Any(t => t.Name == p && t.Kind == OpKind.Call)))
                        problems.Add($"'{e.Name}': expands to '{part}', which is not a call entry");
                    break;
            }
        }
        return problems;
    }

    private static void CheckRules(OpEntry e, ISet<string> known, List<string> problems)
    {
        if (e.Forward is null) { problems.Add($"'{e.Name}': no forward rule (VJP, trainer and MIL lowering)"); return; }
        if (!HasVjp(e.Forward)) problems.Add($"'{e.Name}': no VJP (its rule {e.Forward.GetType().Name} does not override Backward)");
        if (e.Forward is UnaryRule u) CheckUnary(u.Op, known, problems);
    }

    /// <summary>A rule differentiates when it overrides <see cref="OpRule.Backward"/> (the base throws "no derivative").</summary>
    public static bool HasVjp(OpRule rule) =>
        rule.GetType().GetMethod(nameof(OpRule.Backward))!.DeclaringType != typeof(OpRule);

    /// <summary>
    /// Runs every piece of an activation on a sample node: the VJP must add only ops that have
    /// rules, and the trainer and MIL lowerings of the op and of its adjoint must all produce code.
    /// </summary>
    private static void CheckUnary(UnaryOp op, ISet<string> known, List<string> problems)
    {
        var shape = new[] { 2, 3 }.ToEquatable();
        var x = new Node(0, "input", EquatableArray<int>.Empty, shape, EquatableArray<double>.Empty, "x", "x");
        var y = new Node(1, op.Name, new[] { 0 }.ToEquatable(), shape, new[] { 0.5 }.ToEquatable(), "", $"Ops.{op.Name}(x)");
        var nodes = new List<Node> { x, y, new Node(2, "input", EquatableArray<int>.Empty, shape, EquatableArray<double>.Empty, "g", "g") };
        var adjoint = new Dictionary<int, int>();
        var rule = new UnaryRule(op);
        string? Try(string piece, Func<string?> lower)
        {
            try
            {
                var code = lower();
                if (string.IsNullOrWhiteSpace(code)) problems.Add($"'{op.Name}': its {piece} produces no code");
                return code;
            }
            catch (Exception ex) { problems.Add($"'{op.Name}': its {piece} fails: {ex.GetType().Name}: {ex.Message}"); return null; }
        }
        Try("VJP", () => { rule.Backward(new AdContext(nodes, new HashSet<int> { 0, 1 }, adjoint), y, 2); return "ok"; });
        foreach (var added in nodes.Skip(3).Where(n => !known.Contains(n.Op)))
            problems.Add($"'{op.Name}': its VJP adds op '{added.Op}', which has no rule");
        var c = new EmitContext(nodes.ToEquatable());
        Try("trainer lowering", () => rule.Trainer(c, y));
        Try("MIL lowering", () => rule.Mil(c, y, MilName.None));
        if (nodes.Count > 3)
        {
            var grad = new UnaryGradRule(op);
            Try("trainer lowering of the adjoint", () => grad.Trainer(c, nodes[3]));
            Try("MIL lowering of the adjoint", () => grad.Mil(c, nodes[3], MilName.None));
        }
    }

    /// <summary>Op types used by the programs that the MIL interpreter does not implement, as "type (function)".</summary>
    public static List<string> UninterpretedMilOps(IEnumerable<MilProgram> programs) =>
        programs.SelectMany(p => p.Functions)
            .SelectMany(f => f.Operations.Select(o => (o.Type, Function: f.Name)))
            .Where(o => !MilInterpreter.Supports(o.Type))
            .Select(o => $"{o.Type} ({o.Function})")
            .Distinct()
            .ToList();
}

/// <summary>
/// The op table is complete: every <c>[Op]</c> in the runtime has an entry with each piece it
/// needs (arity, shape rule, VJP, trainer and MIL lowering), every rule is exercised by a test
/// model, and the MIL interpreter implements every MIL op those lowerings emit.
/// </summary>
public class OpTableTests
{
    [Test]
    public void Every_runtime_op_has_a_complete_entry_and_every_entry_a_runtime_op()
    {
        var runtime = OpTableCheck.RuntimeOps();
        Assert.That(runtime, Has.Count.GreaterThan(40), "the reflection walk found the runtime's [Op]s");
        Assert.That(OpTableCheck.Problems(OpTable.All, runtime), Is.Empty);
    }

    [Test]
    public void The_completeness_check_reports_an_entry_without_a_MIL_lowering()
    {
        var softsign = new UnaryOp("softsign", readsOutput: false, "g / (1 + |x|)^2",
            (n, x, y) => $"Softsign({x}, {y});", (n, g, s, dx) => $"SoftsignBackward({g}, {s}, {dx});",
            null!, (n, g, s, nm) => $"b.RealDiv({g}, b.Mul(b.Add(b.Scalar(1f), b.Unary(\"abs\", {s})), b.Add(b.Scalar(1f), b.Unary(\"abs\", {s}))){nm})");
        var table = new[] { new OpEntry("softsign", OpKind.Call, 1, ShapeRules.SameAsInput, new UnaryRule(softsign), new OpRule[] { new UnaryGradRule(softsign) }, Array.Empty<string>(), false) };
        var problems = OpTableCheck.Problems(table, new[] { new RuntimeOp("softsign", false, 1, "Ops.Softsign") });
        Assert.That(problems, Has.Exactly(1).Items);
        Assert.That(problems[0], Does.StartWith("'softsign': its MIL lowering fails"));
    }

    [Test]
    public void The_completeness_check_reports_integer_operands_the_table_and_the_runtime_disagree_on()
    {
        // The runtime has an IntTensor overload for the labels; an entry that does not declare them integer is caught.
        var table = new[] { new OpEntry("nll_loss", OpKind.Call, 2, ShapeRules.Nll, new NllRule(), new OpRule[] { new NllGradRule() }, Array.Empty<string>(), false) };
        var problems = OpTableCheck.Problems(table, new[] { new RuntimeOp("nll_loss", false, 2, "Ops.NllLoss", new[] { 1 }) });
        Assert.That(problems, Is.EqualTo(new[] { "'nll_loss': integer operands [] in the table, IntTensor overloads at [1] in the runtime" }));
        Assert.That(OpTable.Get("nll_loss").IntegerOperands, Is.EqualTo(new[] { 1 }));
        Assert.That(OpTable.Get("embedding").IntegerOperands, Is.EqualTo(new[] { 0 }));
    }

    [Test]
    public void The_completeness_check_reports_missing_entries_shape_rules_VJPs_and_wrong_arity()
    {
        var table = new[]
        {
            // no shape rule, and a forward rule without a derivative
            new OpEntry("cumsum", OpKind.Call, 1, null, new FillRule(), Array.Empty<OpRule>(), Array.Empty<string>(), false),
            // declared with one operand, but the runtime method takes two tensors
            OpTable.Get("relu"),
        };
        var runtime = new[]
        {
            new RuntimeOp("cumsum", false, 1, "Ops.CumSum"),
            new RuntimeOp("relu", false, 2, "Ops.Relu"),
            new RuntimeOp("softplus", false, 1, "Ops.Softplus"),
        };
        var problems = OpTableCheck.Problems(table, runtime);
        Assert.That(problems, Is.EquivalentTo(new[]
        {
            "'softplus' (Ops.Softplus): [Op] with no op-table entry",
            "'cumsum': no shape rule",
            "'cumsum': no VJP (its rule FillRule does not override Backward)",
            "'relu': arity 1, but Ops.Relu takes 2 tensors",
        }));
    }

    [Test]
    public void An_op_without_an_entry_is_an_internal_error_naming_it()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => OpRules.Get("softsign_grad"))!;
        Assert.That(e.Message, Does.Contain("'softsign_grad'"));
        e = Assert.Throws<KeyNotFoundException>(() => ShapeRules.Infer("softsign", new[] { new[] { 2 }.ToEquatable() }, Array.Empty<double>()))!;
        Assert.That(e.Message, Does.Contain("'softsign'"));
    }

    /// <summary>A family rule never lends one op's code to another: an op it has no case for is an internal error naming it.</summary>
    [Test]
    public void A_family_rule_rejects_an_op_it_has_no_case_for()
    {
        var ctors = new Func<string, OpRule>[]
        {
            n => new BinaryRule(n), n => new ReduceAllRule(n), n => new ReduceAllGradRule(n), n => new ReduceAxisRule(n),
            n => new ReduceAxisGradRule(n), n => new SoftmaxRule(n), n => new SoftmaxGradRule(n), n => new MatMulGradRule(n),
            n => new PoolRule(n), n => new PoolGradRule(n), n => new Conv2dGradRule(n), n => new LayerNormGradRule(n),
            n => new BatchNormGradRule(n), n => new PointwiseLossRule(n, "L1"), n => new PointwiseLossGradRule(n),
        };
        foreach (var make in ctors)
        {
            var e = Assert.Throws<InvalidOperationException>(() => make("lp_pool2d"))!;
            Assert.That(e.Message, Does.StartWith("Op 'lp_pool2d' has no case in "));
        }
    }

    /// <summary>Every training model compiled into this assembly (its generator ran with the build).</summary>
    private static IEnumerable<ITrainer> CompiledModels() =>
        typeof(OpTableTests).Assembly.GetTypes()
            .Where(t => t.GetMethod("CreateTrainer", BindingFlags.Public | BindingFlags.Static) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (ITrainer)t.GetMethod("CreateTrainer")!.Invoke(null, new object[] { 2, 0 })!);

    [Test]
    public void The_interpreter_implements_every_MIL_op_the_lowerings_emit()
    {
        var programs = CompiledModels().Select(t => t.BuildPackage().Program).ToList();
        Assert.That(programs, Has.Count.GreaterThan(30));
        Assert.That(OpTableCheck.UninterpretedMilOps(programs), Is.Empty);
    }

    [Test]
    public void The_interpreter_coverage_check_reports_an_op_it_cannot_run()
    {
        var b = new MilFunctionBuilder("main");
        var x = b.Input("x", MilDType.Float32, new long[] { 2, 3 });
        b.Output(b.Unary("mish", b.Unary("softplus", x), "y"));
        var program = new MilProgram();
        program.Functions.Add(b.Build());
        Assert.That(OpTableCheck.UninterpretedMilOps(new[] { program }), Is.EqualTo(new[] { "mish (main)" }));
    }

    /// <summary>
    /// The coverage above means something only if the test models use every rule: each IR op
    /// (forward and backward) appears in the differentiated IR of some model in this project.
    /// </summary>
    [Test]
    public void Every_rule_is_exercised_by_a_test_model()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var compilation = GeneratorHarness.Empty.AddSyntaxTrees(ModelSources().Select(f => GeneratorHarness.Parse(File.ReadAllText(f), f)));
        int models = 0;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var semantic = compilation.GetSemanticModel(tree);
            foreach (var cls in tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>())
            {
                if (semantic.GetDeclaredSymbol(cls) is not INamedTypeSymbol type ||
                    !type.GetAttributes().Any(a => a.AttributeClass?.Name == "TrainingModelAttribute")) continue;
                var ir = ModelParser.Parse(type, compilation, CancellationToken.None).Value;
                Assert.That(ir, Is.Not.Null, type.Name);
                models++;
                foreach (var n in Autodiff.Differentiate(ir!).Nodes) used.Add(n.Op);
            }
        }
        Assert.That(models, Is.GreaterThan(30));
        Assert.That(OpRules.Names.Where(n => !used.Contains(n)).OrderBy(n => n, StringComparer.Ordinal), Is.Empty);
    }

    private static IEnumerable<string> ModelSources()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TrainingGen.sln"))) dir = dir.Parent;
        Assert.That(dir, Is.Not.Null, "TrainingGen.sln not found above the test directory");
        var tests = Path.Combine(dir!.FullName, "tests");
        return Directory.GetFiles(Path.Combine(tests, "TrainingGen.Generator.Tests", "Models"), "*.cs")
            .Concat(Directory.GetFiles(Path.Combine(tests, "Models"), "*.cs"));
    }
}

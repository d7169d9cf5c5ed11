using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using TrainingGen.Import.Onnx;
using TrainingGen.Tests.Harness;

namespace TrainingGen.Import.Tests;

/// <summary>
/// Mappings the five fixtures do not exercise, on small hand-built graphs: the generated class builds
/// under the generator and analyzers without any diagnostic and its eager <c>Forward</c> (compiled
/// and run here) equals a float64 reference written out by hand.
/// </summary>
public class ImportMappingTests
{
    private static ImportResult Import(GraphBuilder g) =>
        OnnxImporter.Import(OnnxReader.Read(g.Bytes, "test.onnx"), new ImportOptions { ClassName = "Net", Namespace = "Demo" });

    /// <summary>Builds the imported source with generator + analyzers (no diagnostic allowed) and loads the eager model.</summary>
    private static object CompileAndCreate(ImportResult result)
    {
        var run = GeneratorHarness.Run(result.Source);
        GeneratorHarness.AssertNoGeneratorOrAnalyzerFailure(run);
        var all = run.All.Concat(run.Output.GetDiagnostics()).Where(d => d.Severity >= DiagnosticSeverity.Warning).Distinct().ToList();
        Assert.That(all, Is.Empty, string.Join(Environment.NewLine, all) + Environment.NewLine + result.Source);
        using var ms = new MemoryStream();
        var emit = run.Output.Emit(ms);
        Assert.That(emit.Success, string.Join(Environment.NewLine, emit.Diagnostics));
        var asm = Assembly.Load(ms.ToArray());
        return Activator.CreateInstance(asm.GetType("Demo.Net")!)!;
    }

    private static Tensor Forward(object net, Tensor x) => (Tensor)net.GetType().GetMethod("Forward")!.Invoke(net, new object[] { x })!;

    private static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Rng((ulong)seed);
        var t = new Tensor(shape);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    [Test]
    public void Shape_arithmetic_folds_to_a_static_reshape_with_a_symbolic_batch_and_silu_is_recognised()
    {
        var g = new GraphBuilder().Input("x", 2, 3, 4);
        string shape = g.Node("Shape", new[] { "x" });
        string batch = g.Node("Gather", new[] { shape, g.IntScalar(0) });
        string b1 = g.Node("Unsqueeze", new[] { batch, g.Ints(0) });
        string target = g.Node("Concat", new[] { b1, g.Ints(24) }, ("axis", 0L));
        string flat = g.Node("Reshape", new[] { "x", target });
        string sm = g.Node("Softmax", new[] { flat }, ("axis", -1L));
        string sig = g.Node("Sigmoid", new[] { sm });
        string silu = g.Node("Mul", new[] { sm, sig });
        string y = g.Node("Mul", new[] { silu, g.Float(2f) });
        g.Rename(y, "output").Output("output");

        var result = Import(g);
        Assert.That(result.Source, Does.Contain("var reshaped = Ops.Reshape(x, Dim.Batch, 24);"));
        Assert.That(result.Source, Does.Contain("var silu = Ops.Silu(softmax);"));
        Assert.That(result.Source, Does.Contain("var mul = silu * 2f;"));
        Assert.That(result.Source.Split("        var ").Length - 1, Is.EqualTo(4), "the shape arithmetic leaves no code: reshape, softmax, silu, scale");

        var net = CompileAndCreate(result);
        var x = Random(1, 3, 2, 3, 4);
        var outp = Forward(net, x);
        Assert.That(outp.Shape, Is.EqualTo(new[] { 3, 24 }));
        for (int n = 0; n < 3; n++)
        {
            var row = Enumerable.Range(0, 24).Select(k => (double)x.Data[n * 24 + k]).ToArray();
            double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
            for (int k = 0; k < 24; k++)
            {
                double s = Math.Exp(row[k] - max) / sum, expected = 2 * s / (1 + Math.Exp(-s));
                Assert.That(outp.Data[n * 24 + k], Is.EqualTo(expected).Within(1e-6 + 1e-5 * Math.Abs(expected)), $"[{n}, {k}]");
            }
        }
    }

    [Test]
    public void Transpose_slice_split_concat_matmul_reduce_broadcast_add_and_activations_map_op_by_op()
    {
        var g = new GraphBuilder().Input("x", 4, 6).Initializer("offset", new long[] { 4 }, new[] { 0.5f, -1f, 0.25f, 2f });
        string tr = g.Node("Transpose", new[] { "x" }, ("perm", new long[] { 0, 2, 1 }));           // [b, 6, 4]
        string sl = g.Node("Slice", new[] { tr, g.Ints(1), g.Ints(5), g.Ints(1) });               // [b, 4, 4]
        var parts = g.NodeN("Split", new[] { sl, g.Ints(1, 3) }, 2, ("axis", 2L));                // [b, 4, 1], [b, 4, 3]
        string cat = g.Node("Concat", new[] { parts[1], parts[0] }, ("axis", 2L));                // [b, 4, 4]
        string mm = g.Node("MatMul", new[] { cat, cat });
        string rs = g.Node("ReduceSum", new[] { mm, g.Ints(2) }, ("keepdims", 0L));                // [b, 4]
        string add = g.Node("Add", new[] { rs, "offset" });
        string lr = g.Node("LeakyRelu", new[] { add }, ("alpha", 0.2f));
        string y = g.Node("LogSoftmax", new[] { lr }, ("axis", 1L));
        g.Rename(y, "output").Output("output");

        var result = Import(g);
        Assert.That(result.Source, Does.Contain("[StateDictName(\"offset\")] public Parameter Offset { get; } = new(4);"));
        Assert.That(result.Source, Does.Contain("Ops.Transpose(x, 1, 2)"));
        Assert.That(result.Source, Does.Contain("Ops.Slice(transposed, 1, 1, 5)"));
        Assert.That(result.Source, Does.Contain("Ops.Concat(part2, part, 2)"));
        Assert.That(result.Source, Does.Contain("Ops.Sum(matmul, 2)"));
        Assert.That(result.Source, Does.Contain("sum + Offset.Forward()"));
        Assert.That(result.Source, Does.Contain("Ops.LeakyRelu(add, 0.2f)"));
        Assert.That(result.Weights.Single().Name, Is.EqualTo("offset"));

        var net = CompileAndCreate(result);
        var offset = (Parameter)net.GetType().GetProperty("Offset")!.GetValue(net)!;
        new[] { 0.5f, -1f, 0.25f, 2f }.CopyTo(offset.Value.Data, 0);
        var x = Random(2, 2, 4, 6);
        var outp = Forward(net, x);
        Assert.That(outp.Shape, Is.EqualTo(new[] { 2, 4 }));
        for (int n = 0; n < 2; n++)
        {
            // c[i][j] = xᵀ[1 + i][(j + 1) % 4] (slice rows 1..4 of the transpose, columns rotated by the split/concat).
            double C(int i, int j) => x.Data[n * 24 + ((j + 1) % 4) * 6 + (1 + i)];
            var z = new double[4];
            for (int i = 0; i < 4; i++)
            {
                double s = 0;
                for (int j = 0; j < 4; j++) for (int k = 0; k < 4; k++) s += C(i, k) * C(k, j);
                s += new[] { 0.5, -1, 0.25, 2 }[i];
                z[i] = s > 0 ? s : 0.2 * s;
            }
            double max = z.Max(), lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            for (int i = 0; i < 4; i++)
                Assert.That(outp.Data[n * 4 + i], Is.EqualTo(z[i] - lse).Within(1e-5 * (1 + Math.Abs(z[i] - lse))), $"[{n}, {i}]");
        }
    }

    [Test]
    public void Eval_mode_batch_norm_padded_average_pool_global_pool_and_training_dropout_map()
    {
        var g = new GraphBuilder().Input("x", 2, 4, 4)
            .Initializer("bn.weight", new long[] { 2 }, new[] { 1.5f, 0.5f }).Initializer("bn.bias", new long[] { 2 }, new[] { 0.1f, -0.2f })
            .Initializer("bn.running_mean", new long[] { 2 }, new[] { 0.3f, -0.1f }).Initializer("bn.running_var", new long[] { 2 }, new[] { 2f, 0.5f });
        string bn = g.Node("BatchNormalization", new[] { "x", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var" }, ("epsilon", 1e-3f), ("momentum", 0.8f));
        string pad = g.Node("Pad", new[] { bn, g.Ints(0, 0, 1, 1, 0, 0, 1, 1) }, ("mode", "constant"));
        string avg = g.Node("AveragePool", new[] { pad }, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 1, 1 }));
        string gp = g.Node("GlobalAveragePool", new[] { avg });
        string flat = g.Node("Flatten", new[] { gp }, ("axis", 1L));
        var drop = g.NodeN("Dropout", new[] { flat, g.Float(0.25f), g.Ints(1) }, 2);
        g.Rename(drop[0], "output").Output("output");

        var result = Import(g);
        Assert.That(result.Source, Does.Contain("[StateDictName(\"bn\")] public BatchNorm2d Bn { get; } = new(2, eps: 0.001f, momentum: 0.2f);"));
        Assert.That(result.Source, Does.Contain("var pool = Ops.AvgPool2d(bn, 3, 1, 1);"));
        Assert.That(result.Source, Does.Contain("var pooled = Ops.GlobalAvgPool(pool);"));
        Assert.That(result.Source, Does.Contain("var dropout = Ops.Dropout(pooled, 0.25f);"));
        Assert.That(result.Weights.Select(w => w.Name), Is.EqualTo(new[] { "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked" }));
        CompileAndCreate(result);
    }

    [Test]
    public void A_MatMul_with_an_in_out_weight_and_no_state_dict_name_becomes_a_named_Linear()
    {
        // A constant-folded export: the weight is [in, out] under an onnx:: name, the bias is added first.
        var g = new GraphBuilder().Input("x", 3)
            .Initializer("onnx::MatMul_7", new long[] { 3, 2 }, new[] { 1f, 2f, 3f, 4f, 5f, 6f })
            .Initializer("fc.bias", new long[] { 2 }, new[] { 0.5f, -0.5f });
        string mm = g.Node("MatMul", new[] { "x", "onnx::MatMul_7" });
        string y = g.Node("Add", new[] { "fc.bias", mm });
        g.Rename(y, "output").Output("output");
        var result = Import(g);
        Assert.That(result.Source, Does.Contain("[StateDictName(\"linear1\")] public Linear Linear1 { get; } = new(3, 2);"));
        var w = result.Weights.Single(t => t.Name == "linear1.weight");
        Assert.That(w.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(w.Values, Is.EqualTo(new[] { 1f, 3f, 5f, 2f, 4f, 6f }), "stored [out, in] like nn.Linear");
        CompileAndCreate(result);
    }

    [Test]
    public void Without_state_dict_names_the_properties_carry_no_attribute()
    {
        var g = new GraphBuilder().Input("x", 3).Initializer("fc.weight", new long[] { 2, 3 }, new float[6]);
        string y = g.Node("Gemm", new[] { "x", "fc.weight" }, ("transB", 1L));
        g.Rename(y, "output").Output("output");
        var result = OnnxImporter.Import(OnnxReader.Read(g.Bytes, "t.onnx"), new ImportOptions { ClassName = "Net", EmitStateDictNames = false });
        Assert.That(result.Source, Does.Contain("    public Linear Fc { get; } = new(3, 2, bias: false);"));
        Assert.That(result.Source, Does.Not.Contain("StateDictName"));
    }
}

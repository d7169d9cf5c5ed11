using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>sum / mean over one axis (attrs: axis, keep_dims). The adjoint broadcasts g back.</summary>
internal sealed class ReduceAxisRule : OpRule
{
    public ReduceAxisRule(string name) { Name = OneOf<ReduceAxisRule>(name, "sum_axis", "mean_axis"); }
    public override string Name { get; }
    private bool Mean => Name == "mean_axis";

    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add(Name + "_grad", new[] { g }, ad.ShapeOf(n.Args[0]),
            $"d({(Mean ? "mean" : "sum")}(x, axis {n.Int(0)}))/dx = g broadcast{(Mean ? " / n" : "")}: " + n.Source, n.Attrs.ToArray()));

    /// <summary>(outer, axis, inner) extents of a shape around an axis, as C# expressions.</summary>
    internal static (string Outer, string Axis, string Inner) Split(EquatableArray<int> shape, int axis)
    {
        string Prod(System.Collections.Generic.IEnumerable<int> ds) { var l = ds.Select(Dim).ToList(); return l.Count == 0 ? "1" : string.Join(" * ", l); }
        return (Prod(shape.Take(axis)), Dim(shape[axis]), Prod(shape.Skip(axis + 1)));
    }

    public override string? Trainer(EmitContext c, Node n)
    {
        var (o, a, i) = Split(c.Shape(n.Args[0]), n.Int(0));
        return $"{EmitContext.K}.Layout.ReduceAxis({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {o}, {a}, {i}, {(Mean ? "true" : "false")});";
    }

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"b.Reduce{(Mean ? "Mean" : "Sum")}({c.V(n.Args[0])}, new[] {{ {n.Int(0)} }}, {(n.Int(1) != 0 ? "true" : "false")}{nm})";
}

internal sealed class ReduceAxisGradRule : OpRule
{
    public ReduceAxisGradRule(string forward) { Forward = OneOf<ReduceAxisGradRule>(forward, "sum_axis", "mean_axis"); }
    private string Forward { get; }
    public override string Name => Forward + "_grad";
    private bool Mean => Forward == "mean_axis";

    public override string? Trainer(EmitContext c, Node n)
    {
        var (o, a, i) = ReduceAxisRule.Split(n.Shape, n.Int(0));
        return $"{EmitContext.K}.Layout.ReduceAxisBackward({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {o}, {a}, {i}, {(Mean ? "true" : "false")});";
    }

    public override string? Mil(EmitContext c, Node n, MilName nm)
    {
        string g = c.V(n.Args[0]);
        if (n.Int(1) == 0) g = $"b.Op(\"expand_dims\", global::TrainingGen.TrainingPackage.Expanded({g}.Type, {n.Int(0)}), null, (\"x\", {g}), (\"axes\", {EmitContext.Mil}.MilTensor.Vector({n.Int(0)})))";
        string scale = Mean ? $"1f / {c.Dim(n.Shape[n.Int(0)])}" : "1f";
        return $"b.Mul(b.Fill({c.LongArray(n.Shape)}, {scale}), {g}{nm})";
    }
}

/// <summary>reshape / flatten: same elements, new shape. The trainer copies (buffers never alias).</summary>
internal sealed class ReshapeRule : OpRule
{
    public ReshapeRule(string name) { Name = name; }
    public override string Name { get; }

    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add("reshape_grad", new[] { g }, ad.ShapeOf(n.Args[0]), "d(reshape(x))/dx = reshape(g) back: " + n.Source));

    public override string? Trainer(EmitContext c, Node n) => $"global::System.MemoryExtensions.AsSpan({c.Ref(n.Args[0])}).CopyTo({c.Ref(n.Id)});";
    public override string? Mil(EmitContext c, Node n, MilName nm) => $"b.Reshape({c.V(n.Args[0])}, {c.LongArray(n.Shape)}{nm})";
}

internal sealed class ReshapeGradRule : OpRule
{
    public override string Name => "reshape_grad";
    public override string? Trainer(EmitContext c, Node n) => $"global::System.MemoryExtensions.AsSpan({c.Ref(n.Args[0])}).CopyTo({c.Ref(n.Id)});";
    public override string? Mil(EmitContext c, Node n, MilName nm) => $"b.Reshape({c.V(n.Args[0])}, {c.LongArray(n.Shape)}{nm})";
}

/// <summary>Swaps two dimensions (attrs d0, d1); a swap is its own inverse, so the adjoint swaps back.</summary>
internal sealed class TransposeRule : OpRule
{
    public override string Name => "transpose";

    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add("transpose", new[] { g }, ad.ShapeOf(n.Args[0]), "d(transpose(x))/dx = transpose(g): " + n.Source, n.Attrs.ToArray()));

    internal static int[] Perm(int rank, int d0, int d1)
    {
        var p = Enumerable.Range(0, rank).ToArray();
        (p[d0], p[d1]) = (p[d1], p[d0]);
        return p;
    }

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Layout.Permute({c.Ref(n.Args[0])}, {c.S(n.Args[0])}, new int[] {{ {string.Join(", ", Perm(n.Shape.Count, n.Int(0), n.Int(1)))} }}, {c.Ref(n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"b.Transpose({c.V(n.Args[0])}, new[] {{ {string.Join(", ", Perm(n.Shape.Count, n.Int(0), n.Int(1)))} }}{nm})";
}

/// <summary>A general permutation (attrs: the permutation); the adjoint applies the inverse one.</summary>
internal sealed class PermuteRule : OpRule
{
    public override string Name => "permute";

    private static int[] Perm(Node n) => n.Attrs.Select(v => (int)v).ToArray();

    public override void Backward(AdContext ad, Node n, int g)
    {
        var perm = Perm(n);
        var inverse = new double[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        ad.Contribute(n.Args[0], ad.Add("permute", new[] { g }, ad.ShapeOf(n.Args[0]), "d(permute(x))/dx = inverse permute(g): " + n.Source, inverse));
    }

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Layout.Permute({c.Ref(n.Args[0])}, {c.S(n.Args[0])}, new int[] {{ {string.Join(", ", Perm(n))} }}, {c.Ref(n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"b.Transpose({c.V(n.Args[0])}, new[] {{ {string.Join(", ", Perm(n))} }}{nm})";
}

/// <summary>Batched matmul [.., m, k]·[.., k, n]; one side may be unbatched (a shared weight).</summary>
internal sealed class MatMulRule : OpRule
{
    public override string Name => "matmul";

    public override void Backward(AdContext ad, Node n, int g)
    {
        int a = n.Args[0], b = n.Args[1];
        if (ad.IsActive(a)) ad.Contribute(a, ad.Add("matmul_da", new[] { g, a, b }, ad.ShapeOf(a), "d(a·b)/da = g·bᵀ: " + n.Source));
        if (ad.IsActive(b)) ad.Contribute(b, ad.Add("matmul_db", new[] { g, a, b }, ad.ShapeOf(b), "d(a·b)/db = aᵀ·g: " + n.Source));
    }

    /// <summary>Kernel arguments: batch, batchA, batchB, m, k, n.</summary>
    internal static string Extents(EmitContext c, int a, int b, int y)
    {
        var sa = c.Shape(a); var sb = c.Shape(b);
        string m = Dim(sa[sa.Count - 2]), k = Dim(sa[sa.Count - 1]), n = Dim(sb[sb.Count - 1]);
        return $"{c.Ref(y)}.Length / ({m} * {n}), {c.Ref(a)}.Length / ({m} * {k}), {c.Ref(b)}.Length / ({k} * {n}), {m}, {k}, {n}";
    }

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.MatMul.Forward({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {Extents(c, n.Args[0], n.Args[1], n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) => $"b.MatMul({c.V(n.Args[0])}, {c.V(n.Args[1])}{nm})";
}

internal sealed class MatMulGradRule : OpRule
{
    public MatMulGradRule(string name) { Name = OneOf<MatMulGradRule>(name, "matmul_da", "matmul_db"); }
    public override string Name { get; }
    private bool IsA => Name == "matmul_da";

    public override string? Trainer(EmitContext c, Node n)
    {
        int g = n.Args[0], a = n.Args[1], b = n.Args[2];
        string ext = MatMulRule.Extents(c, a, b, g);
        return IsA
            ? $"{EmitContext.K}.MatMul.GradA({c.Ref(g)}, {c.Ref(b)}, {c.Ref(n.Id)}, {ext});"
            : $"{EmitContext.K}.MatMul.GradB({c.Ref(g)}, {c.Ref(a)}, {c.Ref(n.Id)}, {ext});";
    }

    public override string? Mil(EmitContext c, Node n, MilName nm)
    {
        int g = n.Args[0], a = n.Args[1], b = n.Args[2];
        string product = IsA
            ? $"b.MatMul({c.V(g)}, {c.V(b)}, transposeY: true)"
            : $"b.MatMul({c.V(a)}, {c.V(g)}, transposeX: true)";
        int extra = c.Shape(g).Count - n.Shape.Count;
        // An unbatched operand was broadcast over the batch: its adjoint sums over those axes.
        return extra > 0
            ? $"b.ReduceSum({product}, new[] {{ {string.Join(", ", Enumerable.Range(0, extra))} }}, false{nm})"
            : product.Substring(0, product.Length - 1) + nm + ")";
    }
}

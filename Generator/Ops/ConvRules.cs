using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// Conv2d (args x, W, b; attrs k, stride, padding, dilation, groups). The trainer keeps the
/// im2row patches of the forward pass in <c>{c.Work(id)}</c>; the weight gradient reads them.
/// </summary>
internal sealed class Conv2dRule : OpRule
{
    public override string Name => "conv2d";

    public override void Backward(AdContext ad, Node n, int g)
    {
        int x = n.Args[0], w = n.Args[1], b = n.Args[2];
        var attrs = n.Attrs.ToArray();
        if (ad.IsActive(w)) ad.Contribute(w, ad.Add("conv2d_dw", new[] { g, x, n.Id }, ad.ShapeOf(w), "d(conv(x, W))/dW = Σ dy ⊗ patches(x): " + n.Source, attrs));
        if (ad.IsActive(b)) ad.Contribute(b, ad.Add("conv2d_db", new[] { g }, ad.ShapeOf(b), "d(conv + b)/db = Σ_n,h,w dy: " + n.Source, attrs));
        if (ad.IsActive(x)) ad.Contribute(x, ad.Add("conv2d_dx", new[] { g, w }, ad.ShapeOf(x), "d(conv(x, W))/dx = conv_transpose(dy, W): " + n.Source, attrs));
    }

    /// <summary>The kernels' geometry for a conv node given its input and output shapes.</summary>
    internal static string Geometry(EquatableArray<int> x, EquatableArray<int> y, Node n) =>
        $"new {EmitContext.K}.Conv2dShape({Dim(x[0])}, {x[1]}, {x[2]}, {x[3]}, {y[1]}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)}, {n.Int(3)}, {n.Int(4)})";

    public override string? Scratch(EmitContext c, Node n)
    {
        var plan = ConvKernelChoice.For(c.Shape(n.Args[0]), n.Shape, n);
        string geometry = Geometry(c.Shape(n.Args[0]), n.Shape, n);
        return plan.Direct ? $"{EmitContext.K}.Conv2dDirect.ForwardWorkLength({geometry}, {plan.ForwardTile})" : $"{geometry}.PatchCount";
    }

    public override string? Trainer(EmitContext c, Node n)
    {
        var plan = ConvKernelChoice.For(c.Shape(n.Args[0]), n.Shape, n);
        string bias = n.Args[2] >= 0 ? c.Ref(n.Args[2]) : "default", geometry = Geometry(c.Shape(n.Args[0]), n.Shape, n);
        if (!plan.Direct)
            return $"{EmitContext.K}.Conv2d.Forward({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {bias}, {c.Ref(n.Id)}, {c.Work(n.Id)}, {geometry});";
        // a relu right after the convolution (its only reader) is applied as the output is stored, into the relu's buffer
        int relu = c.FusedWith(n.Id);
        return $"{EmitContext.K}.Conv2dDirect.Forward({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {bias}, {c.Ref(relu >= 0 ? relu : n.Id)}, {c.Work(n.Id)}, {geometry}, " +
               $"{plan.ForwardTile}, {EmitContext.K}.ConvEpilogue.{(relu >= 0 ? "BiasRelu" : "Bias")});";
    }

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"{EmitContext.Mil}.MilRecipes.Conv2d(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {(n.Args[2] >= 0 ? c.V(n.Args[2]) : "null")}, {n.Int(1)}, {n.Int(2)}, {n.Int(3)}, {n.Int(4)}{nm})";
}

internal sealed class Conv2dGradRule : OpRule
{
    public Conv2dGradRule(string name) { Name = OneOf<Conv2dGradRule>(name, "conv2d_dw", "conv2d_db", "conv2d_dx"); }
    public override string Name { get; }

    public override string? Scratch(EmitContext c, Node n)
    {
        if (Name != "conv2d_dx") return null;
        var plan = ConvKernelChoice.For(n.Shape, c.Shape(n.Args[0]), n);
        string geometry = Conv2dRule.Geometry(n.Shape, c.Shape(n.Args[0]), n);
        return plan.Direct ? $"{EmitContext.K}.Conv2dDirect.InputGradScatterWorkLength({geometry})" : $"{geometry}.PatchLength";
    }

    public override string? Trainer(EmitContext c, Node n)
    {
        int g = n.Args[0];
        switch (Name)
        {
            case "conv2d_dw":
            {
                var fwd = c.Nodes[n.Args[2]];
                var plan = ConvKernelChoice.For(c.Shape(fwd.Args[0]), fwd.Shape, n);
                string geometry = Conv2dRule.Geometry(c.Shape(fwd.Args[0]), fwd.Shape, n);
                // the direct forward keeps only packed weights (+ a padded copy of x); im2row keeps the patches
                return plan.Direct
                    ? $"{EmitContext.K}.Conv2dDirect.WeightGrad({c.Ref(g)}, {c.Ref(n.Args[1])}, {c.Work(fwd.Id)}, {c.Ref(n.Id)}, {geometry}, {plan.ForwardTile});"
                    : $"{EmitContext.K}.Conv2d.WeightGrad({c.Ref(g)}, {c.Work(fwd.Id)}, {c.Ref(n.Id)}, {geometry});";
            }
            case "conv2d_db":
            {
                var gs = c.Shape(g);
                // a 1×1 "convolution" over dy's own plane: OutHeight/OutWidth are dy's h, w
                return $"{EmitContext.K}.Conv2d.BiasGrad({c.Ref(g)}, {c.Ref(n.Id)}, new {EmitContext.K}.Conv2dShape({Dim(gs[0])}, 1, {gs[2]}, {gs[3]}, {gs[1]}, 1, 1, 0, 1, 1));";
            }
            case "conv2d_dx":
            {
                var plan = ConvKernelChoice.For(n.Shape, c.Shape(g), n);
                string geometry = Conv2dRule.Geometry(n.Shape, c.Shape(g), n);
                return plan.Direct
                    ? $"{EmitContext.K}.Conv2dDirect.InputGradScatter({c.Ref(g)}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {c.Work(n.Id)}, {geometry});"
                    : $"{EmitContext.K}.Conv2d.InputGrad({c.Ref(g)}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)}, {c.Work(n.Id)}, {geometry});";
            }
            default:
                throw NoCase();
        }
    }

    public override string? Mil(EmitContext c, Node n, MilName nm)
    {
        int g = n.Args[0];
        return Name switch
        {
            "conv2d_dw" => $"{EmitContext.Mil}.MilRecipes.Conv2dWeightGrad(b, {c.V(g)}, {c.V(n.Args[1])}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)}, {n.Int(4)}{nm}, dilation: {n.Int(3)})",
            "conv2d_db" => $"b.ReduceSum({c.V(g)}, new[] {{ 0, 2, 3 }}, false{nm})",
            "conv2d_dx" => $"{EmitContext.Mil}.MilRecipes.Conv2dInputGrad(b, {c.V(g)}, {c.V(n.Args[1])}, {c.LongArray(n.Shape)}, {n.Int(1)}, {n.Int(2)}, {n.Int(4)}{nm}, dilation: {n.Int(3)})",
            _ => throw NoCase(),
        };
    }
}

/// <summary>max / average pooling (attrs k, stride, padding) and global average pooling.</summary>
internal sealed class PoolRule : OpRule
{
    public PoolRule(string name) { Name = OneOf<PoolRule>(name, Pools); }

    internal static readonly string[] Pools = { "max_pool2d", "avg_pool2d", "global_avg_pool" };
    public override string Name { get; }

    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add(Name + "_grad", new[] { g, n.Args[0], n.Id }, ad.ShapeOf(n.Args[0]),
            Name switch
            {
                "max_pool2d" => "d(max_pool)/dx: g routed to each window's maximum: ",
                "avg_pool2d" => "d(avg_pool)/dx: g / k² spread over each window: ",
                "global_avg_pool" => "d(global_avg_pool)/dx: g / (h·w) spread over the plane: ",
                _ => throw NoCase(),
            } + n.Source, n.Attrs.ToArray()));

    internal static string Planes(EquatableArray<int> x) => $"{Dim(x[0])} * {x[1]}";

    public override string? Trainer(EmitContext c, Node n)
    {
        var x = c.Shape(n.Args[0]);
        return Name switch
        {
            "max_pool2d" => $"{EmitContext.K}.Pool2d.MaxForward({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {Planes(x)}, {x[2]}, {x[3]}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)});",
            "avg_pool2d" => $"{EmitContext.K}.Pool2d.AvgForward({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {Planes(x)}, {x[2]}, {x[3]}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)});",
            "global_avg_pool" => $"{EmitContext.K}.Layout.ReduceAxis({c.Ref(n.Args[0])}, {c.Ref(n.Id)}, {Planes(x)}, {x[2] * x[3]}, 1, true);",
            _ => throw NoCase(),
        };
    }

    public override string? Mil(EmitContext c, Node n, MilName nm) => Name switch
    {
        "global_avg_pool" => $"b.ReduceMean({c.V(n.Args[0])}, new[] {{ 2, 3 }}, false{nm})",
        "max_pool2d" or "avg_pool2d" => $"{EmitContext.Mil}.MilRecipes.Pool2d(b, {c.V(n.Args[0])}, {(Name == "max_pool2d" ? "true" : "false")}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)}{nm})",
        _ => throw NoCase(),
    };
}

internal sealed class PoolGradRule : OpRule
{
    public PoolGradRule(string forward) { Forward = OneOf<PoolGradRule>(forward, PoolRule.Pools); }
    private string Forward { get; }
    public override string Name => Forward + "_grad";

    public override string? Trainer(EmitContext c, Node n)
    {
        var x = n.Shape;
        string g = c.Ref(n.Args[0]), dx = c.Ref(n.Id);
        return Forward switch
        {
            // with the relu gradient after it fused: dx is then the relu input's gradient (the relu_grad's buffer)
            "max_pool2d" when c.FusedWith(n.Id) is int relu and >= 0 =>
                $"{EmitContext.K}.MaxPool2x2.BackwardRange({g}, {c.Ref(n.Args[1])}, {c.Ref(relu)}, {x[2]}, {x[3]}, true, 0, {PoolRule.Planes(x)});",
            "max_pool2d" => $"{EmitContext.K}.Pool2d.MaxBackward({g}, {c.Ref(n.Args[1])}, {dx}, {PoolRule.Planes(x)}, {x[2]}, {x[3]}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)});",
            "avg_pool2d" => $"{EmitContext.K}.Pool2d.AvgBackward({g}, {dx}, {PoolRule.Planes(x)}, {x[2]}, {x[3]}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)});",
            "global_avg_pool" => $"{EmitContext.K}.Layout.ReduceAxisBackward({g}, {dx}, {PoolRule.Planes(x)}, {x[2] * x[3]}, 1, true);",
            _ => throw NoCase(),
        };
    }

    public override string? Mil(EmitContext c, Node n, MilName nm) => Forward switch
    {
        "global_avg_pool" => $"{EmitContext.Mil}.MilRecipes.GlobalAvgPoolGrad(b, {c.V(n.Args[0])}, {c.LongArray(n.Shape)}{nm})",
        "max_pool2d" or "avg_pool2d" => $"{EmitContext.Mil}.MilRecipes.Pool2dGrad(b, {c.V(n.Args[0])}, {c.V(n.Args[1])}, {(Forward == "max_pool2d" ? c.V(n.Args[2]) : "null")}, {(Forward == "max_pool2d" ? "true" : "false")}, {n.Int(0)}, {n.Int(1)}, {n.Int(2)}{nm})",
        _ => throw NoCase(),
    };
}

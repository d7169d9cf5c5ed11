using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Ops;

/// <summary>+ − × ÷ with NumPy broadcasting; adjoints are summed back to each operand's shape.</summary>
internal sealed class BinaryRule : OpRule
{
    public BinaryRule(string name) { Name = OneOf<BinaryRule>(name, "add", "sub", "mul", "div"); }
    public override string Name { get; }

    public override void Backward(AdContext ad, Node n, int g)
    {
        int a = n.Args[0], b = n.Args[1];
        var gs = ad.ShapeOf(g);
        string src = n.Source;
        switch (Name)
        {
            case "add":
                ad.Contribute(a, ad.SumTo(g, a, "d(a + b)/da: " + src));
                ad.Contribute(b, ad.SumTo(g, b, "d(a + b)/db: " + src));
                break;
            case "sub":
                ad.Contribute(a, ad.SumTo(g, a, "d(a - b)/da: " + src));
                if (ad.IsActive(b))
                    ad.Contribute(b, ad.SumTo(ad.Add("neg", new[] { g }, gs, "d(a - b)/db = -g: " + src), b, "d(a - b)/db: " + src));
                break;
            case "mul":
                if (ad.IsActive(a))
                    ad.Contribute(a, ad.SumTo(ad.Add("mul", new[] { g, b }, gs, "d(a * b)/da = g * b: " + src), a, "d(a * b)/da: " + src));
                if (ad.IsActive(b))
                    ad.Contribute(b, ad.SumTo(ad.Add("mul", new[] { g, a }, gs, "d(a * b)/db = g * a: " + src), b, "d(a * b)/db: " + src));
                break;
            case "div":
                if (ad.IsActive(a))
                    ad.Contribute(a, ad.SumTo(ad.Add("div", new[] { g, b }, gs, "d(a / b)/da = g / b: " + src), a, "d(a / b)/da: " + src));
                if (ad.IsActive(b))
                {
                    // d(a/b)/db = −g·(a/b)/b, reusing the forward output a/b
                    int gy = ad.Add("mul", new[] { g, n.Id }, gs, "d(a / b)/db: g * (a / b): " + src);
                    int q = ad.Add("div", new[] { gy, b }, gs, "d(a / b)/db: g * (a / b) / b: " + src);
                    ad.Contribute(b, ad.SumTo(ad.Add("neg", new[] { q }, gs, "d(a / b)/db = -g * a / b^2: " + src), b, "d(a / b)/db: " + src));
                }
                break;
            default:
                throw NoCase();
        }
    }

    private string KernelOp => Name switch { "add" => "Add", "sub" => "Sub", "mul" => "Mul", "div" => "Div", _ => throw NoCase() };

    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Elementwise.Binary({EmitContext.K}.BinaryOp.{KernelOp}, {c.Ref(n.Args[0])}, {c.S(n.Args[0])}, {c.Ref(n.Args[1])}, {c.S(n.Args[1])}, {c.Ref(n.Id)}, {c.S(n.Id)});";

    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"b.{(Name == "div" ? "RealDiv" : KernelOp)}({c.V(n.Args[0])}, {c.V(n.Args[1])}{nm})";
}

/// <summary>−a.</summary>
internal sealed class NegRule : OpRule
{
    public override string Name => "neg";
    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add("neg", new[] { g }, ad.ShapeOf(g), "d(-a)/da = -g: " + n.Source));
    public override string? Trainer(EmitContext c, Node n) => $"{EmitContext.TP}.Negate({c.Ref(n.Args[0])}, {c.Ref(n.Id)});";
    public override string? Mil(EmitContext c, Node n, MilName nm) => $"b.Mul({c.V(n.Args[0])}, b.Scalar(-1f){nm})";
}

/// <summary>relu(a) = max(a, 0); its adjoint reads the saved output.</summary>
internal sealed class ReluRule : OpRule
{
    public override string Name => "relu";
    public override void Backward(AdContext ad, Node n, int g) =>
        ad.Contribute(n.Args[0], ad.Add("relu_grad", new[] { g, n.Id }, ad.ShapeOf(g), "d(relu(a))/da = g * (y > 0): " + n.Source));
    public override string? Trainer(EmitContext c, Node n) => $"{EmitContext.TP}.Max({c.Ref(n.Args[0])}, 0f, {c.Ref(n.Id)});";
    public override string? Mil(EmitContext c, Node n, MilName nm) => $"b.Relu({c.V(n.Args[0])}{nm})";
}

internal sealed class ReluGradRule : OpRule
{
    public override string Name => "relu_grad";
    public override string? Trainer(EmitContext c, Node n) =>
        $"{EmitContext.K}.Activations.ReluBackward({c.Ref(n.Args[0])}, {c.Ref(n.Args[1])}, {c.Ref(n.Id)});";
    public override string? Mil(EmitContext c, Node n, MilName nm) =>
        $"b.Select(b.Greater({c.V(n.Args[1])}, b.Scalar(0f)), {c.V(n.Args[0])}, b.Scalar(0f){nm})";
}

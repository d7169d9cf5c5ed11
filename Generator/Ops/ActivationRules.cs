using System.Linq;
using TrainingGen.Generator.Model;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Ops;

/// <summary>
/// Elementwise activations y = f(x). Each knows its derivative's formula, whether it reads the
/// saved output (cheaper: sigmoid, tanh, exp, sqrt) or the input, and how to write both in MIL.
/// </summary>
internal sealed class UnaryRule : OpRule
{
    public UnaryRule(string name) { Name = name; }
    public override string Name { get; }

    // Which forward value the derivative reads: the output y (true) or the input x (false).
    private bool ReadsOutput => Name is "sigmoid" or "tanh" or "exp" or "sqrt";

    public override void Backward(AdContext ad, Node n, int g)
    {
        int saved = ReadsOutput ? n.Id : n.Args[0];
        string formula = Name switch
        {
            "sigmoid" => "g * y * (1 - y)",
            "tanh" => "g * (1 - y^2)",
            "exp" => "g * y",
            "log" => "g / x",
            "sqrt" => "g / (2 y)",
            "silu" => "g * s * (1 + x (1 - s)), s = sigmoid(x)",
            "leaky_relu" => "g where x > 0, else slope * g",
            _ => "g * gelu'(x)",
        };
        ad.Contribute(n.Args[0], ad.Add(Name + "_grad", new[] { g, saved }, ad.ShapeOf(g), $"d({Name}(x))/dx = {formula}: {n.Source}", n.Attrs.ToArray()));
    }

    public override string? Trainer(EmitContext c, Node n)
    {
        string x = c.Ref(n.Args[0]), y = c.Ref(n.Id);
        return Name switch
        {
            "sigmoid" => $"{EmitContext.K}.Unary.Sigmoid({x}, {y});",
            "tanh" => $"{EmitContext.K}.Unary.Tanh({x}, {y});",
            "exp" => $"{EmitContext.K}.Unary.Exp({x}, {y});",
            "log" => $"{EmitContext.K}.Unary.Log({x}, {y});",
            "sqrt" => $"{EmitContext.K}.Unary.Sqrt({x}, {y});",
            "silu" => $"{EmitContext.K}.Unary.Silu({x}, {y});",
            "leaky_relu" => $"{EmitContext.K}.Unary.LeakyRelu({x}, {Float(n.Scalar)}, {y});",
            _ => $"{EmitContext.K}.Unary.Gelu({x}, {(n.Scalar != 0 ? "true" : "false")}, {y});",
        };
    }

    public override string? Mil(EmitContext c, Node n, string nm)
    {
        string x = c.V(n.Args[0]);
        return Name switch
        {
            "log" => $"b.Log({x}{nm})",
            "leaky_relu" => $"b.Op(\"leaky_relu\", {x}.Type, {NameArg(nm)}, (\"x\", {x}), (\"alpha\", {EmitContext.Mil}.MilTensor.Scalar({Float(n.Scalar)})))",
            "gelu" => $"b.Op(\"gelu\", {x}.Type, {NameArg(nm)}, (\"x\", {x}), (\"mode\", {EmitContext.Mil}.MilTensor.Scalar({(n.Scalar != 0 ? "\"TANH_APPROXIMATION\"" : "\"EXACT\"")})))",
            _ => $"b.Unary(\"{Name}\", {x}{nm})",
        };
    }

    /// <summary>Turns ", name: \"x\"" into the positional name argument of MilFunctionBuilder.Op.</summary>
    internal static string NameArg(string nm) => nm.Length == 0 ? "null" : nm.Substring(", name: ".Length);
}

/// <summary>The adjoint of a <see cref="UnaryRule"/> op: args [g, saved value].</summary>
internal sealed class UnaryGradRule : OpRule
{
    public UnaryGradRule(string forward) { Forward = forward; }
    private string Forward { get; }
    public override string Name => Forward + "_grad";

    public override string? Trainer(EmitContext c, Node n)
    {
        string g = c.Ref(n.Args[0]), s = c.Ref(n.Args[1]), dx = c.Ref(n.Id);
        return Forward switch
        {
            "sigmoid" => $"{EmitContext.K}.Unary.SigmoidBackward({g}, {s}, {dx});",
            "tanh" => $"{EmitContext.K}.Unary.TanhBackward({g}, {s}, {dx});",
            "exp" => $"{EmitContext.TP}.Multiply({g}, {s}, {dx});",
            "log" => $"{EmitContext.TP}.Divide({g}, {s}, {dx});",
            "sqrt" => $"{EmitContext.K}.Unary.SqrtBackward({g}, {s}, {dx});",
            "silu" => $"{EmitContext.K}.Unary.SiluBackward({g}, {s}, {dx});",
            "leaky_relu" => $"{EmitContext.K}.Unary.LeakyReluBackward({g}, {s}, {Float(n.Scalar)}, {dx});",
            _ => $"{EmitContext.K}.Unary.GeluBackward({g}, {s}, {(n.Scalar != 0 ? "true" : "false")}, {dx});",
        };
    }

    public override string? Mil(EmitContext c, Node n, string nm)
    {
        string g = c.V(n.Args[0]), s = c.V(n.Args[1]);
        switch (Forward)
        {
            case "sigmoid": return $"b.Mul(b.Mul({g}, {s}), b.Sub(b.Scalar(1f), {s}){nm})";
            case "tanh": return $"b.Mul({g}, b.Sub(b.Scalar(1f), b.Mul({s}, {s})){nm})";
            case "exp": return $"b.Mul({g}, {s}{nm})";
            case "log": return $"b.RealDiv({g}, {s}{nm})";
            case "sqrt": return $"b.RealDiv({g}, b.Mul({s}, b.Scalar(2f)){nm})";
            case "silu":
                return $"{EmitContext.Mil}.MilRecipes.SiluGrad(b, {g}, {s}{nm})";
            case "leaky_relu":
                return $"b.Select(b.Greater({s}, b.Scalar(0f)), {g}, b.Mul({g}, b.Scalar({Float(n.Scalar)})){nm})";
            default:
                // gelu: exact Φ(x) + x φ(x) = 0.5 (1 + erf(x/√2)) + x e^{−x²/2}/√(2π); tanh form via its derivative
                if (n.Scalar != 0)
                    return $"b.Mul({g}, {EmitContext.Mil}.MilRecipes.GeluTanhDerivative(b, {s}){nm})";
                return $"b.Mul({g}, {EmitContext.Mil}.MilRecipes.GeluExactDerivative(b, {s}){nm})";
        }
    }
}

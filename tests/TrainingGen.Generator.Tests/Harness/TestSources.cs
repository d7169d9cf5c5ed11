namespace TrainingGen.Tests.Harness;

/// <summary>Training programs used as source text by the driver, analyzer and robustness tests.</summary>
internal static class TestSources
{
    // The seed program (ARCHITECTURE.md §1) exists once: Samples/QuickStart/Model.cs, compiled into
    // this project as the typed model and embedded as a resource for the driver tests, which read it
    // here as source text in namespace Demo.
    private static readonly string SeedFile = ReadSeedFile();

    private static string ReadSeedFile()
    {
        using var stream = typeof(TestSources).Assembly.GetManifestResourceStream("SeedModel.cs")
            ?? throw new System.InvalidOperationException("Samples/QuickStart/Model.cs is not embedded in the test assembly.");
        string text = new System.IO.StreamReader(stream).ReadToEnd().Replace("\r\n", "\n");
        text = text.Substring(text.IndexOf("using TrainingGen;", System.StringComparison.Ordinal));
        return text.Replace("namespace QuickStart;", "namespace Demo;");
    }

    private static int TrainingStart => SeedFile.IndexOf("[TrainingModel", System.StringComparison.Ordinal);

    /// <summary>The backbone and loss of the seed program, without the training model.</summary>
    public static readonly string SeedBackbone = SeedFile.Substring(0, TrainingStart).TrimEnd();

    /// <summary>The seed training model class, without usings or namespace.</summary>
    private static readonly string SeedTrainingClass = SeedFile.Substring(TrainingStart).TrimEnd();

    /// <summary>The seed training model.</summary>
    public static readonly string SeedTraining = "using TrainingGen;\n\nnamespace Demo;\n\n" + SeedTrainingClass;

    /// <summary>The whole seed program in one file.</summary>
    public static readonly string Seed = SeedBackbone + "\n\n" + SeedTrainingClass;

    /// <summary>
    /// A training model over the seed backbone (<see cref="SeedBackbone"/>, in another file) with
    /// the given attributes, Forward signature and body; <c>[|...|]</c> markers pass through.
    /// </summary>
    public static string Training(string body, string attributes = "TrainingModel, Sgd(LearningRate = 0.001, Momentum = 0.9)",
        string parameters = "[Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y",
        string returnType = "(Tensor Loss, Tensor Pred)", string members = "") => $$"""
        using System;
        using TrainingGen;

        namespace Demo;

        [{{attributes}}]
        public partial class ModelToExport
        {
            public LinearModel Backend { get; } = new();
        {{members}}
            public {{returnType}} Forward({{parameters}})
            {
        {{body}}
            }
        }
        """;

    /// <summary>A 3-layer MLP with ReLU and the built-in MSE loss.</summary>
    public const string Mlp = """
        using TrainingGen;

        namespace Demo.Mlp;

        [Model]
        public partial class Mlp3
        {
            public Linear Input { get; } = new(4, 8);
            public Linear Hidden { get; } = new(8, 8);
            public Linear Head { get; } = new(8, 2);

            public Tensor Forward(Tensor x)
            {
                var h1 = Ops.Relu(Input.Forward(x));
                var h2 = Ops.Relu(Hidden.Forward(h1));
                return Head.Forward(h2);
            }
        }

        [TrainingModel, Sgd(LearningRate = 0.01, Momentum = 0.5, WeightDecay = 0.0001)]
        public partial class MlpTrainer
        {
            public Mlp3 Net { get; } = new();

            public (Tensor Loss, Tensor Scores) Forward([Shape(Dim.Batch, 4)] Tensor features, [Shape(Dim.Batch, 2)] Tensor target)
            {
                var scores = Net.Forward(features);
                return (Ops.MseLoss(scores, target), scores);
            }
        }
        """;

    /// <summary>A frozen backbone, a trainable head, a weighted [Loss] and an expression-bodied Forward.</summary>
    public const string FrozenHead = """
        using TrainingGen;

        namespace Demo.Personal;

        [Model]
        public partial class Backbone
        {
            public Linear Embed { get; } = new(6, 5);
            public Tensor Forward(Tensor x) => Ops.Relu(Embed.Forward(x));
        }

        public static class Losses
        {
            [Loss]
            public static Tensor HalfSquared(Tensor p, Tensor t) { var d = p - t; return 0.5f * Ops.Sum(d * d); }
        }

        [TrainingModel, Sgd(LearningRate = 0.05, Nesterov = true, Momentum = 0.8)]
        public partial class Personalised
        {
            [Frozen] public Backbone Body { get; } = new();
            public Linear Head { get; } = new(5, 1, bias: false);

            public (Tensor Loss, Tensor Out) Forward([Shape(Dim.Batch, 6)] Tensor x, [Shape(Dim.Batch, 1)] Tensor label) =>
                (Losses.HalfSquared(Head.Forward(Body.Forward(x)), label), Head.Forward(Body.Forward(x)));
        }
        """;

    /// <summary>The seed training model's Forward body.</summary>
    public const string SeedBody = """
                var pred = Backend.Forward(x);
                return (Criteria.Mse(pred, y), pred);
        """;

    /// <summary>
    /// A training model class over the seed backbone: <paramref name="declaration"/> is its header
    /// line (modifiers, name, type parameters; <c>[|...|]</c> markers pass through), then the members
    /// and a Forward of x [batch, 2] and y [batch, 3]. Without usings or namespace: see <see cref="InDemo"/>.
    /// </summary>
    public static string TrainingClass(string declaration, string members = "    public LinearModel Backend { get; } = new();", string body = SeedBody) => $$"""
        [TrainingModel, Sgd(LearningRate = 0.01)]
        {{declaration}}
        {
        {{members}}
            public (Tensor Loss, Tensor Pred) Forward([Shape(Dim.Batch, 2)] Tensor x, [Shape(Dim.Batch, 3)] Tensor y)
            {
        {{body}}
            }
        }
        """;

    /// <summary><paramref name="code"/> in namespace Demo with the usings of the test programs.</summary>
    public static string InDemo(string code) => "using System;\nusing TrainingGen;\nnamespace Demo;\n" + code;
}

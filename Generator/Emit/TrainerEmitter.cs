using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Emit;

/// <summary>
/// Emits the compiled trainer: one preallocated buffer per value (sized once from the batch
/// size), a forward pass, the backward pass from <see cref="Autodiff"/> with each line commented
/// with the rule it applies, and torch.optim's update. Nothing allocates per step. One method per
/// section of the generated class; the public surface is in TrainerEmitter.Api.cs, the passes in
/// TrainerEmitter.Passes.cs.
/// </summary>
internal sealed partial class TrainerEmitter
{
    private readonly IndentedWriter w = new();
    private readonly TrainingModelIr _ir;
    private readonly BackwardPlan _plan;
    private readonly EquatableArray<Node> _nodes;
    private readonly ForwardOrder _order;
    private readonly BufferPlan _buffers;
    private readonly EmitContext _ctx;
    private readonly List<Input> _features;
    private readonly bool _dropout;

    private TrainerEmitter(TrainingModelIr ir, BackwardPlan plan)
    {
        _ir = ir; _plan = plan; _nodes = plan.Nodes;
        _order = new ForwardOrder(ir);
        var schedule = _order.Predictions.Concat(_order.Loss).Concat(Enumerable.Range(plan.ForwardCount, _nodes.Count - plan.ForwardCount)).ToList();
        // each node's place in its pass (predictions, loss, backward): a kernel may compute two neighbours of one pass
        var position = new Dictionary<int, (int Pass, int Index)>();
        var passes = new[] { _order.Predictions, _order.Loss, Enumerable.Range(plan.ForwardCount, _nodes.Count - plan.ForwardCount).ToList() };
        for (int p = 0; p < passes.Length; p++)
            for (int i = 0; i < passes[p].Count; i++) position[passes[p][i]] = (p, i);
        var outputs = new HashSet<int>(ir.Outputs.Select(o => o.NodeId));
        var names = ValueNames.For(ir, plan);
        // fusions first, from the graph alone: the buffer plan then stores no absorbed value and keeps each
        // fused call's output out of the buffers it reads
        var fused = Fusion.Plan(new EmitContext(_nodes, names), (a, b) => !outputs.Contains(a)
            && position.TryGetValue(a, out var pa) && position.TryGetValue(b, out var pb) && pa.Pass == pb.Pass && pb.Index == pa.Index + 1);
        _buffers = BufferPlan.Create(ir, plan, schedule, fused);
        _ctx = new EmitContext(_nodes, names, _buffers.Owner) { Fused = fused };
        _features = ir.Inputs.Where(i => !i.IsLabel).ToList();
        _dropout = ir.Nodes.Any(n => n.Op == "dropout");
        RecordShapeReads();
    }

    public static string Emit(TrainingModelIr ir, BackwardPlan plan) => new TrainerEmitter(ir, plan).Write();

    /// <summary>The fused pairs and the buffer plan the trainer of this model is written with (for tests).</summary>
    internal static (IReadOnlyDictionary<int, int> Fused, BufferPlan Buffers) Plans(TrainingModelIr ir, BackwardPlan plan)
    {
        var e = new TrainerEmitter(ir, plan);
        return (e._ctx.Fused!, e._buffers);
    }

    private string Write()
    {
        w.Line(Header.TrimEnd('\n'));
        w.Line();
        using (OpenContainers(w, _ir))
        {
            GenerateFactory();
            WriteGeneratedAttributes(w);
            using (w.Block("public sealed partial class Trainer : global::TrainingGen.ITrainer"))
            {
                GenerateFields();
                GenerateConstructor();
                GenerateInitializeParameters();
                GenerateProperties();
                GenerateStepMethods();
                GenerateInterfaceMethods();
                GeneratePasses();
                GenerateApplyUpdate();
                GenerateEagerInterop();
            }
        }
        w.Line();
        GenerateSummary();
        return w.ToString();
    }

    /// <summary>
    /// Runs every lowering once before anything is written, so the fields below declare only the
    /// shape arrays some kernel call reads.
    /// </summary>
    private void RecordShapeReads()
    {
        foreach (var n in _nodes)
        {
            var rule = OpRules.Get(n.Op);
            rule.Trainer(_ctx, n); rule.Scratch(_ctx, n); rule.TrainerInit(_ctx, n);
        }
        foreach (var i in _ir.Inputs) _ctx.S(i.NodeId);
        foreach (var o in _ir.Outputs) _ctx.S(o.NodeId);
    }

    private void GenerateFactory()
    {
        w.Line("/// <summary>");
        w.Line("/// Creates a compiled trainer for this model: parameters initialised from <paramref name=\"seed\"/>,");
        w.Line("/// every buffer allocated once for <paramref name=\"batchSize\"/>.");
        w.Line("/// </summary>");
        WriteGeneratedAttributes(w);
        w.Line("public static Trainer CreateTrainer(int batchSize, int seed = 0) => new Trainer(batchSize, seed);");
        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// The compiled trainer of <see cref=\"{_ir.ClassName}\"/>: forward and backward specialised for its shapes, then {_ir.Optimizer.DisplayName}.");
        w.Line($"/// Trainable: {List(_ir.Params.Where(p => p.Trainable), p => p.Path)}.");
        w.Line("/// </summary>");
    }

    private void GenerateFields()
    {
        w.Line("private readonly int _batch;");
        w.Line("private readonly int _seed;");
        w.Line("private long _step;");
        w.Line("private float _learningRate; // finite and >= 0 (the setter checks)");
        w.Line("// Training mode (batch statistics, running statistics updated) in Step/ComputeGradients; eval mode in Evaluate/Predict.");
        w.Line("private bool _training;");
        w.Line("private int _threads; // kernel thread cap, 0 = KernelThreads.Default (the setter checks)");
        if (_dropout) w.Line("private readonly global::TrainingGen.Rng _dropoutRng; // dropout masks, seeded from the trainer's seed");
        w.Line($"private readonly global::TrainingGen.Optimizers.Optimizer _optimizer = {OptimizerCreation(_ir.Optimizer)};");
        w.Line("private readonly global::TrainingGen.TrainerTensor[] _parameters;");
        w.Line();
        w.Line("// Parameters in state_dict order (the optimizer holds its own state).");
        for (int p = 0; p < _ir.Params.Count; p++)
            w.Line($"private readonly float[] {ParamField(p)}; // {_ir.Params[p].Path} {EmitShape(_ir.Params[p].Shape)}{(_ir.Params[p].Trainable ? "" : " (frozen)")}");
        foreach (var k in _ir.Counters)
            w.Line($"private readonly long[] {EmitContext.CounterField(k.Path)} = new long[1]; // {k.Path} (int64 scalar): training forward passes");
        w.Line();
        w.Line("// Value buffers of the forward and backward passes. A buffer is reused by later values of the");
        w.Line("// same size once everything that reads its earlier value has run (see BufferPlan).");
        foreach (var owner in _buffers.Owners)
            w.Line($"private readonly float[] {_ctx.Ref(owner)}; // {EmitShape(_nodes[owner].Shape)}: {Holds(owner)}");
        foreach (var n in _nodes.Where(HasWork))
            w.Line($"private readonly float[] {_ctx.Work(n.Id)}; // working memory of {_ctx.Names[n.Id]} ({n.Op}), kept for the backward pass");
        w.Line("// The shapes kernels with broadcasting read, for this batch size.");
        foreach (var n in _nodes.Where(n => _ctx.ShapeRead(n.Id)))
            w.Line($"private readonly int[] {_ctx.ShapeField(n.Id)}; // {_ctx.Names[n.Id]}");
        foreach (var o in _ir.Outputs) w.Line($"private readonly global::TrainingGen.Tensor {OutputField(o)};");
        w.Line("private readonly global::TrainingGen.Tensor[] _outputs;");
        foreach (var i in _ir.Inputs.Where(i => i.IsInteger))
            w.Line($"private readonly global::TrainingGen.IntTensor {ConvertedField(i)}; // '{i.Name}' given to the list form as a float Tensor of whole numbers");
        w.Line();
    }

    /// <summary>What a buffer holds over a step: one value (its op and source) or several in turn.</summary>
    private string Holds(int owner)
    {
        var held = _buffers.Sharing[owner];
        var n = _nodes[owner];
        return held.Count == 1 ? $"{n.Op}: {Comment(n.Source)}" : "holds " + string.Join(", then ", held.Select(id => _ctx.Names[id]));
    }

    private bool HasWork(Node n) => OpRules.Get(n.Op).Scratch(_ctx, n) is not null;

    private void GenerateConstructor()
    {
        w.Line("/// <summary>Allocates every buffer for <paramref name=\"batchSize\"/> and initialises the parameters.</summary>");
        using (w.Block("public Trainer(int batchSize, int seed)"))
        {
            w.Line("global::TrainingGen.TrainerChecks.BatchSize(batchSize);");
            w.Line("_batch = batchSize;");
            w.Line("_seed = seed;");
            if (_dropout) w.Line("_dropoutRng = new global::TrainingGen.Rng(unchecked((ulong)seed) ^ 0xD50D50D50D50UL);");
            w.Line("LearningRate = (float)_optimizer.LearningRate;");
            for (int p = 0; p < _ir.Params.Count; p++) w.Line($"{ParamField(p)} = new float[{Count(_ir.Params[p].Shape)}];");
            foreach (var owner in _buffers.Owners) w.Line($"{_ctx.Ref(owner)} = new float[{Count(_nodes[owner].Shape)}];");
            foreach (var n in _nodes.Where(HasWork)) w.Line($"{_ctx.Work(n.Id)} = new float[{OpRules.Get(n.Op).Scratch(_ctx, n)}];");
            foreach (var n in _nodes.Where(n => _ctx.ShapeRead(n.Id))) w.Line($"{_ctx.ShapeField(n.Id)} = {IntArray(n.Shape)};");
            // Constants and seeds never change: written once here, never per step.
            foreach (var n in _nodes)
                if (OpRules.Get(n.Op).TrainerInit(_ctx, n) is { } init) w.Line($"{init} // {Comment(n.Source)}");
            foreach (var o in _ir.Outputs) w.Line($"{OutputField(o)} = new global::TrainingGen.Tensor({_ctx.S(o.NodeId)}, {_ctx.Ref(o.NodeId)});");
            w.Line($"_outputs = new global::TrainingGen.Tensor[] {{ {List(_ir.Outputs, OutputField)} }};");
            foreach (var i in _ir.Inputs.Where(i => i.IsInteger))
                w.Line($"{ConvertedField(i)} = new global::TrainingGen.IntTensor({_ctx.S(i.NodeId)});");
            w.Line($"InitializeParameters(seed, {List(Enumerable.Range(0, _ir.Params.Count), ParamField)});");
            GenerateParameterTable();
            if (_ir.Counters.Count > 0)
                w.Line($"IntegerBuffers = new global::TrainingGen.TrainerIntegerBuffer[] {{ {List(_ir.Counters, k => $"new global::TrainingGen.TrainerIntegerBuffer({Literal(k.Path)}, {Literal(k.MilName)}, new int[0], {EmitContext.CounterField(k.Path)})")} }};");
            w.Line("_optimizer.Bind(_parameters);");
        }
        w.Line();
    }

    private void GenerateParameterTable()
    {
        using (w.Block("_parameters = new global::TrainingGen.TrainerTensor[]", ";"))
            for (int p = 0; p < _ir.Params.Count; p++)
            {
                var prm = _ir.Params[p];
                string grad = _plan.ParamGrads[p] >= 0 ? _ctx.Ref(_plan.ParamGrads[p]) : "null";
                w.Line($"new global::TrainingGen.TrainerTensor({Literal(prm.Path)}, {Literal(prm.MilName)}, {IntArray(prm.Shape)}, {(prm.Trainable ? "true" : "false")}, {ParamField(p)}, {grad}{(prm.IsBuffer ? ", IsBuffer: true" : "")}),");
            }
    }

    private void GenerateInitializeParameters()
    {
        w.Line("/// <summary>PyTorch's default initialisations (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for Linear/Conv, N(0, 1) for Embedding, ones/zeros for norms), drawn in state_dict order.</summary>");
        using (w.Block($"private static void InitializeParameters(int seed, {List(Enumerable.Range(0, _ir.Params.Count), p => $"float[] {ParamName(p)}")})"))
        {
            w.Line("var rng = new global::TrainingGen.Rng(unchecked((ulong)seed));");
            for (int p = 0; p < _ir.Params.Count; p++)
            {
                string a = ParamName(p);
                w.Line(_ir.Params[p].Init switch
                {
                    "normal" => $"global::TrainingGen.ParameterInit.Normal({a}, rng); // {_ir.Params[p].Path}",
                    "ones" => $"global::TrainingGen.ParameterInit.Constant({a}, 1f); // {_ir.Params[p].Path}",
                    "zeros" => $"global::TrainingGen.ParameterInit.Constant({a}, 0f); // {_ir.Params[p].Path}",
                    _ => $"global::TrainingGen.ParameterInit.Uniform({a}, {_ir.Params[p].FanIn}, rng); // {_ir.Params[p].Path}",
                });
            }
        }
        w.Line();
    }

    /// <summary>A parameter's array inside InitializeParameters ("_init" keeps it apart from seed and rng).</summary>
    private string ParamName(int p) => _ctx.Names[Autodiff.ParamNode(_ir, p)] + "_init";

    private string ParamField(int p) => _ctx.Ref(Autodiff.ParamNode(_ir, p));

    private static string OutputField(Output o) => "_out_" + o.Name;

    /// <summary><c>new global::X.SgdAttribute { LearningRate = 0.001, ... }.CreateOptimizer()</c></summary>
    private static string OptimizerCreation(Optimizer o) =>
        $"new {o.AttributeType} {{ {List(o.Arguments, a => $"{a.Name} = {a.Literal}")} }}.CreateOptimizer()";

    private static string EmitShape(EquatableArray<int> s) => "[" + List(s, d => d == Dims.Batch ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)) + "]";
}

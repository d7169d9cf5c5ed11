using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Model;
using TrainingGen.Generator.Ops;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Emit;

/// <summary>
/// Emits the compiled trainer: one preallocated buffer per value (sized once from the batch
/// size), a forward pass, the backward pass from <see cref="Autodiff"/> with each line commented
/// with the rule it applies, and torch.optim's update. Nothing allocates per step.
/// </summary>
internal static class TrainerEmitter
{
    public static string Emit(TrainingModelIr ir, BackwardPlan plan)
    {
        var w = new IndentedWriter();
        w.Line(Header.TrimEnd('\n'));
        w.Line();
        OpenContainers(w, ir);
        var nodes = plan.Nodes;
        var order = new ForwardOrder(ir);
        var schedule = order.Predictions.Concat(order.Loss).Concat(Enumerable.Range(plan.ForwardCount, nodes.Count - plan.ForwardCount)).ToList();
        var buffers = BufferPlan.Create(ir, plan, schedule);
        var ctx = new EmitContext(nodes, buffers.Owner);
        string trainable = string.Join(", ", ir.Params.Where(p => p.Trainable).Select(p => p.Path));

        w.Line("/// <summary>");
        w.Line($"/// Creates a compiled trainer for this model: parameters initialised from <paramref name=\"seed\"/>,");
        w.Line("/// every buffer allocated once for <paramref name=\"batchSize\"/>.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        w.Line($"public static Trainer CreateTrainer(int batchSize, int seed = 0) => new Trainer(batchSize, seed);");
        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// The compiled trainer of <see cref=\"{ir.ClassName}\"/>: forward and backward specialised for its shapes, then {ir.Optimizer.DisplayName}.");
        w.Line($"/// Trainable: {trainable}.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        w.Open("public sealed partial class Trainer : global::TrainingGen.ITrainer");

        // ---- fields
        w.Line("private readonly int _batch;");
        w.Line("private readonly int _seed;");
        w.Line("private long _step;");
        w.Line("private float _learningRate; // finite and >= 0 (the setter checks)");
        w.Line("// Training mode (batch statistics, running statistics updated) in Step/ComputeGradients; eval mode in Evaluate/Predict.");
        w.Line("private bool _training;");
        bool dropout = ir.Nodes.Any(n => n.Op == "dropout");
        if (dropout) w.Line("private readonly global::TrainingGen.Rng _dropoutRng; // dropout masks, seeded from the trainer's seed");
        w.Line($"private readonly global::TrainingGen.Optimizers.Optimizer _optimizer = {OptimizerCreation(ir.Optimizer)};");
        w.Line("private readonly global::TrainingGen.TrainerTensor[] _parameters;");
        w.Line();
        w.Line("// Parameters in state_dict order (the optimizer holds its own state).");
        for (int p = 0; p < ir.Params.Count; p++)
        {
            var prm = ir.Params[p];
            w.Line($"private readonly float[] _p{p}; // {prm.Path} {EmitShape(prm.Shape)}{(prm.Trainable ? "" : " (frozen)")}");
        }
        w.Line();
        w.Line("// Value buffers of the forward and backward passes. A buffer is reused by later values of the");
        w.Line("// same size once everything that reads its earlier value has run (see BufferPlan).");
        foreach (var owner in buffers.Owners)
        {
            var held = buffers.Sharing[owner];
            w.Line($"private readonly float[] _t{owner}; // {EmitShape(nodes[owner].Shape)}: " +
                   (held.Count == 1 ? $"{nodes[owner].Op}: {Comment(nodes[owner].Source)}" : $"values {string.Join(", ", held)} in turn"));
        }
        w.Line("// The shape of every value for this batch size (kernels with broadcasting read them).");
        foreach (var n in nodes)
        {
            w.Line($"private readonly int[] _s{n.Id}; // {n.Op}");
            if (OpRules.Get(n.Op).Scratch(ctx, n) is not null) w.Line($"private readonly float[] _x{n.Id}; // working memory of {n.Op}, kept for the backward pass");
        }
        foreach (var o in ir.Outputs) w.Line($"private readonly global::TrainingGen.Tensor _out_{o.Name};");
        w.Line("private readonly global::TrainingGen.Tensor[] _outputs;");
        w.Line();

        // ---- constructor
        w.Line("/// <summary>Allocates every buffer for <paramref name=\"batchSize\"/> and initialises the parameters.</summary>");
        w.Open("public Trainer(int batchSize, int seed)");
        w.Line("global::TrainingGen.TrainerChecks.BatchSize(batchSize);");
        w.Line("_batch = batchSize;");
        w.Line("_seed = seed;");
        if (dropout) w.Line("_dropoutRng = new global::TrainingGen.Rng(unchecked((ulong)seed) ^ 0xD50D50D50D50UL);");
        w.Line("LearningRate = (float)_optimizer.LearningRate;");
        for (int p = 0; p < ir.Params.Count; p++)
        {
            var prm = ir.Params[p];
            w.Line($"_p{p} = new float[{Count(prm.Shape)}];");
        }
        foreach (var n in nodes)
        {
            if (buffers.Owners.Contains(n.Id)) w.Line($"_t{n.Id} = new float[{Count(n.Shape)}];");
            if (OpRules.Get(n.Op).Scratch(ctx, n) is { } scratch) w.Line($"_x{n.Id} = new float[{scratch}];");
            w.Line($"_s{n.Id} = {IntArray(n.Shape)};");
        }
        foreach (var n in nodes)
        {
            // Constants and seeds never change: written once here, never per step.
            if (OpRules.Get(n.Op).TrainerInit(ctx, n) is { } init) w.Line($"{init} // {Comment(n.Source)}");
        }
        foreach (var o in ir.Outputs) w.Line($"_out_{o.Name} = new global::TrainingGen.Tensor(_s{o.NodeId}, {ctx.Ref(o.NodeId)});");
        w.Line("_outputs = new global::TrainingGen.Tensor[] { " + string.Join(", ", ir.Outputs.Select(o => $"_out_{o.Name}")) + " };");
        w.Line("InitializeParameters(seed, " + string.Join(", ", Enumerable.Range(0, ir.Params.Count).Select(p => $"_p{p}")) + ");");
        w.Line("_parameters = new global::TrainingGen.TrainerTensor[]");
        w.Line("{");
        for (int p = 0; p < ir.Params.Count; p++)
        {
            var prm = ir.Params[p];
            string grad = plan.ParamGrads[p] >= 0 ? ctx.Ref(plan.ParamGrads[p]) : "null";
            w.Line($"    new global::TrainingGen.TrainerTensor({Literal(prm.Path)}, {Literal(prm.MilName)}, {IntArray(prm.Shape)}, {(prm.Trainable ? "true" : "false")}, _p{p}, {grad}{(prm.IsBuffer ? ", IsBuffer: true" : "")}),");
        }
        w.Line("};");
        w.Line("_optimizer.Bind(_parameters);");
        w.Close();
        w.Line();

        // ---- parameter initialisation
        w.Line("/// <summary>PyTorch's default initialisations (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for Linear/Conv, N(0, 1) for Embedding, ones/zeros for norms), drawn in state_dict order.</summary>");
        w.Open("private static void InitializeParameters(int seed, " + string.Join(", ", Enumerable.Range(0, ir.Params.Count).Select(p => $"float[] p{p}")) + ")");
        w.Line("var rng = new global::TrainingGen.Rng(unchecked((ulong)seed));");
        for (int p = 0; p < ir.Params.Count; p++)
            w.Line(ir.Params[p].Init switch
            {
                "normal" => $"global::TrainingGen.ParameterInit.Normal(p{p}, rng); // {ir.Params[p].Path}",
                "ones" => $"global::TrainingGen.ParameterInit.Constant(p{p}, 1f); // {ir.Params[p].Path}",
                "zeros" => $"global::TrainingGen.ParameterInit.Constant(p{p}, 0f); // {ir.Params[p].Path}",
                _ => $"global::TrainingGen.ParameterInit.Uniform(p{p}, {ir.Params[p].FanIn}, rng); // {ir.Params[p].Path}",
            });
        w.Close();
        w.Line();

        // ---- public surface
        w.Line("/// <inheritdoc/>");
        w.Line("public int BatchSize => _batch;");
        w.Line("/// <inheritdoc/>");
        w.Line("public long StepCount { get => _step; set => _step = value >= 0 ? value : throw new global::System.ArgumentOutOfRangeException(nameof(value), value, \"The step count cannot be negative.\"); }");
        w.Line("/// <inheritdoc/>");
        w.Line("public float LearningRate { get => _learningRate; set => _learningRate = global::TrainingGen.TrainerChecks.LearningRate(value); }");
        if (dropout)
        {
            w.Line("/// <inheritdoc/>");
            w.Line("public global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.TrainerRandomStream> RandomStreams => new[] { new global::TrainingGen.TrainerRandomStream(\"dropout\", _dropoutRng) };");
        }
        w.Line("/// <inheritdoc/>");
        w.Line("public global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.TrainerTensor> Parameters => _parameters;");
        w.Line("/// <inheritdoc/>");
        w.Line("public global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.TrainerTensor> OptimizerState => _optimizer.State;");
        w.Line("/// <summary>The optimizer (torch.optim semantics) created from the model's optimizer attribute.</summary>");
        w.Line("public global::TrainingGen.Optimizers.Optimizer Optimizer => _optimizer;");
        w.Line("/// <inheritdoc/>");
        w.Line("public global::System.Collections.Generic.IReadOnlyList<string> InputNames { get; } = new string[] { " + string.Join(", ", ir.Inputs.Select(i => Literal(i.Name))) + " };");
        w.Line("/// <inheritdoc/>");
        w.Line("public global::System.Collections.Generic.IReadOnlyList<string> FeatureNames { get; } = new string[] { " + string.Join(", ", ir.Inputs.Where(i => !i.IsLabel).Select(i => Literal(i.Name))) + " };");
        w.Line("/// <inheritdoc/>");
        w.Line("public global::System.Collections.Generic.IReadOnlyList<string> OutputNames { get; } = new string[] { " + string.Join(", ", ir.Outputs.Select(o => Literal(o.Name))) + " };");
        w.Line("/// <summary>Whether the last forward pass ran in training mode (torch's <c>model.training</c>): Step/ComputeGradients do, Evaluate/Predict don't.</summary>");
        w.Line("public bool IsTraining => _training;");
        if (dropout)
        {
            w.Line("/// <summary>The dropout masks of the last forward pass (0 or 1/(1 - p) per element), in the order of the package's dropout_mask_N inputs.</summary>");
            w.Line("public global::System.Collections.Generic.IReadOnlyList<float[]> DropoutMasks => new[] { " +
                   string.Join(", ", ir.Nodes.Where(n => n.Op == "dropout_mask").OrderBy(n => n.Int(0)).Select(n => ctx.Ref(n.Id))) + " };");
        }
        w.Line("/// <summary>The loss of the last forward pass.</summary>");
        w.Line($"public float Loss => {ctx.Ref(ir.LossNode)}[0];");
        foreach (var o in ir.Outputs)
        {
            w.Line($"/// <summary>The '{o.Name}' output of the last forward pass (a view of the trainer's buffer, overwritten by the next step).</summary>");
            w.Line($"public global::TrainingGen.Tensor {Pascal(o.Name)} => _out_{o.Name};");
        }
        w.Line();

        string sig = string.Join(", ", ir.Inputs.Select(i => $"global::TrainingGen.Tensor {i.Name}"));
        string args = string.Join(", ", ir.Inputs.Select(i => i.Name));
        string dataArgs = string.Join(", ", ir.Inputs.Select(i => $"{i.Name}.Data"));
        var featureInputs = ir.Inputs.Where(i => !i.IsLabel).ToList();

        w.Line("/// <summary>One training step: forward, backward and the optimizer update. Returns the loss.</summary>");
        w.Open($"public float Step({sig})");
        w.Line($"float loss = ComputeGradients({args});");
        w.Line("ApplyUpdate();");
        w.Line("return loss;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Forward and backward without updating; fills the gradients and returns the loss.</summary>");
        w.Open($"public float ComputeGradients({sig})");
        EmitChecks(w, ir.Inputs);
        w.Line("_training = true;");
        w.Line($"RunPredictions({string.Join(", ", featureInputs.Select(i => $"{i.Name}.Data"))});");
        w.Line($"RunLoss({dataArgs});");
        w.Line($"RunBackward({dataArgs});");
        w.Line($"return {ctx.Ref(ir.LossNode)}[0];");
        w.Close();
        w.Line();
        w.Line("/// <summary>Forward and loss only (no gradients). Returns the loss.</summary>");
        w.Open($"public float Evaluate({sig})");
        EmitChecks(w, ir.Inputs);
        w.Line("_training = false;");
        w.Line($"RunPredictions({string.Join(", ", featureInputs.Select(i => $"{i.Name}.Data"))});");
        w.Line($"RunLoss({dataArgs});");
        w.Line($"return {ctx.Ref(ir.LossNode)}[0];");
        w.Close();
        w.Line();
        if (ir.Outputs.Count > 0)
        {
            w.Line($"/// <summary>Predictions only. Returns a view of the trainer's '{ir.Outputs[0].Name}' buffer, overwritten by the next call.</summary>");
            w.Open($"public global::TrainingGen.Tensor Predict({string.Join(", ", featureInputs.Select(i => $"global::TrainingGen.Tensor {i.Name}"))})");
            EmitChecks(w, featureInputs);
            w.Line("_training = false;");
            w.Line($"RunPredictions({string.Join(", ", featureInputs.Select(i => $"{i.Name}.Data"))});");
            w.Line($"return _out_{ir.Outputs[0].Name};");
            w.Close();
            w.Line();
        }

        w.Line("float global::TrainingGen.ITrainer.Step(global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.Tensor> inputs)");
        w.Line("{");
        w.Line("    global::TrainingGen.TrainerChecks.Count(inputs, InputNames);");
        w.Line($"    return Step({string.Join(", ", ir.Inputs.Select((_, k) => $"inputs[{k}]"))});");
        w.Line("}");
        w.Line();
        w.Line("float global::TrainingGen.ITrainer.Evaluate(global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.Tensor> inputs)");
        w.Line("{");
        w.Line("    global::TrainingGen.TrainerChecks.Count(inputs, InputNames);");
        w.Line($"    return Evaluate({string.Join(", ", ir.Inputs.Select((_, k) => $"inputs[{k}]"))});");
        w.Line("}");
        w.Line();
        w.Line("global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.Tensor> global::TrainingGen.ITrainer.Predict(global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.Tensor> features)");
        w.Line("{");
        w.Line("    global::TrainingGen.TrainerChecks.Count(features, FeatureNames);");
        EmitChecksIndented(w, featureInputs, "features");
        w.Line("    _training = false;");
        w.Line($"    RunPredictions({string.Join(", ", featureInputs.Select((_, k) => $"features[{k}].Data"))});");
        w.Line("    return _outputs;");
        w.Line("}");
        w.Line();
        w.Line("float global::TrainingGen.ITrainer.ComputeGradients(global::System.Collections.Generic.IReadOnlyList<global::TrainingGen.Tensor> inputs)");
        w.Line("{");
        w.Line("    global::TrainingGen.TrainerChecks.Count(inputs, InputNames);");
        w.Line($"    return ComputeGradients({string.Join(", ", ir.Inputs.Select((_, k) => $"inputs[{k}]"))});");
        w.Line("}");
        w.Line();

        // ---- passes
        w.Line("/// <summary>The part of the forward pass that computes the predictions (features only).</summary>");
        w.Open($"private void RunPredictions({string.Join(", ", featureInputs.Select(i => $"float[] in_{i.Name}"))})");
        foreach (var id in order.Predictions) EmitNode(w, ctx, nodes[id]);
        w.Close();
        w.Line();
        w.Line("/// <summary>The rest of the forward pass: the loss.</summary>");
        w.Open($"private void RunLoss({string.Join(", ", ir.Inputs.Select(i => $"float[] in_{i.Name}"))})");
        foreach (var id in order.Loss) EmitNode(w, ctx, nodes[id]);
        w.Close();
        w.Line();
        w.Line("/// <summary>The backward pass, from dL/dL = 1 to every trainable parameter.</summary>");
        w.Open($"private void RunBackward({string.Join(", ", ir.Inputs.Select(i => $"float[] in_{i.Name}"))})");
        for (int id = plan.ForwardCount; id < nodes.Count; id++) EmitNode(w, ctx, nodes[id]);
        w.Close();
        w.Line();

        // ---- optimizer
        w.Line($"/// <summary>The optimizer's update of every trainable parameter from the current gradients.</summary>");
        w.Open("public void ApplyUpdate()");
        w.Line("_optimizer.Step(LearningRate, _step);");
        w.Line("_step++;");
        w.Close();
        w.Line();

        // ---- eager model interop
        w.Line($"/// <summary>Copies the parameters of an eager <see cref=\"{ir.ClassName}\"/> into this trainer.</summary>");
        w.Open($"public void CopyFrom({ir.FullyQualifiedName} model)");
        for (int p = 0; p < ir.Params.Count; p++)
            w.Line($"global::TrainingGen.TrainerChecks.CopyInto({ir.Params[p].ModelAccess}, _p{p}, {Literal(ir.Params[p].Path)});");
        w.Close();
        w.Line();
        w.Line($"/// <summary>Copies this trainer's parameters into an eager <see cref=\"{ir.ClassName}\"/>.</summary>");
        w.Open($"public void CopyTo({ir.FullyQualifiedName} model)");
        for (int p = 0; p < ir.Params.Count; p++)
            w.Line($"global::TrainingGen.TrainerChecks.CopyOut(_p{p}, {ir.Params[p].ModelAccess}, {Literal(ir.Params[p].Path)});");
        w.Close();

        w.Close(); // Trainer
        CloseContainers(w, ir);
        w.Line();
        Summary(w, ir, plan, buffers, ctx);
        return w.ToString();
    }

    private static void EmitChecksIndented(IndentedWriter w, IReadOnlyList<Input> inputs, string list)
    {
        for (int k = 0; k < inputs.Count; k++)
            w.Line($"    global::TrainingGen.TrainerChecks.Shape({list}[{k}], {Literal(inputs[k].Name)}, _s{inputs[k].NodeId}, _batch);");
    }

    private static void EmitChecks(IndentedWriter w, IEnumerable<Input> inputs)
    {
        foreach (var i in inputs)
            w.Line($"global::TrainingGen.TrainerChecks.Shape({i.Name}, {Literal(i.Name)}, _s{i.NodeId}, _batch);");
    }

    private static void EmitNode(IndentedWriter w, EmitContext c, Node n)
    {
        string? code = OpRules.Get(n.Op).Trainer(c, n);
        if (code is null) return;
        w.Line($"// {Comment(n.Source)}");
        w.Line(code);
    }

    /// <summary><c>new global::X.SgdAttribute { LearningRate = 0.001, ... }.CreateOptimizer()</c></summary>
    private static string OptimizerCreation(Optimizer o) =>
        $"new {o.AttributeType} {{ {string.Join(", ", o.Arguments.Select(a => $"{a.Name} = {a.Literal}"))} }}.CreateOptimizer()";

    private static string EmitShape(EquatableArray<int> s) => "[" + string.Join(", ", s.Select(d => d == Dims.Batch ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    internal static string Pascal(string snake) =>
        string.Concat(snake.Split('_').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));

    private static void Summary(IndentedWriter w, TrainingModelIr ir, BackwardPlan plan, BufferPlan buffers, EmitContext ctx)
    {
        var used = new HashSet<int>();
        for (int id = plan.ForwardCount; id < plan.Nodes.Count; id++)
            foreach (var a in plan.Nodes[id].Args) if (a >= 0 && a < plan.ForwardCount) used.Add(a);
        var saved = used.Where(id => plan.Nodes[id].Op is not ("input" or "param" or "const")).OrderBy(i => i).ToList();
        w.Line("// Saved for the backward pass (forward values its rules read):");
        foreach (var id in saved)
            w.Line($"//   {ctx.Ref(id)} {EmitShape(plan.Nodes[id].Shape)} = {Comment(plan.Nodes[id].Source)}");

        (long PerSample, long Fixed) Bytes(IEnumerable<int> ids)
        {
            long perSample = 0, fixedBytes = 0;
            foreach (var id in ids)
            {
                var n = plan.Nodes[id];
                long c = n.Shape.Where(d => d != Dims.Batch).Aggregate(1L, (a, d) => a * d) * 4;
                if (n.Shape.Any(d => d == Dims.Batch)) perSample += c; else fixedBytes += c;
            }
            return (perSample, fixedBytes);
        }
        var all = Bytes(plan.Nodes.Where(n => n.Op is not ("input" or "param")).Select(n => n.Id));
        var reused = Bytes(buffers.Owners);
        long paramBytes = ir.Params.Sum(p => p.Shape.Aggregate(1L, (a, d) => a * d) * 4);
        long trainableBytes = ir.Params.Where(p => p.Trainable).Sum(p => p.Shape.Aggregate(1L, (a, d) => a * d) * 4);
        w.Line($"// Buffers: {buffers.Owners.Count} for {plan.Nodes.Count(n => n.Op is not ("input" or "param"))} values, {reused.PerSample} bytes per sample in the batch + {reused.Fixed} bytes " +
               $"(without reuse: {all.PerSample} + {all.Fixed}); parameters {paramBytes} bytes (trainable {trainableBytes} bytes, plus optimizer state per slot).");
    }

    /// <summary>Forward nodes split into the prediction part (features only) and the loss part.</summary>
    private sealed class ForwardOrder
    {
        public ForwardOrder(TrainingModelIr ir)
        {
            var pred = IrQueries.PredictionNodes(ir);
            Predictions = ir.Nodes.Select(n => n.Id).Where(pred.Contains).ToList();
            Loss = ir.Nodes.Select(n => n.Id).Where(id => !pred.Contains(id)).ToList();
        }
        public List<int> Predictions { get; }
        public List<int> Loss { get; }
    }
}

using System.Linq;
using TrainingGen.Generator.Ops;
using static TrainingGen.Generator.Emit.EmitHelpers;

namespace TrainingGen.Generator.Emit;

/// <summary>The trainer's public surface: properties, Step/ComputeGradients/Evaluate/Predict, ITrainer, eager interop.</summary>
internal sealed partial class TrainerEmitter
{
    private const string ReadOnlyList = "global::System.Collections.Generic.IReadOnlyList";

    private void GenerateProperties()
    {
        Property("/// <inheritdoc/>", "public int BatchSize => _batch;");
        Property("/// <inheritdoc/>", "public long StepCount { get => _step; set => _step = value >= 0 ? value : throw new global::System.ArgumentOutOfRangeException(nameof(value), value, \"The step count cannot be negative.\"); }");
        Property("/// <inheritdoc/>", "public float LearningRate { get => _learningRate; set => _learningRate = global::TrainingGen.TrainerChecks.LearningRate(value); }");
        Property("/// <inheritdoc/>", "public int Threads { get => _threads; set => _threads = global::TrainingGen.Kernels.KernelThreads.Check(value); }");
        if (_dropout)
            Property("/// <inheritdoc/>", $"public {ReadOnlyList}<global::TrainingGen.TrainerRandomStream> RandomStreams => new[] {{ new global::TrainingGen.TrainerRandomStream(\"dropout\", _dropoutRng) }};");
        Property("/// <inheritdoc/>", $"public {ReadOnlyList}<global::TrainingGen.TrainerTensor> Parameters => _parameters;");
        Property("/// <inheritdoc/>", $"public {ReadOnlyList}<global::TrainingGen.TrainerTensor> OptimizerState => _optimizer.State;");
        if (_ir.Counters.Count > 0)
            Property("/// <inheritdoc/>", $"public {ReadOnlyList}<global::TrainingGen.TrainerIntegerBuffer> IntegerBuffers {{ get; }}");
        Property("/// <summary>The optimizer (torch.optim semantics) created from the model's optimizer attribute.</summary>", "public global::TrainingGen.Optimizers.Optimizer Optimizer => _optimizer;");
        Property("/// <inheritdoc/>", $"public {ReadOnlyList}<string> InputNames {{ get; }} = new string[] {{ {List(_ir.Inputs, i => Literal(i.Name))} }};");
        Property("/// <inheritdoc/>", $"public {ReadOnlyList}<string> FeatureNames {{ get; }} = new string[] {{ {List(_features, i => Literal(i.Name))} }};");
        Property("/// <inheritdoc/>", $"public {ReadOnlyList}<int[]> InputShapes {{ get; }} = new int[][] {{ {List(_ir.Inputs, i => $"new int[] {{ {List(i.Shape, d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))} }}")} }};");
        // Only a trainer with integer inputs states their types; ITrainer's default is all float32.
        if (_ir.Inputs.Any(i => i.IsInteger))
            Property("/// <inheritdoc/>", $"public {ReadOnlyList}<global::TrainingGen.TensorDType> InputDTypes {{ get; }} = new global::TrainingGen.TensorDType[] {{ {List(_ir.Inputs, i => $"global::TrainingGen.TensorDType.{(i.IsInteger ? "Int32" : "Float32")}")} }};");
        Property("/// <inheritdoc/>", $"public {ReadOnlyList}<string> OutputNames {{ get; }} = new string[] {{ {List(_ir.Outputs, o => Literal(o.Name))} }};");
        Property("/// <summary>Whether the last forward pass ran in training mode (torch's <c>model.training</c>): Step/ComputeGradients do, Evaluate/Predict don't.</summary>", "public bool IsTraining => _training;");
        if (_dropout)
            Property("/// <summary>The dropout masks of the last forward pass (0 or 1/(1 - p) per element), in the order of the package's dropout_mask_N inputs.</summary>",
                $"public {ReadOnlyList}<float[]> DropoutMasks => new[] {{ {List(_ir.Nodes.Where(n => n.Op == "dropout_mask").OrderBy(n => n.Int(0)), n => _ctx.Ref(n.Id))} }};");
        Property("/// <summary>The loss of the last forward pass.</summary>", $"public float Loss => {_ctx.Ref(_ir.LossNode)}[0];");
        foreach (var o in _ir.Outputs)
            Property($"/// <summary>The '{o.Name}' output of the last forward pass (a view of the trainer's buffer, overwritten by the next step).</summary>",
                $"public global::TrainingGen.Tensor {Pascal(o.Name)} => {OutputField(o)};");
        w.Line();
    }

    private void Property(string doc, string declaration) => w.Line(doc).Line(declaration);

    private void GenerateStepMethods()
    {
        string sig = List(_ir.Inputs, i => $"{TensorType(i)} {i.Name}");
        w.Line("/// <summary>One training step: forward, backward and the optimizer update. Returns the loss.</summary>");
        using (w.Block($"public float Step({sig})"))
            w.Line($"float loss = ComputeGradients({List(_ir.Inputs, i => i.Name)});").Line("ApplyUpdate();").Line("return loss;");
        w.Line();
        w.Line("/// <summary>Forward and backward without updating; fills the gradients and returns the loss.</summary>");
        using (w.Block($"public float ComputeGradients({sig})"))
        {
            Forward(training: true, _ir.Inputs, i => i.Name, withLoss: true);
            w.Line($"RunBackward({List(_ir.Inputs, i => $"{i.Name}.Data")});");
            w.Line($"return {_ctx.Ref(_ir.LossNode)}[0];");
        }
        w.Line();
        w.Line("/// <summary>Forward and loss only (no gradients). Returns the loss.</summary>");
        using (w.Block($"public float Evaluate({sig})"))
        {
            Forward(training: false, _ir.Inputs, i => i.Name, withLoss: true);
            w.Line($"return {_ctx.Ref(_ir.LossNode)}[0];");
        }
        w.Line();
        if (_ir.Outputs.Count == 0) return;
        w.Line($"/// <summary>Predictions only. Returns a view of the trainer's '{_ir.Outputs[0].Name}' buffer, overwritten by the next call.</summary>");
        using (w.Block($"public global::TrainingGen.Tensor Predict({List(_features, i => $"{TensorType(i)} {i.Name}")})"))
        {
            Forward(training: false, _features, i => i.Name, withLoss: false);
            w.Line($"return {OutputField(_ir.Outputs[0])};");
        }
        w.Line();
    }

    /// <summary>Checks the shape of each input (the C# expression <paramref name="tensor"/> gives), sets the mode and runs the forward pass.</summary>
    private void Forward(bool training, System.Collections.Generic.IReadOnlyList<Model.Input> inputs, System.Func<Model.Input, string> tensor, bool withLoss)
    {
        foreach (var i in inputs)
            w.Line($"global::TrainingGen.TrainerChecks.Shape({tensor(i)}, {Literal(i.Name)}, {_ctx.S(i.NodeId)}, _batch);");
        w.Line(ThreadScope);
        w.Line($"_training = {(training ? "true" : "false")};");
        w.Line($"RunPredictions({List(inputs.Where(i => !i.IsLabel), i => tensor(i) + ".Data")});");
        if (withLoss) w.Line($"RunLoss({List(inputs, i => tensor(i) + ".Data")});");
    }

    /// <summary>Caps the kernels' threads at <c>Threads</c> for the rest of the method (a thread-static, restored on exit; no allocation).</summary>
    internal const string ThreadScope = "using var __threads = global::TrainingGen.Kernels.KernelThreads.Use(_threads);";

    // The list forms are public, not explicit ITrainer implementations: an explicit one would be
    // hidden on the concrete trainer type behind the typed Step(x, y) (CS7036 for trainer.Step(list)).
    private void GenerateInterfaceMethods()
    {
        string inputs = List(Enumerable.Range(0, _ir.Inputs.Count), k => ListItem(_ir.Inputs[k], $"inputs[{k}]"));
        ListMethod("float", "Step", "inputs", "InputNames", $"return Step({inputs});");
        ListMethod("float", "Evaluate", "inputs", "InputNames", $"return Evaluate({inputs});");
        w.Line("/// <inheritdoc/>");
        using (w.Block($"public {ReadOnlyList}<global::TrainingGen.Tensor> Predict({ReadOnlyList}<{InputType}> features)"))
        {
            w.Line("global::TrainingGen.TrainerChecks.Count(features, FeatureNames);");
            w.Line($"Predict({List(_features, i => ListItem(i, $"features[{_features.IndexOf(i)}]"))});");
            w.Line("return _outputs;");
        }
        w.Line();
        ListMethod("float", "ComputeGradients", "inputs", "InputNames", $"return ComputeGradients({inputs});");
    }

    private void ListMethod(string returns, string name, string list, string names, string body)
    {
        w.Line("/// <inheritdoc/>");
        using (w.Block($"public {returns} {name}({ReadOnlyList}<{InputType}> {list})"))
            w.Line($"global::TrainingGen.TrainerChecks.Count({list}, {names});").Line(body);
        w.Line();
    }

    private const string InputType = "global::TrainingGen.ITensorInput";

    /// <summary>The C# type of an input: an IntTensor for integer inputs, else a Tensor.</summary>
    private static string TensorType(Model.Input i) => i.IsInteger ? "global::TrainingGen.IntTensor" : "global::TrainingGen.Tensor";

    /// <summary>
    /// An entry of the list form as the typed method takes it: a float input must be a Tensor; an
    /// integer input takes an IntTensor, or a float Tensor of whole numbers converted into the
    /// trainer's own buffer (what Fit's float data sets give), so nothing is allocated per step.
    /// </summary>
    private string ListItem(Model.Input i, string item) => i.IsInteger
        ? $"global::TrainingGen.TrainerChecks.Int({item}, {Literal(i.Name)}, {ConvertedField(i)})"
        : $"global::TrainingGen.TrainerChecks.Float({item}, {Literal(i.Name)})";

    /// <summary>The IntTensor field an integer input given as floats is converted into.</summary>
    private string ConvertedField(Model.Input i) => "_" + _ctx.Names.Derived(i.NodeId, "ints");

    private void GenerateEagerInterop()
    {
        w.Line($"/// <summary>Copies the parameters of an eager <see cref=\"{_ir.ClassName}\"/> into this trainer.</summary>");
        using (w.Block($"public void CopyFrom({_ir.FullyQualifiedName} model)"))
        {
            for (int p = 0; p < _ir.Params.Count; p++)
                w.Line($"global::TrainingGen.TrainerChecks.CopyInto({_ir.Params[p].ModelAccess}, {ParamField(p)}, {Literal(_ir.Params[p].Path)});");
            foreach (var k in _ir.Counters) w.Line($"{EmitContext.CounterField(k.Path)}[0] = {k.ModelAccess};");
        }
        w.Line();
        w.Line($"/// <summary>Copies this trainer's parameters into an eager <see cref=\"{_ir.ClassName}\"/>.</summary>");
        using (w.Block($"public void CopyTo({_ir.FullyQualifiedName} model)"))
        {
            for (int p = 0; p < _ir.Params.Count; p++)
                w.Line($"global::TrainingGen.TrainerChecks.CopyOut({ParamField(p)}, {_ir.Params[p].ModelAccess}, {Literal(_ir.Params[p].Path)});");
            foreach (var k in _ir.Counters) w.Line($"{k.ModelAccess} = {EmitContext.CounterField(k.Path)}[0];");
        }
    }
}

namespace TrainingGen.Generator.Model;

/// <summary>
/// One SSA value of the training program. Forward kinds: <c>input</c>, <c>param</c>,
/// <c>const</c> and the ops of the op table (<c>linear</c>, <c>add</c>, ...). Backward kinds
/// (added by <see cref="TrainingGen.Generator.Emit.Autodiff"/>): <c>fill</c>, <c>scale_fill</c>,
/// <c>sum_to</c>, <c>relu_grad</c>, <c>linear_dw</c>, <c>linear_db</c>, <c>linear_dx</c>.
/// </summary>
/// <param name="Id">Index in the node list.</param>
/// <param name="Op">Kind.</param>
/// <param name="Args">Operand ids (−1 = absent, e.g. a Linear without bias).</param>
/// <param name="Shape">Static shape; <see cref="Dims.Batch"/> marks the batch dimension.</param>
/// <param name="Attrs">Constant attributes in the op's own order (a literal value, axes, strides, ...).</param>
/// <param name="Name">Input name, parameter index, or output name for MIL.</param>
/// <param name="Source">The C# source text it came from, for comments in generated code.</param>
/// <param name="Display">
/// What a reader calls the value, when known: the user's local it was assigned to, a parameter's
/// name, or (set by autodiff) <c>d</c> + the value it is the gradient of. Generated code names
/// buffers and MIL values after it (<see cref="TrainingGen.Generator.Emit.ValueNames"/>); "" = derive one.
/// </param>
internal sealed record Node(int Id, string Op, EquatableArray<int> Args, EquatableArray<int> Shape, EquatableArray<double> Attrs, string Name, string Source, string Display = "")
{
    /// <summary>The first attribute (the value of a const or fill), 0 when there is none.</summary>
    public double Scalar => Attrs.Count > 0 ? Attrs[0] : 0;

    /// <summary>An attribute as an int (axes, sizes, flags).</summary>
    public int Int(int i) => (int)Attrs[i];
}

/// <summary>
/// A parameter: PyTorch state_dict path, C# access path on the eager model, shape, and its
/// initialisation as in torch (<c>uniform</c> ±1/√fan_in, <c>normal</c>, <c>ones</c>, <c>zeros</c>).
/// </summary>
internal sealed record Param(string Path, string MilName, string ModelAccess, EquatableArray<int> Shape, bool Trainable, int FanIn, string Init = "uniform", bool IsBuffer = false);

/// <summary>
/// An int64 state_dict buffer that counts training forward passes (BatchNorm's
/// <c>num_batches_tracked</c>): its path, package name and C# access path on the eager model. The
/// layer's nodes carry <see cref="Path"/> as their <see cref="Node.Name"/>.
/// </summary>
internal sealed record Counter(string Path, string MilName, string ModelAccess);

/// <summary>A <c>Forward</c> input and its role; <paramref name="IsInteger"/> for an <c>IntTensor</c> (int32 in the trainer and the package).</summary>
internal sealed record Input(string Name, EquatableArray<int> Shape, bool IsLabel, int NodeId, bool IsInteger = false);

/// <summary>An output of <c>Forward</c> after the loss.</summary>
internal sealed record Output(string Name, int NodeId);

/// <summary>
/// The optimizer attribute on the training model: its type and named arguments as C# literals.
/// The trainer creates the runtime optimizer with <c>new Attribute { args }.CreateOptimizer()</c>.
/// </summary>
internal sealed record Optimizer(string AttributeType, string DisplayName, EquatableArray<OptimizerArgument> Arguments);

/// <summary>One named argument of the optimizer attribute.</summary>
internal sealed record OptimizerArgument(string Name, string Literal);

/// <summary>
/// A parsed training model: everything the emitters need, holding only strings, numbers and
/// equatable arrays (no Roslyn symbols), so the incremental pipeline caches on it.
/// </summary>
internal sealed record TrainingModelIr(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string ClassName,
    string FullyQualifiedName,
    string LossName,
    EquatableArray<Node> Nodes,
    EquatableArray<Param> Params,
    EquatableArray<Input> Inputs,
    int LossNode,
    EquatableArray<Output> Outputs,
    Optimizer Optimizer,
    SourceSpot? Spot = null,
    EquatableArray<Counter> Counters = default);

/// <summary>
/// Where the model's class name is, as plain values (file, span, line/column), so a failure in a
/// later stage can still be reported on the model type without the IR holding a syntax tree.
/// </summary>
internal sealed record SourceSpot(string Path, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn);

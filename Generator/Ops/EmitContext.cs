using System.Collections.Generic;
using System.Linq;
using TrainingGen.Generator.Emit;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Ops;

/// <summary>Naming and formatting the emitters share with the rules.</summary>
internal sealed class EmitContext
{
    private readonly System.Func<int, int>? _buffer;
    private readonly HashSet<int> _shapesRead;

    public EmitContext(EquatableArray<Node> nodes, ValueNames? names = null, System.Func<int, int>? buffer = null)
        : this(nodes, names ?? new ValueNames(nodes), buffer, "_batch", new HashSet<int>()) { }

    private EmitContext(EquatableArray<Node> nodes, ValueNames names, System.Func<int, int>? buffer, string batch, HashSet<int> shapesRead)
    {
        Nodes = nodes; Names = names; _buffer = buffer; Batch = batch; _shapesRead = shapesRead;
    }

    public EquatableArray<Node> Nodes { get; }

    /// <summary>The readable, unique name of every value (C# fields and MIL values are named after it).</summary>
    public ValueNames Names { get; }

    /// <summary>
    /// The C# expression for the batch dimension in emitted MIL code: the trainer's <c>_batch</c>,
    /// or a method parameter where one function body serves several batch sizes (main's flexible −1).
    /// </summary>
    public string Batch { get; }

    /// <summary>This context with another batch expression (same names, same record of shapes read).</summary>
    public EmitContext WithBatch(string batch) => new(Nodes, Names, _buffer, batch, _shapesRead) { Fused = Fused };

    /// <summary>
    /// Trainer only: the fused pairs (<see cref="Fusion.Plan"/>), first node → the node its kernel call also
    /// computes (null: none, as in the package emitter).
    /// </summary>
    public IReadOnlyDictionary<int, int>? Fused { get; init; }

    /// <summary>The node whose value <paramref name="id"/>'s kernel call also computes, or −1.</summary>
    public int FusedWith(int id) => Fused is not null && Fused.TryGetValue(id, out int second) ? second : -1;

    /// <summary>A dimension as a C# expression: <see cref="Batch"/> or a literal.</summary>
    public string Dim(int d) => d == Dims.Batch ? Batch : d.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A shape as a C# <c>long[]</c> expression.</summary>
    public string LongArray(EquatableArray<int> shape) => "new long[] { " + string.Join(", ", shape.Select(Dim)) + " }";

    /// <summary>The element count of a shape as a C# expression.</summary>
    public string Count(EquatableArray<int> shape) => shape.Count == 0 ? "1" : string.Join(" * ", shape.Select(Dim));

    /// <summary>The trainer's span for a value: an input argument, a parameter field or the buffer holding it.</summary>
    public string Ref(int id) => Nodes[id].Op switch
    {
        "input" => ValueNames.Verbatim(Names[id]),
        "param" => "_" + Names[id],
        _ => "_" + Names[_buffer is null ? id : _buffer(id)],
    };

    /// <summary>The trainer's int[] field holding a value's shape for this batch size; only fields read are declared.</summary>
    public string S(int id)
    {
        _shapesRead.Add(id);
        return ShapeField(id);
    }

    /// <summary>The shape field's name, without recording a read.</summary>
    public string ShapeField(int id) => "_" + Names.Derived(id, "shape");

    /// <summary>Whether some lowering read the shape field of <paramref name="id"/>.</summary>
    public bool ShapeRead(int id) => _shapesRead.Contains(id);

    /// <summary>The trainer's working memory of a node (<see cref="OpRule.Scratch"/>), kept for its backward rule.</summary>
    public string Work(int id) => "_" + Names.Derived(id, "work");

    /// <summary>
    /// The trainer's <c>long[1]</c> field of an int64 counter (<see cref="Counter"/>), from its state_dict
    /// path, which a counting layer's node carries as its name: <c>bn.num_batches_tracked</c> → <c>_bn_num_batches_tracked</c>.
    /// </summary>
    public static string CounterField(string path) => "_" + Frontend.StateNames.ToMil(path);

    /// <summary>The MIL value of a node inside a function being built.</summary>
    public string V(int id) => "v." + ValueNames.Verbatim(Names[id]);

    public EquatableArray<int> Shape(int id) => Nodes[id].Shape;

    public const string TP = "global::System.Numerics.Tensors.TensorPrimitives";
    public const string K = "global::TrainingGen.Kernels";
    public const string Mil = "global::TrainingGen.CoreML.Mil";
}

/// <summary>
/// The MIL name a lowering gives its value, in the forms the MIL builder's methods take it; a
/// value, never text to be taken apart.
/// </summary>
internal readonly struct MilName
{
    private readonly string? _name;

    public MilName(string? name) { _name = name; }

    public static MilName None => default;

    /// <summary>The trailing named argument: <c>, name: "h"</c>, or nothing.</summary>
    public override string ToString() => _name is null ? "" : ", name: " + EmitHelpers.Literal(_name);

    /// <summary>The positional argument of <c>b.Op(type, outputType, name, ...)</c>: <c>"h"</c> or <c>null</c>.</summary>
    public string Positional => _name is null ? "null" : EmitHelpers.Literal(_name);

    /// <summary>A trailing positional argument: <c>, "h"</c>, or nothing.</summary>
    public string PositionalTail => _name is null ? "" : ", " + EmitHelpers.Literal(_name);
}

using System.Linq;
using Google.Protobuf;
using TrainingGen.Import.Onnx.Proto;

namespace TrainingGen.Import.Tests;

/// <summary>Builds small ONNX models (opset 17) for the importer's unit tests, the way PyTorch's exporter writes them.</summary>
internal sealed class GraphBuilder
{
    private readonly ModelProto _model = new() { IrVersion = 8, ProducerName = "tests", Graph = new GraphProto { Name = "g" } };
    private int _n;

    public GraphBuilder(long opset = 17) => _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });

    /// <summary>A float input with a symbolic batch and the given other dimensions.</summary>
    public GraphBuilder Input(string name, params long[] dims) => TypedInput(name, 1, dims);

    /// <summary>An input of ONNX element type <paramref name="elemType"/> (1 float, 6 int32, 7 int64) with a symbolic batch.</summary>
    public GraphBuilder TypedInput(string name, int elemType, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        _model.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } } });
        return this;
    }

    public GraphBuilder Output(string name)
    {
        _model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        return this;
    }

    public GraphBuilder Initializer(string name, long[] dims, float[] values)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        _model.Graph.Initializer.Add(t);
        return this;
    }

    /// <summary>A Constant node holding an int64 vector (or scalar when <paramref name="scalar"/>).</summary>
    public string Ints(params long[] values) => ConstantNode(new TensorProto { DataType = 7 }, values.Length, t => t.Int64Data.AddRange(values), scalar: false);

    /// <summary>A Constant node holding an int64 scalar (as exporters index a shape with).</summary>
    public string IntScalar(long value) => ConstantNode(new TensorProto { DataType = 7 }, 1, t => t.Int64Data.Add(value), scalar: true);

    public string Float(float value) => ConstantNode(new TensorProto { DataType = 1 }, 1, t => t.FloatData.Add(value), scalar: true);

    private string ConstantNode(TensorProto t, int count, System.Action<TensorProto> fill, bool scalar)
    {
        if (!scalar) t.Dims.Add(count);
        fill(t);
        string output = $"/Constant_{++_n}_output_0";
        var node = new NodeProto { Name = $"/Constant_{_n}", OpType = "Constant" };
        node.Output.Add(output);
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
        _model.Graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a node; returns its first output's name. Attributes: long → INT, long[] → INTS, float → FLOAT, string → STRING.</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes) => NodeN(op, inputs, 1, attributes)[0];

    public string[] NodeN(string op, string[] inputs, int outputs, params (string Name, object Value)[] attributes)
    {
        string name = $"/{op}_{++_n}";
        var node = new NodeProto { Name = name, OpType = op };
        node.Input.AddRange(inputs);
        var outs = Enumerable.Range(0, outputs).Select(k => $"{name}_output_{k}").ToArray();
        node.Output.AddRange(outs);
        foreach (var (n, v) in attributes)
            node.Attribute.Add(v switch
            {
                long i => new AttributeProto { Name = n, Type = AttributeProto.Types.AttributeType.Int, I = i },
                long[] ints => WithInts(new AttributeProto { Name = n, Type = AttributeProto.Types.AttributeType.Ints }, ints),
                float f => new AttributeProto { Name = n, Type = AttributeProto.Types.AttributeType.Float, F = f },
                string s => new AttributeProto { Name = n, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
                _ => throw new System.ArgumentException(n),
            });
        _model.Graph.Node.Add(node);
        return outs;
    }

    /// <summary>Renames the output value of the last node to <paramref name="name"/> (the graph output).</summary>
    public GraphBuilder Rename(string from, string to)
    {
        foreach (var n in _model.Graph.Node)
        {
            for (int k = 0; k < n.Output.Count; k++) if (n.Output[k] == from) n.Output[k] = to;
            for (int k = 0; k < n.Input.Count; k++) if (n.Input[k] == from) n.Input[k] = to;
        }
        return this;
    }

    private static AttributeProto WithInts(AttributeProto a, long[] ints) { a.Ints.AddRange(ints); return a; }

    public byte[] Bytes => _model.ToByteArray();
}

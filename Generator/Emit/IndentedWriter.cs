using System.Text;

namespace TrainingGen.Generator.Emit;

/// <summary>A minimal indented writer for generated source (four spaces per level).</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public IndentedWriter Line(string text = "")
    {
        if (text.Length > 0) _sb.Append(' ', _indent * 4).Append(text);
        _sb.Append('\n');
        return this;
    }

    public IndentedWriter Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return this;
    }

    public IndentedWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public override string ToString() => _sb.ToString();
}

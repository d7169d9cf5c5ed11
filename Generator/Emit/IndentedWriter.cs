using System;
using System.Collections.Generic;
using System.Text;

namespace TrainingGen.Generator.Emit;

/// <summary>
/// The writer for generated source (four spaces per level). Indentation comes only from
/// <see cref="Block"/> and <see cref="Indent"/> scopes, never from the text written.
/// </summary>
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

    public IndentedWriter Lines(IEnumerable<string> lines)
    {
        foreach (var l in lines) Line(l);
        return this;
    }

    /// <summary>Writes <paramref name="header"/> and <c>{</c>; disposing the scope writes <c>}</c> + <paramref name="suffix"/>.</summary>
    public Scope Block(string header, string suffix = "")
    {
        Line(header);
        Line("{");
        _indent++;
        return new Scope(this, "}" + suffix);
    }

    /// <summary>One more level of indentation until the scope is disposed (an initializer's elements).</summary>
    public Scope Indent()
    {
        _indent++;
        return new Scope(this, null);
    }

    public override string ToString() => _sb.ToString();

    /// <summary>The end of a <see cref="Block"/> or <see cref="Indent"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly IndentedWriter _writer;
        private readonly string? _closing;

        public Scope(IndentedWriter writer, string? closing) { _writer = writer; _closing = closing; }

        public void Dispose()
        {
            _writer._indent--;
            if (_closing is not null) _writer.Line(_closing);
        }
    }
}

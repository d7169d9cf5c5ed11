using System.Linq;

namespace TrainingGen.Generator.Model;

/// <summary>
/// Where a training model that could not be generated lives, so the generator can still emit a
/// <c>CreateTrainer</c> stand-in: the namespace, the containing types and the class name with its
/// type parameters as declared (<c>Case&lt;T&gt;</c>).
/// </summary>
internal sealed record ModelStub(string Namespace, EquatableArray<string> ContainingTypes, string ClassName, string TypeParameters)
{
    public string HintName => string.Join(".", new[] { Namespace }.Concat(ContainingTypes).Concat(new[] { ClassName }).Where(s => s.Length > 0));
}

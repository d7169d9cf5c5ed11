using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Emit;
using TrainingGen.Generator.Frontend;
using TrainingGen.Generator.Model;

namespace TrainingGen.Tests.Harness;

// Kept apart from GeneratorHarness.cs because that file is also linked into TrainingGen.Import.Tests,
// which cannot see the generator's internal stages (only TrainingGen.Generator.Tests has InternalsVisibleTo).
internal static partial class GeneratorHarness
{
    /// <summary>
    /// The generator's front end and autodiff on every [TrainingModel] class of <paramref name="source"/>
    /// that parses, in declaration order: for tests of the stages between them and the emitters.
    /// </summary>
    public static IEnumerable<(string Name, TrainingModelIr Ir, BackwardPlan Plan)> Differentiate(string source)
    {
        var compilation = CreateCompilation(source);
        foreach (var tree in compilation.SyntaxTrees)
        {
            var semantic = compilation.GetSemanticModel(tree);
            foreach (var cls in tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>())
                if (semantic.GetDeclaredSymbol(cls) is INamedTypeSymbol type && type.GetAttributes().Any(a => a.AttributeClass?.Name == "TrainingModelAttribute")
                    && ModelParser.Parse(type, compilation, CancellationToken.None).Value is { } ir)
                    yield return (type.Name, ir, Autodiff.Differentiate(ir));
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// TG0008: the parameter names a model's layer properties produce, from symbols alone. A
/// property <c>Fc1</c> of a Linear gives <c>fc_1.weight</c>/<c>fc_1.bias</c> in the state_dict
/// (<c>fc_1_weight</c>/<c>fc_1_bias</c> in the package), a <see cref="KnownNames"/> Parameter
/// property its own path, a sub-model the names of its layers under its own. Two properties of
/// one model whose names meet (<c>Fc1</c> and <c>FC1</c>, or <c>Fc</c> and a Parameter
/// <c>FcWeight</c>) would silently share or overwrite weights, so that is an error (TG0008, or
/// TG0018 when a <c>[StateDictName]</c> made the names meet). A [StateDictName] whose name is not
/// usable is TG0017. Shared by the analyzer (which reports them) and the generator (which then
/// generates nothing for the model).
/// </summary>
internal static class ParameterNames
{
    /// <summary>A property whose names meet those of an earlier property of the same model.</summary>
    public sealed class Collision
    {
        public Collision(IPropertySymbol property, IPropertySymbol earlier, string name)
        {
            Property = property; Earlier = earlier; Name = name;
        }
        public IPropertySymbol Property { get; }
        public IPropertySymbol Earlier { get; }
        /// <summary>The shared name, as in the training package (dots become underscores).</summary>
        public string Name { get; }
    }

    /// <summary>Collisions between the direct layer/sub-model properties of <paramref name="model"/>.</summary>
    public static List<Collision> Collisions(INamedTypeSymbol model)
    {
        var owner = new Dictionary<string, IPropertySymbol>(StringComparer.Ordinal);
        var found = new List<Collision>();
        foreach (var p in LayerProperties(model))
        {
            var names = NamesOf(p, 0, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default) { model });
            var clash = names.FirstOrDefault(n => owner.TryGetValue(n, out var q) && !SymbolEqualityComparer.Default.Equals(q, p));
            if (clash is not null) { found.Add(new Collision(p, owner[clash], clash)); continue; }
            foreach (var n in names) owner[n] = p;
        }
        return found;
    }

    /// <summary>A layer or sub-model property whose [StateDictName] cannot be used, and why.</summary>
    public sealed class InvalidName
    {
        public InvalidName(IPropertySymbol property, AttributeData attribute, string? name, string why)
        {
            Property = property; Attribute = attribute; Name = name; Why = why;
        }
        public IPropertySymbol Property { get; }
        public AttributeData Attribute { get; }
        public string? Name { get; }
        public string Why { get; }
    }

    /// <summary>The unusable [StateDictName]s on the layer and sub-model properties of <paramref name="model"/>.</summary>
    public static List<InvalidName> InvalidNames(INamedTypeSymbol model)
    {
        bool topLevel = model.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.TrainingModelAttribute);
        var found = new List<InvalidName>();
        foreach (var p in LayerProperties(model))
            if (StateNames.Explicit(p) is { } e && StateNames.Invalid(e.Name, topLevel) is { } why)
                found.Add(new InvalidName(p, e.Attribute, e.Name, why));
        return found;
    }

    /// <summary>True when <paramref name="model"/> or any sub-model it holds has a collision or an unusable [StateDictName].</summary>
    public static bool AnyCollision(INamedTypeSymbol model)
    {
        var seen = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        var stack = new Stack<INamedTypeSymbol>();
        stack.Push(model);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (!seen.Add(t) || seen.Count > 256) continue;
            if (Collisions(t).Count > 0 || InvalidNames(t).Count > 0) return true;
            foreach (var p in LayerProperties(t))
                if (p.Type is INamedTypeSymbol sub && IsModel(sub)) stack.Push(sub);
        }
        return false;
    }

    /// <summary>Properties that hold a layer ([Op] type) or a sub-model ([Model] type), in declaration order.</summary>
    public static IEnumerable<IPropertySymbol> LayerProperties(INamedTypeSymbol model) =>
        model.GetMembers().OfType<IPropertySymbol>()
            .Where(p => !p.IsStatic && p.Type is INamedTypeSymbol t && (LayerOp(t) is not null || IsModel(t)))
            .OrderBy(p => p.Locations.FirstOrDefault()?.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(p => p.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0);

    /// <summary>The package names (state_dict path with '_' for '.') a layer or sub-model property contributes.</summary>
    private static List<string> NamesOf(IPropertySymbol p, int depth, HashSet<ITypeSymbol> path)
    {
        string prefix = StateNames.ToMil(StateNames.Of(p));
        var names = new List<string>();
        if (p.Type is not INamedTypeSymbol t) return names;
        if (LayerOp(t) is { } op)
        {
            if (op == "parameter") { names.Add(prefix); return names; }
            foreach (var tensor in t.GetMembers().OfType<IPropertySymbol>())
                if (!tensor.IsStatic && tensor.DeclaredAccessibility == Accessibility.Public &&
                    tensor.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString() == KnownNames.Tensor)
                    names.Add(prefix + "_" + StateNames.ToSnake(tensor.Name));
            return names;
        }
        if (depth > 16 || !path.Add(t)) return names; // recursive models are reported elsewhere
        foreach (var child in LayerProperties(t))
            foreach (var n in NamesOf(child, depth + 1, path))
                names.Add(prefix + "_" + n);
        path.Remove(t);
        return names;
    }

    private static string? LayerOp(INamedTypeSymbol t)
    {
        foreach (var a in t.GetAttributes())
            if (a.AttributeClass?.ToDisplayString() == KnownNames.OpAttribute && a.ConstructorArguments.Length == 1)
                return a.ConstructorArguments[0].Value as string;
        return null;
    }

    public static bool IsModel(INamedTypeSymbol t) =>
        t.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownNames.ModelAttribute);
}

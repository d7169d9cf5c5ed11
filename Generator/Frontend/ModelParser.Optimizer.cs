using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator.Frontend;

/// <summary>The training model's optimizer: its [Optimizer]-derived attribute and checked hyper-parameters.</summary>
internal sealed partial class ModelParser
{
    private Optimizer? ParseOptimizer(INamedTypeSymbol type)
    {
        var attr = type.GetAttributes().FirstOrDefault(a => DerivesFrom(a.AttributeClass, KnownNames.OptimizerAttribute));
        if (attr?.AttributeClass is null)
        {
            var cls = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<ClassDeclarationSyntax>().FirstOrDefault();
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoOptimizer, cls?.Identifier.GetLocation(), type.Name));
            return null;
        }
        var at = attr.ApplicationSyntaxReference?.GetSyntax(_ct) as AttributeSyntax;
        bool ok = true;
        foreach (var problem in OptimizerRules.Check(attr))
        {
            ok = false;
            var arg = at?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == problem.Argument);
            Report(DiagnosticDescriptors.InvalidHyperParameter, (SyntaxNode?)arg ?? at, problem.Argument, problem.Value, problem.Reason);
        }
        if (!ok) return null;
        var args = attr.NamedArguments.Select(kv => new OptimizerArgument(kv.Key, Literals.Of(kv.Value))).ToEquatable();
        string display = attr.AttributeClass.Name.EndsWith("Attribute", StringComparison.Ordinal)
            ? attr.AttributeClass.Name.Substring(0, attr.AttributeClass.Name.Length - "Attribute".Length)
            : attr.AttributeClass.Name;
        return new Optimizer(attr.AttributeClass.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), display, args);
    }

    private static bool DerivesFrom(INamedTypeSymbol? type, string metadataName)
    {
        for (var t = type; t is not null; t = t.BaseType)
            if (t.ToDisplayString() == metadataName) return true;
        return false;
    }
}

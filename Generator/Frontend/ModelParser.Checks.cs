using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Diagnostics;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Model-level checks of the parser that turn what would otherwise become broken generated code
/// (or a misleading TG1001/TG1002) into one diagnostic naming the fix: generic models (TG0009),
/// no or only frozen parameters (TG0011/TG0012), a Forward returning only the loss (TG0013), a
/// layer declared as a field (TG0014), a sub-model class missing [Model] (TG0015), a private
/// layer of a sub-model (TG0016), and TG3001
/// relocated to the caller's call when the mismatch comes from what the caller passed in.
/// </summary>
internal sealed partial class ModelParser
{
    /// <summary>TG0009 when <paramref name="type"/> is generic (at its type parameter list).</summary>
    private bool ReportIfGeneric(INamedTypeSymbol type, string attribute)
    {
        if (!type.IsGenericType) return false;
        var decl = type.OriginalDefinition.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<TypeDeclarationSyntax>()
            .FirstOrDefault(d => d.TypeParameterList is not null);
        Report(DiagnosticDescriptors.GenericModel, (SyntaxNode?)decl?.TypeParameterList ?? decl, type.Name, attribute,
            decl?.TypeParameterList?.ToString() ?? "");
        return true;
    }

    /// <summary>TG0011 (no parameters) or TG0012 (all frozen) at the class name; false when something is trainable.</summary>
    private bool ReportIfNothingTrainable(INamedTypeSymbol type)
    {
        if (_params.Any(p => p.Trainable)) return false;
        var at = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<ClassDeclarationSyntax>().FirstOrDefault()?.Identifier.GetLocation();
        // Buffers (BatchNorm running statistics) are not parameters an optimizer could train.
        var d = _params.Any(p => !p.IsBuffer) ? DiagnosticDescriptors.AllFrozen : DiagnosticDescriptors.NoParameters;
        _diagnostics.Add(DiagnosticInfo.Create(d, at, type.Name));
        return true;
    }

    /// <summary>TG0013 at Forward's return type: a single returned value is the loss, with no prediction for 'main'.</summary>
    private void ReportOnlyLoss(INamedTypeSymbol type, MethodDeclarationSyntax forward) =>
        Report(DiagnosticDescriptors.OnlyLoss, forward.ReturnType, type.Name);

    /// <summary>
    /// <c>X.Forward(...)</c> where X is not a layer or sub-model property: a layer field (TG0014) or
    /// a class with a Forward but no [Model] (TG0015). Returns without reporting when neither applies.
    /// </summary>
    private void ReportMisdeclaredLayer(MemberAccessExpressionSyntax ma, ISymbol? target)
    {
        if (target is IFieldSymbol field && LayerFieldRule.IsLayerField(field))
        {
            var declarator = field.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<VariableDeclaratorSyntax>().FirstOrDefault();
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerField, declarator?.Identifier.GetLocation() ?? ma.Expression.GetLocation(),
                field.Name, LayerFieldRule.AsProperty(field, declarator)));
            throw new Abort();
        }
        var type = (target as IPropertySymbol)?.Type as INamedTypeSymbol;
        if (type is not null && type.TypeKind == TypeKind.Class && !HasAttribute(type, KnownNames.ModelAttribute) &&
            type.GetMembers(KnownNames.ForwardMethod).OfType<IMethodSymbol>().Any(m => !m.IsStatic) &&
            type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<ClassDeclarationSyntax>().FirstOrDefault() is { } cls)
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingModelAttribute, ma, type.Name, ma.ToString())
                with { AlsoTree = cls.SyntaxTree, AlsoSpan = cls.Identifier.Span });
            throw new Abort();
        }
    }

    /// <summary>
    /// TG0016 at a sub-model's layer property that the generated trainer (nested in the training
    /// model) cannot access: it copies parameters through these properties, so a private one
    /// would only surface as CS0122 in generated code. The training model's own properties are
    /// always accessible to its nested trainer.
    /// </summary>
    private void ReportIfInaccessible(IPropertySymbol prop, Scope scope)
    {
        if (scope.Access == "model" || prop.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal)
            return;
        var at = prop.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InaccessibleLayer, at?.Identifier.GetLocation(), prop.Name, prop.ContainingType.Name,
            SyntaxFacts.GetText(prop.DeclaredAccessibility)));
        throw new Abort();
    }

    /// <summary>
    /// TG3001: <paramref name="problem"/> names both shapes, <paramref name="fix"/> what to change.
    /// Inside an inlined [Loss] or sub-model the shapes come from the caller's [Shape]s, so the
    /// diagnostic points at the outermost call in the training model's Forward, with the line in
    /// the callee where the shapes met as an additional location.
    /// </summary>
    private Abort ShapeError(SyntaxNode at, string problem, string fix)
    {
        if (_inlinedCalls.Count == 0)
        {
            Report(DiagnosticDescriptors.ShapeMismatch, at, problem, fix);
            return new Abort();
        }
        var call = _inlinedCalls[0];
        string callee = call is InvocationExpressionSyntax inv ? inv.Expression.ToString() : call.ToString();
        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeMismatch, call, $"In the call to '{callee}', {problem}", fix)
            with { AlsoTree = at.SyntaxTree, AlsoSpan = at.Span });
        return new Abort();
    }

    /// <summary>The fix for a mismatch between a value's shape and what a layer or operator needs.</summary>
    private const string ShapeFix = "correct the [Shape] of the inputs or the layer sizes so the shapes agree";

    /// <summary>The fix for an op whose own rule (ShapeRules) rejected its arguments.</summary>
    private const string ArgumentFix = "change the arguments (or the [Shape] of the inputs they come from) to satisfy it";
}

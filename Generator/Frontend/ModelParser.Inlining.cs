using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Diagnostics;

namespace TrainingGen.Generator.Frontend;

/// <summary>Inlining: [Loss] functions and sub-model Forwards are evaluated in a scope of their own at each call.</summary>
internal sealed partial class ModelParser
{
    // Calls being inlined ([Loss] functions, sub-model Forwards), outermost first.
    private readonly List<SyntaxNode> _inlinedCalls = new();
    private int _inlineDepth;

    private int InlineLoss(InvocationExpressionSyntax call, IMethodSymbol method, Scope scope)
    {
        var args = call.ArgumentList.Arguments.Select(a => Eval(a.Expression, scope)).ToArray();
        var decl = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (decl is null) Fail(call, $"The [Loss] method '{method.Name}'", "its source must be in this compilation so it can be differentiated");
        var inner = new Scope(scope.Prefix, scope.Access, scope.Frozen, _compilation.GetSemanticModel(decl!.SyntaxTree), scope.Order);
        BindParameters(method, args, inner, call);
        return Inlined(() => EvaluateBody(decl, inner, expectTuple: false)[0], call);
    }

    private int InlineModel(INamedTypeSymbol modelType, InvocationExpressionSyntax call, string prefix, string access, bool frozen, int[] args, string order)
    {
        var (forward, syntax) = FindForward(modelType, "Model", call);
        if (forward is null || syntax is null) throw new Abort();
        var inner = new Scope(prefix, access, frozen, _compilation.GetSemanticModel(syntax.SyntaxTree), order);
        BindParameters(forward, args, inner, call);
        return Inlined(() => EvaluateBody(syntax, inner, expectTuple: false)[0], call);
    }

    private int Inlined(Func<int> body, SyntaxNode at)
    {
        if (++_inlineDepth > 32) Fail(at, "Recursion between models or losses", "models must form a tree");
        _inlinedCalls.Add(at);
        try { return body(); }
        finally { _inlineDepth--; _inlinedCalls.RemoveAt(_inlinedCalls.Count - 1); }
    }

    private void BindParameters(IMethodSymbol method, int[] args, Scope scope, InvocationExpressionSyntax call)
    {
        if (method.Parameters.Length != args.Length)
            Fail(call, $"Calling '{method.Name}' with {args.Length} arguments", "pass exactly one tensor per parameter");
        for (int i = 0; i < args.Length; i++)
        {
            var at = call.ArgumentList.Arguments.Count > i ? call.ArgumentList.Arguments[i] : (SyntaxNode)call;
            if (IsIntTensor(method.Parameters[i].Type)) RequireInteger(args[i], at, method.Parameters[i].Name, method.Name);
            else RequireFloat(args[i], at, $"parameter '{method.Parameters[i].Name}' of {method.Name}");
            scope.Locals[method.Parameters[i]] = args[i];
        }
    }

    private (IMethodSymbol? Method, MethodDeclarationSyntax? Syntax) FindForward(INamedTypeSymbol type, string attribute, SyntaxNode? usedAt = null)
    {
        var candidates = type.GetMembers(KnownNames.ForwardMethod).OfType<IMethodSymbol>().ToList();
        var syntax = candidates.Count == 1
            ? candidates[0].DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<MethodDeclarationSyntax>().FirstOrDefault()
            : null;
        if (syntax is null)
        {
            if (usedAt is not null) Report(DiagnosticDescriptors.NoForward, usedAt, type.Name, attribute);
            else _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoForward, // at the class name, not the whole class
                type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_ct)).OfType<ClassDeclarationSyntax>().FirstOrDefault()?.Identifier.GetLocation(),
                type.Name, attribute));
            return (null, null);
        }
        return (candidates[0], syntax);
    }
}

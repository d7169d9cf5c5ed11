using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TrainingGen.Generator.Diagnostics;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Integer tensors: an <c>IntTensor</c> input is data that only integer operands take (the op
/// table's <c>IntegerOperands</c>: class labels, embedding indices). C# already rejects most misuse
/// (IntTensor has no operators and the float ops no IntTensor overloads); these checks keep the IR
/// sound when the code does not compile yet and report what C# allows but a package cannot hold.
/// </summary>
internal sealed partial class ModelParser
{
    /// <summary>TG0020 at <paramref name="at"/> when <paramref name="id"/> is an integer value; <paramref name="takes"/> names what needs a float.</summary>
    private void RequireFloat(int id, SyntaxNode? at, string takes)
    {
        if (!_integer.Contains(id)) return;
        Report(DiagnosticDescriptors.IntegerWhereFloat, at, _nodes[id].Source, takes);
        throw new Abort();
    }

    /// <summary>TG0022 at <paramref name="at"/> when a float value is passed for an IntTensor parameter of a [Model] or [Loss] method.</summary>
    private void RequireInteger(int id, SyntaxNode? at, string parameter, string method)
    {
        if (_integer.Contains(id)) return;
        Report(DiagnosticDescriptors.FloatWhereInteger, at, _nodes[id].Source, parameter, method);
        throw new Abort();
    }

    /// <summary>TG0021 at the returned element: the outputs after the loss are float predictions (main's outputs).</summary>
    private bool ReportIfIntegerOutput(INamedTypeSymbol type, IMethodSymbol forward, MethodDeclarationSyntax syntax, IReadOnlyList<int> returned)
    {
        for (int k = 1; k < returned.Count; k++)
        {
            if (!_integer.Contains(returned[k])) continue;
            var names = ModelNaming.OutputNames(forward, returned.Count, Enumerable.Empty<string>());
            Report(DiagnosticDescriptors.IntegerOutput, ReturnedElement(syntax, k), names[k - 1], type.Name);
            return true;
        }
        return false;
    }

    /// <summary>Element <paramref name="k"/> of the first returned tuple, else the whole returned expression.</summary>
    private static SyntaxNode? ReturnedElement(MethodDeclarationSyntax syntax, int k)
    {
        var returned = LossRule.ReturnedExpressions(syntax).FirstOrDefault();
        var e = returned;
        while (e is ParenthesizedExpressionSyntax p) e = p.Expression;
        return e is TupleExpressionSyntax t && t.Arguments.Count > k ? t.Arguments[k] : returned;
    }

    /// <summary>Argument <paramref name="i"/> of the call whose callee is <paramref name="callee"/> (the call itself when absent).</summary>
    private static SyntaxNode? ArgumentAt(MemberAccessExpressionSyntax callee, int i) =>
        callee.Parent is InvocationExpressionSyntax call && call.ArgumentList.Arguments.Count > i ? call.ArgumentList.Arguments[i] : callee.Parent;

    /// <summary>
    /// A call C# could not bind because an IntTensor went where every candidate takes a Tensor
    /// (TG0020), or a Tensor where every candidate takes an IntTensor (TG0022): said at the argument
    /// rather than as an unknown call.
    /// </summary>
    private void ReportIfIntegerMismatch(InvocationExpressionSyntax call, SymbolInfo info, Scope scope)
    {
        var candidates = info.CandidateSymbols.OfType<IMethodSymbol>().ToList();
        if (candidates.Count == 0) return;
        var args = call.ArgumentList.Arguments;
        for (int i = 0; i < args.Count; i++)
        {
            var given = scope.Model.GetTypeInfo(args[i].Expression, _ct).Type?.ToDisplayString();
            var taken = candidates.Select(m => m.Parameters.Length > i ? m.Parameters[i].Type.ToDisplayString() : null).Distinct().ToList();
            if (taken.Count != 1 || taken[0] is null) continue;
            var method = candidates[0];
            if (given == KnownNames.IntTensor && taken[0] == KnownNames.Tensor)
            {
                Report(DiagnosticDescriptors.IntegerWhereFloat, args[i], args[i].ToString(), $"parameter '{method.Parameters[i].Name}' of {method.ContainingType.Name}.{method.Name}");
                throw new Abort();
            }
            if (given == KnownNames.Tensor && taken[0] == KnownNames.IntTensor)
            {
                Report(DiagnosticDescriptors.FloatWhereInteger, args[i], args[i].ToString(), method.Parameters[i].Name, $"{method.ContainingType.Name}.{method.Name}");
                throw new Abort();
            }
        }
    }
}

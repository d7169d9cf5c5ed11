using System;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TrainingGen.Generator.Frontend;

/// <summary>
/// Numbers <c>Forward</c> may use as scalars without them being tensors: everything the C#
/// compiler folds (<c>const</c> fields and locals, <c>1f / 3</c>, <c>Math.PI</c>), <c>static readonly</c>
/// numeric fields whose initializer folds, and <c>Math</c>/<c>MathF</c> functions of such values
/// (<c>MathF.Sqrt(8f)</c>). A float-typed result is rounded to float as C# would store it. The
/// generator targets netstandard2.0 (no MathF), so MathF functions are computed in double and
/// rounded: exact for Sqrt, Abs, Min, Max, Floor, Ceiling, Round; within an ulp for the others.
/// </summary>
internal static class ConstantFolder
{
    private const int MaxDepth = 16;

    public static double? TryFold(ExpressionSyntax e, SemanticModel model, CancellationToken ct) => Fold(e, model, ct, 0);

    private static double? Fold(ExpressionSyntax e, SemanticModel model, CancellationToken ct, int depth)
    {
        if (depth > MaxDepth) return null;
        var constant = model.GetConstantValue(e, ct);
        if (constant.HasValue) return Numeric(constant.Value);
        double? v = e switch
        {
            ParenthesizedExpressionSyntax p => Fold(p.Expression, model, ct, depth + 1),
            CastExpressionSyntax c => Fold(c.Expression, model, ct, depth + 1),
            PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryMinusExpression) => -Fold(u.Operand, model, ct, depth + 1),
            PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryPlusExpression) => Fold(u.Operand, model, ct, depth + 1),
            BinaryExpressionSyntax b => Binary(b, model, ct, depth),
            IdentifierNameSyntax or MemberAccessExpressionSyntax => ReadonlyField(model.GetSymbolInfo(e, ct).Symbol, model, ct, depth),
            InvocationExpressionSyntax call => MathCall(call, model, ct, depth),
            _ => null,
        };
        if (v is not { } value) return null;
        return model.GetTypeInfo(e, ct).Type?.SpecialType switch
        {
            SpecialType.System_Single => (float)value,
            SpecialType.System_Double => value,
            SpecialType.System_Int32 or SpecialType.System_Int64 => null, // integer arithmetic is the compiler's to fold
            _ => null,
        };
    }

    private static double? Numeric(object? value) => value switch
    {
        null or bool or string or char => null,
        IConvertible n => n.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    private static double? Binary(BinaryExpressionSyntax b, SemanticModel model, CancellationToken ct, int depth)
    {
        if (Fold(b.Left, model, ct, depth + 1) is not { } l || Fold(b.Right, model, ct, depth + 1) is not { } r) return null;
        return b.Kind() switch
        {
            SyntaxKind.AddExpression => l + r,
            SyntaxKind.SubtractExpression => l - r,
            SyntaxKind.MultiplyExpression => l * r,
            SyntaxKind.DivideExpression => l / r,
            _ => null,
        };
    }

    /// <summary>A <c>static readonly</c> float or double field whose initializer folds.</summary>
    private static double? ReadonlyField(ISymbol? symbol, SemanticModel model, CancellationToken ct, int depth)
    {
        if (symbol is not IFieldSymbol { IsStatic: true, IsReadOnly: true } field ||
            field.Type.SpecialType is not (SpecialType.System_Single or SpecialType.System_Double))
            return null;
        var declarator = field.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<VariableDeclaratorSyntax>().FirstOrDefault();
        if (declarator?.Initializer?.Value is not { } init) return null;
        var initModel = declarator.SyntaxTree == model.SyntaxTree ? model : model.Compilation.GetSemanticModel(declarator.SyntaxTree);
        return Fold(init, initModel, ct, depth + 1) is { } v
            ? field.Type.SpecialType == SpecialType.System_Single ? (float)v : v
            : null;
    }

    private static double? MathCall(InvocationExpressionSyntax call, SemanticModel model, CancellationToken ct, int depth)
    {
        if (model.GetSymbolInfo(call, ct).Symbol is not IMethodSymbol method ||
            method.ContainingType?.ToDisplayString() is not ("System.Math" or "System.MathF"))
            return null;
        var args = new double[call.ArgumentList.Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            if (Fold(call.ArgumentList.Arguments[i].Expression, model, ct, depth + 1) is not { } a) return null;
            args[i] = a;
        }
        return (method.Name, args.Length) switch
        {
            ("Sqrt", 1) => Math.Sqrt(args[0]),
            ("Exp", 1) => Math.Exp(args[0]),
            ("Log", 1) => Math.Log(args[0]),
            ("Log", 2) => Math.Log(args[0], args[1]),
            ("Log10", 1) => Math.Log10(args[0]),
            ("Log2", 1) => Math.Log(args[0]) / Math.Log(2),
            ("Pow", 2) => Math.Pow(args[0], args[1]),
            ("Abs", 1) => Math.Abs(args[0]),
            ("Sin", 1) => Math.Sin(args[0]),
            ("Cos", 1) => Math.Cos(args[0]),
            ("Tan", 1) => Math.Tan(args[0]),
            ("Tanh", 1) => Math.Tanh(args[0]),
            ("Atan", 1) => Math.Atan(args[0]),
            ("Floor", 1) => Math.Floor(args[0]),
            ("Ceiling", 1) => Math.Ceiling(args[0]),
            ("Round", 1) => Math.Round(args[0]),
            ("Max", 2) => Math.Max(args[0], args[1]),
            ("Min", 2) => Math.Min(args[0], args[1]),
            _ => null,
        };
    }
}

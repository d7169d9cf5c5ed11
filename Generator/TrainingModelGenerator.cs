using System;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using TrainingGen.Generator.Diagnostics;
using TrainingGen.Generator.Emit;
using TrainingGen.Generator.Frontend;
using TrainingGen.Generator.Model;

namespace TrainingGen.Generator;

/// <summary>
/// The TrainingGen source generator. For each partial [TrainingModel] class:
/// parse (Roslyn → equatable IR + diagnostics) → differentiate → emit the trainer and the package
/// builder. The front end's diagnostics are reported by TrainingGen.Analyzers (live in the IDE,
/// from the same parser); the generator only stops on them and reports its own TG9999. Diagnostics and sources flow through separate branches so a model that only changed
/// its diagnostics is not re-emitted, and every stage is guarded: an unexpected exception becomes
/// TG9999, never warning CS8785.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TrainingModelGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline steps, for incrementality tests.</summary>
    public static class TrackingNames
    {
        public const string Parse = nameof(Parse);
        public const string Diagnostics = nameof(Diagnostics);
        public const string Models = nameof(Models);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider.ForAttributeWithMetadataName(
                KnownNames.TrainingModelAttribute,
                // Non-partial classes are left to the analyzer (TG0002); generating for them would add CS0260.
                predicate: static (node, _) => node is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword),
                transform: static (ctx, ct) => Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        var diagnostics = parsed.Select(static (r, _) => r.Diagnostics).WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (var d in list) spc.ReportDiagnostic(d.ToDiagnostic());
        });

        var models = parsed.Select(static (r, _) => r.Value).Where(static m => m is not null).WithTrackingName(TrackingNames.Models);
        context.RegisterSourceOutput(models, static (spc, ir) => Emit(spc, ir!));
    }

    private static Result<TrainingModelIr> Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)ctx.TargetSymbol;
        try
        {
            // Every containing type must be partial too, or the generated nesting would not compile.
            for (var t = type.ContainingType; t is not null; t = t.ContainingType)
                if (!t.DeclaringSyntaxReferences.Any(r => r.GetSyntax(ct) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword)))
                    return new Result<TrainingModelIr>(null, EquatableArray<DiagnosticInfo>.Empty);
            // Two layers with one parameter name would share weights silently: TG0008 (the analyzer's) stops generation.
            if (ParameterNames.AnyCollision(type)) return new Result<TrainingModelIr>(null, EquatableArray<DiagnosticInfo>.Empty);
            var parsed = ModelParser.Parse(type, ctx.SemanticModel.Compilation, ct);
            // The analyzers run the same front end and report its diagnostics live in the IDE; the
            // generator reports only what they cannot know, so a build shows each problem once.
            return parsed.Diagnostics.Any(d => DiagnosticDescriptors.ReportedByAnalyzers.Contains(d.Id))
                ? parsed with { Diagnostics = parsed.Diagnostics.Where(d => !DiagnosticDescriptors.ReportedByAnalyzers.Contains(d.Id)).ToEquatable() }
                : parsed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var at = (ctx.TargetNode as ClassDeclarationSyntax)?.Identifier.GetLocation();
            return new Result<TrainingModelIr>(null, EquatableArray.Of(DiagnosticInfo.Create(
                DiagnosticDescriptors.InternalError, at, type.Name, "parsing", Describe(ex))));
        }
    }

    private static void Emit(SourceProductionContext spc, TrainingModelIr ir)
    {
        try
        {
            var plan = Autodiff.Differentiate(ir);
            spc.CancellationToken.ThrowIfCancellationRequested();
            string hint = HintName(ir);
            spc.AddSource(hint + ".Trainer.g.cs", SourceText.From(TrainerEmitter.Emit(ir, plan), System.Text.Encoding.UTF8));
            spc.AddSource(hint + ".Package.g.cs", SourceText.From(PackageEmitter.Emit(ir, plan), System.Text.Encoding.UTF8));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var at = ir.Spot is { } s
                ? Location.Create(s.Path, new TextSpan(s.Start, s.Length), new LinePositionSpan(new LinePosition(s.StartLine, s.StartColumn), new LinePosition(s.EndLine, s.EndColumn)))
                : Location.None;
            spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, at, ir.ClassName, "code generation", Describe(ex)));
        }
    }

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}".Replace('\n', ' ').Replace('\r', ' ');

    private static string HintName(TrainingModelIr ir) =>
        string.Join(".", new[] { ir.Namespace }.Concat(ir.ContainingTypes).Concat(new[] { ir.ClassName }).Where(s => s.Length > 0));
}

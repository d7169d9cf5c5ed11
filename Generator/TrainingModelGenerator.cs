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
        public const string Stubs = nameof(Stubs);
    }

    /// <summary>What parsing one model gave: its IR or diagnostics, and where to put a CreateTrainer stub when it has no IR.</summary>
    private sealed record ParseOutcome(Result<TrainingModelIr> Parsed, ModelStub? Stub);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider.ForAttributeWithMetadataName(
                KnownNames.TrainingModelAttribute,
                // Non-partial classes are left to the analyzer (TG0002); generating for them would add CS0260.
                predicate: static (node, _) => node is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword),
                transform: static (ctx, ct) => Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        var diagnostics = parsed.Select(static (r, _) => r.Parsed.Diagnostics).WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (var d in list) spc.ReportDiagnostic(d.ToDiagnostic());
        });

        var models = parsed.Select(static (r, _) => r.Parsed.Value).Where(static m => m is not null).WithTrackingName(TrackingNames.Models);
        context.RegisterSourceOutput(models, static (spc, ir) => Emit(spc, ir!));

        // A model with errors still gets a CreateTrainer that compiles, so its errors are the only ones.
        var stubs = parsed.Select(static (r, _) => r.Parsed.Value is null ? r.Stub : null).Where(static s => s is not null).WithTrackingName(TrackingNames.Stubs);
        context.RegisterSourceOutput(stubs, static (spc, stub) =>
            spc.AddSource(stub!.HintName + ".TrainerStub.g.cs", SourceText.From(StubEmitter.Emit(stub), System.Text.Encoding.UTF8)));
    }

    private static ParseOutcome Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)ctx.TargetSymbol;
        ModelStub? stub = null;
        try
        {
            // Every containing type must be partial too, or the generated nesting would not compile (TG0010, the analyzer's).
            if (Nesting.OuterNotPartial(type, ct) is not null) return new ParseOutcome(new Result<TrainingModelIr>(null, EquatableArray<DiagnosticInfo>.Empty), null);
            stub = StubOf(type, ctx.TargetNode as ClassDeclarationSyntax);
            // Two layers with one parameter name would share weights silently: TG0008 (the analyzer's) stops generation.
            if (ParameterNames.AnyCollision(type)) return new ParseOutcome(new Result<TrainingModelIr>(null, EquatableArray<DiagnosticInfo>.Empty), stub);
            var parsed = ModelParser.Parse(type, ctx.SemanticModel.Compilation, ct);
            // The analyzers run the same front end and report its diagnostics live in the IDE; the
            // generator reports only what they cannot know, so a build shows each problem once.
            return new ParseOutcome(parsed.Diagnostics.Any(d => DiagnosticDescriptors.ReportedByAnalyzers.Contains(d.Id))
                ? parsed with { Diagnostics = parsed.Diagnostics.Where(d => !DiagnosticDescriptors.ReportedByAnalyzers.Contains(d.Id)).ToEquatable() }
                : parsed, stub);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var at = (ctx.TargetNode as ClassDeclarationSyntax)?.Identifier.GetLocation();
            return new ParseOutcome(new Result<TrainingModelIr>(null, EquatableArray.Of(DiagnosticInfo.Create(
                DiagnosticDescriptors.InternalError, at, type.Name, "parsing", Describe(ex)))), stub);
        }
    }

    /// <summary>Where the CreateTrainer stub goes, or null when a containing type cannot hold it (not a plain non-generic class).</summary>
    private static ModelStub? StubOf(INamedTypeSymbol type, ClassDeclarationSyntax? decl)
    {
        var containing = new System.Collections.Generic.List<string>();
        for (var t = type.ContainingType; t is not null; t = t.ContainingType)
        {
            if (t.TypeKind != TypeKind.Class || t.IsRecord || t.IsGenericType) return null;
            containing.Insert(0, t.Name);
        }
        return new ModelStub(type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
            containing.ToEquatable(), type.Name, decl?.TypeParameterList?.ToString() ?? "");
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

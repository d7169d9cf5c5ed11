using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using TrainingGen.Import.Tests.Imported;

namespace TrainingGen.Import.Tests;

/// <summary>One ONNX fixture: its folder, the class its import is checked in as, and the wrapper's trainer.</summary>
public sealed record Fixture(string Folder, string ClassName, Func<int, ITrainer> CreateTrainer)
{
    public override string ToString() => Folder;

    public string Dir => Path.Combine(AppContext.BaseDirectory, "TestData", "onnx-fixtures", Folder);
    public string ModelPath => Path.Combine(Dir, "model.onnx");

    /// <summary>The options the checked-in <c>Imported/{ClassName}.cs</c> was written with.</summary>
    public ImportOptions Options => new() { ClassName = ClassName, Namespace = Fixtures.Namespace, SourceName = "model.onnx" };

    /// <summary>The checked-in import in the source tree (regenerated with TRAININGGEN_UPDATE_SNAPSHOTS=1).</summary>
    public string CheckedInPath => Path.Combine(Fixtures.ProjectDir(), "Imported", ClassName + ".cs");
}

public static class Fixtures
{
    public const string Namespace = "TrainingGen.Import.Tests.Imported";

    public static readonly Fixture[] All =
    {
        new("seed", "SeedNet", b => SeedTraining.CreateTrainer(b)),
        new("mlp", "MlpNet", b => MlpTraining.CreateTrainer(b)),
        new("lenet", "LeNet", b => LeNetTraining.CreateTrainer(b)),
        new("bn_cnn", "BnCnn", b => BnCnnTraining.CreateTrainer(b)),
        new("tiny_encoder", "TinyEncoder", b => TinyEncoderTraining.CreateTrainer(b)),
    };

    public static string ProjectDir([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;
}

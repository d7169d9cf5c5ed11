using System;
using System.Collections.Generic;
using TrainingGen.CoreML;

namespace TrainingGen.Training.Tests;

/// <summary>
/// A trainer whose tensor lists are chosen by the test (to write files with a missing, extra,
/// mis-shaped or broken tensor); everything else comes from a real trainer.
/// </summary>
internal sealed class FakeTrainer : ITrainer
{
    private readonly ITrainer _inner;
    public FakeTrainer(ITrainer inner, IReadOnlyList<TrainerTensor> parameters, IReadOnlyList<TrainerTensor> state)
    {
        _inner = inner; Parameters = parameters; OptimizerState = state;
        StepCount = inner.StepCount; LearningRate = inner.LearningRate;
    }
    public int BatchSize => _inner.BatchSize;
    public long StepCount { get; set; }
    public float LearningRate { get; set; }
    public IReadOnlyList<TrainerTensor> Parameters { get; }
    public IReadOnlyList<TrainerTensor> OptimizerState { get; }
    public IReadOnlyList<string> InputNames => _inner.InputNames;
    public IReadOnlyList<string> FeatureNames => _inner.FeatureNames;
    public IReadOnlyList<int[]> InputShapes => _inner.InputShapes;
    public IReadOnlyList<string> OutputNames => _inner.OutputNames;
    public Optimizers.Optimizer Optimizer => _inner.Optimizer;
    public float Step(IReadOnlyList<ITensorInput> inputs) => throw new NotSupportedException();
    public float ComputeGradients(IReadOnlyList<ITensorInput> inputs) => throw new NotSupportedException();
    public void ApplyUpdate() => throw new NotSupportedException();
    public float Evaluate(IReadOnlyList<ITensorInput> inputs) => throw new NotSupportedException();
    public IReadOnlyList<Tensor> Predict(IReadOnlyList<ITensorInput> features) => throw new NotSupportedException();
    public MlModelSpec BuildPackage() => throw new NotSupportedException();
    public void ExportPackage(string path, bool allowNonFinite = false) => throw new NotSupportedException();
    public MlModelSpec BuildInferencePackage() => throw new NotSupportedException();
    public void ExportInferencePackage(string path, bool allowNonFinite = false) => throw new NotSupportedException();
}

using System;
using System.Collections.Generic;
using TrainingGen.CoreML;

namespace TrainingGen.Training.Tests;

/// <summary>
/// A real trainer whose gradients or parameters a test corrupts at a chosen step (after its
/// ComputeGradients or ApplyUpdate), to reach the failures a finite loss does not show.
/// </summary>
internal sealed class SabotagedTrainer : ITrainer
{
    private readonly ITrainer _inner;
    private readonly long _atStep;
    private readonly Action<ITrainer>? _afterGradients, _afterUpdate;

    /// <param name="atStep">The 1-based step whose gradients / update are corrupted.</param>
    public SabotagedTrainer(ITrainer inner, long atStep, Action<ITrainer>? afterGradients = null, Action<ITrainer>? afterUpdate = null)
    {
        _inner = inner; _atStep = atStep; _afterGradients = afterGradients; _afterUpdate = afterUpdate;
    }

    public float ComputeGradients(IReadOnlyList<ITensorInput> inputs)
    {
        float loss = _inner.ComputeGradients(inputs);
        if (_inner.StepCount + 1 == _atStep) _afterGradients?.Invoke(_inner);
        return loss;
    }

    public void ApplyUpdate()
    {
        _inner.ApplyUpdate();
        if (_inner.StepCount == _atStep) _afterUpdate?.Invoke(_inner);
    }

    public int BatchSize => _inner.BatchSize;
    public long StepCount { get => _inner.StepCount; set => _inner.StepCount = value; }
    public float LearningRate { get => _inner.LearningRate; set => _inner.LearningRate = value; }
    public IReadOnlyList<TrainerTensor> Parameters => _inner.Parameters;
    public IReadOnlyList<TrainerTensor> OptimizerState => _inner.OptimizerState;
    public IReadOnlyList<string> InputNames => _inner.InputNames;
    public IReadOnlyList<string> FeatureNames => _inner.FeatureNames;
    public IReadOnlyList<int[]> InputShapes => _inner.InputShapes;
    public IReadOnlyList<string> OutputNames => _inner.OutputNames;
    public Optimizers.Optimizer Optimizer => _inner.Optimizer;
    public float Step(IReadOnlyList<ITensorInput> inputs) => throw new NotSupportedException();
    public float Evaluate(IReadOnlyList<ITensorInput> inputs) => _inner.Evaluate(inputs);
    public IReadOnlyList<Tensor> Predict(IReadOnlyList<ITensorInput> features) => _inner.Predict(features);
    public MlModelSpec BuildPackage() => _inner.BuildPackage();
    public void ExportPackage(string path, bool allowNonFinite = false) => _inner.ExportPackage(path, allowNonFinite);
    public MlModelSpec BuildInferencePackage() => _inner.BuildInferencePackage();
    public void ExportInferencePackage(string path, bool allowNonFinite = false) => _inner.ExportInferencePackage(path, allowNonFinite);
}

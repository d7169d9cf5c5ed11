namespace TrainingGen;

/// <summary>
/// Declares a training model's optimizer. The generator emits
/// <c>new TheAttribute { named arguments }.CreateOptimizer()</c> in the trainer, so every optimizer
/// attribute works without the generator knowing it.
/// </summary>
[System.AttributeUsage(System.AttributeTargets.Class, Inherited = false)]
public abstract class OptimizerAttribute : System.Attribute
{
    public abstract Optimizers.Optimizer CreateOptimizer();
}

/// <summary>
/// Stochastic gradient descent with exactly torch.optim.SGD's update and defaults
/// (momentum 0, dampening 0, weight decay 0, no Nesterov).
/// </summary>
[System.AttributeUsage(System.AttributeTargets.Class, Inherited = false)]
public sealed class SgdAttribute : OptimizerAttribute
{
    public double LearningRate { get; set; } = 0.001;
    public double Momentum { get; set; }
    public double Dampening { get; set; }
    public double WeightDecay { get; set; }
    public bool Nesterov { get; set; }

    public override Optimizers.Optimizer CreateOptimizer() =>
        new Optimizers.Sgd(new Optimizers.SgdOptions(LearningRate, Momentum, Dampening, WeightDecay, Nesterov));
}

/// <summary>
/// Adam with exactly torch.optim.Adam's update and defaults: lr 1e-3, betas (0.9, 0.999),
/// eps 1e-8, weight_decay 0 (L2 added to the gradient), amsgrad false.
/// </summary>
[System.AttributeUsage(System.AttributeTargets.Class, Inherited = false)]
public sealed class AdamAttribute : OptimizerAttribute
{
    public double LearningRate { get; set; } = 1e-3;
    public double Beta1 { get; set; } = 0.9;
    public double Beta2 { get; set; } = 0.999;
    public double Eps { get; set; } = 1e-8;
    public double WeightDecay { get; set; }
    public bool AmsGrad { get; set; }

    public override Optimizers.Optimizer CreateOptimizer() =>
        new Optimizers.Adam(new Optimizers.AdamOptions(LearningRate, Beta1, Beta2, Eps, WeightDecay, AmsGrad));
}

/// <summary>
/// AdamW with exactly torch.optim.AdamW's update and defaults: lr 1e-3, betas (0.9, 0.999),
/// eps 1e-8, weight_decay 0.01 (decoupled: p ← p·(1 − lr·λ)), amsgrad false.
/// </summary>
[System.AttributeUsage(System.AttributeTargets.Class, Inherited = false)]
public sealed class AdamWAttribute : OptimizerAttribute
{
    public double LearningRate { get; set; } = 1e-3;
    public double Beta1 { get; set; } = 0.9;
    public double Beta2 { get; set; } = 0.999;
    public double Eps { get; set; } = 1e-8;
    public double WeightDecay { get; set; } = 1e-2;
    public bool AmsGrad { get; set; }

    public override Optimizers.Optimizer CreateOptimizer() =>
        new Optimizers.AdamW(new Optimizers.AdamOptions(LearningRate, Beta1, Beta2, Eps, WeightDecay, AmsGrad));
}

/// <summary>
/// RMSprop with exactly torch.optim.RMSprop's update and defaults: lr 1e-2, alpha 0.99, eps 1e-8,
/// weight_decay 0, momentum 0, centered false.
/// </summary>
[System.AttributeUsage(System.AttributeTargets.Class, Inherited = false)]
public sealed class RmsPropAttribute : OptimizerAttribute
{
    public double LearningRate { get; set; } = 1e-2;
    public double Alpha { get; set; } = 0.99;
    public double Eps { get; set; } = 1e-8;
    public double WeightDecay { get; set; }
    public double Momentum { get; set; }
    public bool Centered { get; set; }

    public override Optimizers.Optimizer CreateOptimizer() =>
        new Optimizers.RmsProp(new Optimizers.RmsPropOptions(LearningRate, Alpha, Eps, WeightDecay, Momentum, Centered));
}

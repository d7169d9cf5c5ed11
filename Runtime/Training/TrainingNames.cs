namespace TrainingGen;

/// <summary>
/// Names and roles in a TrainingGen training package, in one place so the generated code, the
/// manifest and docs/package-format.md agree: parameter <c>p</c> travels as input <c>p</c>, its
/// gradient as <c>p_grad</c>, its SGD buffer as <c>p_momentum_buffer</c>, and updated values as
/// <c>p_new</c> / <c>p_momentum_buffer_new</c>.
/// </summary>
public static class TrainingNames
{
    public const string Loss = "loss";
    public const string LearningRate = "learning_rate";
    public const string Step = "step";
    /// <summary>Dropout masks of training functions are inputs <c>dropout_mask_0</c>, <c>dropout_mask_1</c>, ... (0 or 1/(1 − p) per element).</summary>
    public const string DropoutMaskPrefix = "dropout_mask_";
    public static string Gradient(string param) => param + "_grad";
    public static string MomentumBuffer(string param) => Slot(param, "momentum_buffer");
    /// <summary>An optimizer state slot of a parameter, e.g. <c>w_exp_avg</c>.</summary>
    public static string Slot(string param, string slot) => param + "_" + slot;
    public static string Updated(string value) => value + "_new";
}

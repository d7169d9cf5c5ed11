namespace TrainingGen.Generator.Frontend;

/// <summary>Metadata names of the runtime types the front end recognises.</summary>
internal static class KnownNames
{
    public const string ModelAttribute = "TrainingGen.ModelAttribute";
    public const string TrainingModelAttribute = "TrainingGen.TrainingModelAttribute";
    public const string LossAttribute = "TrainingGen.LossAttribute";
    public const string ShapeAttribute = "TrainingGen.ShapeAttribute";
    public const string FrozenAttribute = "TrainingGen.FrozenAttribute";
    public const string OpAttribute = "TrainingGen.OpAttribute";
    public const string SgdAttribute = "TrainingGen.SgdAttribute";
    public const string OptimizerAttribute = "TrainingGen.OptimizerAttribute";
    public const string Tensor = "TrainingGen.Tensor";
    public const string IntTensor = "TrainingGen.IntTensor";
    public const string ForwardMethod = "Forward";
}

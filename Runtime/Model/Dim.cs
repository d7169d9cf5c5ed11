// One definition of the batch sentinel, compiled twice: into the runtime as the public Dim users
// write in [Shape(Dim.Batch, ...)], and as linked source into the generator and analyzers
// (TRAININGGEN_FRONTEND) as the Dims the IR marks batch dimensions with, so the two cannot differ.
#if TRAININGGEN_FRONTEND
namespace TrainingGen.Generator.Model
{
    /// <summary>The batch dimension inside IR shapes (resolved when a trainer is created): the runtime's <c>Dim.Batch</c>.</summary>
    internal static class Dims
#else
namespace TrainingGen
{
    /// <summary>Symbolic dimensions for <see cref="ShapeAttribute"/>.</summary>
    public static class Dim
#endif
    {
        /// <summary>The batch dimension, fixed when the trainer is created.</summary>
        public const int Batch = -1;
    }
}

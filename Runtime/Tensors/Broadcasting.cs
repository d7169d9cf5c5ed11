using System;
using System.Collections.Generic;

// One broadcasting rule, compiled twice: into the runtime (ShapeUtil.Broadcast, eager ops on
// concrete shapes) and as linked source into the generator and analyzers (TRAININGGEN_FRONTEND),
// where shapes are symbolic and the batch dimension is Dims.Batch (−1). The rule needs no case for
// it: −1 is a dimension like any other, so it matches itself or 1 and nothing else, which is what
// the generator wants, and a runtime shape never holds it.
#if TRAININGGEN_FRONTEND
namespace TrainingGen.Generator.Model
#else
namespace TrainingGen
#endif
{
    internal static class Broadcasting
    {
        /// <summary>NumPy broadcasting of two shapes, or null when they do not broadcast.</summary>
        public static int[]? Shapes(IReadOnlyList<int> a, IReadOnlyList<int> b)
        {
            int r = Math.Max(a.Count, b.Count);
            var o = new int[r];
            for (int i = 0; i < r; i++)
            {
                int da = i < r - a.Count ? 1 : a[i - (r - a.Count)];
                int db = i < r - b.Count ? 1 : b[i - (r - b.Count)];
                if (da != db && da != 1 && db != 1) return null;
                o[i] = da == 1 ? db : da;
            }
            return o;
        }
    }
}

using System;
using NUnit.Framework;

namespace TrainingGen.Runtime.Tests;

/// <summary>A bad shape is an ArgumentOutOfRangeException naming the dimension, before anything is allocated.</summary>
[TestFixture]
public class TensorShapeTests
{
    [TestCase(new[] { -1, 2 }, 0)]
    [TestCase(new[] { 3, 4, -5 }, 2)]
    public void A_negative_dimension_is_named(int[] shape, int dimension)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Tensor(shape))!;
        Assert.That(e.ParamName, Is.EqualTo("shape"));
        Assert.That(e.Message, Does.Contain($"Dimension {dimension} of shape [{string.Join(", ", shape)}] is negative"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Tensor(shape, new float[6]))!.Message,
            Does.Contain($"Dimension {dimension}"));
    }

    [Test]
    public void Too_many_elements_is_a_clear_error_not_an_overflow()
    {
        // 65536 × 65536 = 2^32 wraps to 0 in int arithmetic; 2^16 × 2^16 × 2^16 overflows a checked int.
        foreach (var shape in new[] { new[] { 65536, 65536 }, new[] { 65536, 65536, 65536 } })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Tensor(shape))!;
            Assert.That(e.Message, Does.Contain($"Shape [{string.Join(", ", shape)}] has more than {Array.MaxLength} elements"));
        }
    }

    [Test]
    public void Zero_sized_and_ordinary_shapes_still_work()
    {
        Assert.That(new Tensor(0, 1 << 30).Count, Is.EqualTo(0));
        Assert.That(new Tensor(2, 3).Count, Is.EqualTo(6));
        Assert.That(new Tensor(Array.Empty<int>()).Count, Is.EqualTo(1));
    }
}

using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Creates layer parameters from given values or from Caffe's fillers with a fixed seed.</summary>
internal static class ParameterInit
{
    /// <summary>A parameter holding <paramref name="values"/>, whose shape must be <paramref name="shape"/>.</summary>
    public static Parameter From(TensorBlob values, long[] shape, string layer, string what)
    {
        if (!values.Shape.SequenceEqual(shape) && !(values.Count == shape.Aggregate(1L, (a, d) => a * d) && values.Shape.Length != shape.Length))
            throw new RistrettoException($"layer '{layer}': {what} has shape [{string.Join("×", values.Shape)}], expected [{string.Join("×", shape)}]");
        using var t = tensor(values.Data, shape);
        return new Parameter(t.clone());
    }

    /// <summary>Caffe's "xavier" filler (uniform ±√(3 / fan_in)) from <paramref name="rng"/>.</summary>
    public static Parameter Xavier(long[] shape, ref SplitMix64 rng)
    {
        long count = shape.Aggregate(1L, (a, d) => a * d);
        double a = Math.Sqrt(3.0 / (count / shape[0]));
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)((rng.NextDouble() * 2 - 1) * a);
        using var t = tensor(values, shape);
        return new Parameter(t.clone());
    }

    /// <summary>A parameter filled with <paramref name="value"/>.</summary>
    public static Parameter Constant(long[] shape, float value)
    {
        using var t = Scalars.Full(shape, value, ScalarType.Float32);
        return new Parameter(t.clone());
    }

    /// <summary>A zero-filled parameter.</summary>
    public static Parameter Zeros(long[] shape)
    {
        using var t = zeros(shape);
        return new Parameter(t.clone());
    }
}

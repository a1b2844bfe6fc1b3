using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Tests.Zoo;

/// <summary>Parameter counts by hand formula, and the shape and finiteness checks every zoo test shares.</summary>
internal static class Count
{
    /// <summary>A k×k convolution: out · in/groups · k² weights, plus out biases.</summary>
    public static long Conv(long inputs, long outputs, long kernel, long groups = 1, bool bias = true) =>
        outputs * (inputs / groups) * kernel * kernel + (bias ? outputs : 0);

    /// <summary>An inner product: in · out weights plus out biases.</summary>
    public static long Fc(long inputs, long outputs) => inputs * outputs + outputs;

    /// <summary>Batch norm with learned γ and β (the statistics are buffers, not parameters).</summary>
    public static long BatchNorm(long channels) => 2 * channels;

    /// <summary>The shape of every blob for the declared input.</summary>
    public static IReadOnlyDictionary<string, long[]> Shapes(Network net) => net.Validate();

    /// <summary>Runs one image of uniform noise through <paramref name="net"/>; returns the output values.</summary>
    public static float[] ForwardOne(Network net, ulong seed = 1)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var shape = net.Inputs[0].Shape.ToArray();
        shape[0] = 1;
        using var generator = new TorchSharp.torch.Generator(seed);
        var x = rand(shape, generator: generator);
        var y = net.forward(x);
        Assert.Equal(Shapes(net)[net.Outputs[0]], y.shape);
        return y.data<float>().ToArray();
    }
}

using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using TorchSharp.Modules;

namespace Ristretto.Zoo;

/// <summary>
/// Shared plumbing of the zoo networks: a <see cref="NetworkBuilder"/> that knows each blob's shape (so a
/// layer's weights are sized from its input) and draws every weight from one SplitMix64 stream in layer
/// order (Caffe's "xavier" filler; biases 0; batch norm γ 1, β 0, mean 0, variance 1). Blob names are
/// source names: writing a name again is an in-place layer, as in a Caffe prototxt.
/// </summary>
internal sealed class ZooBuilder
{
    private readonly NetworkBuilder _builder;
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);
    private SplitMix64 _rng;

    /// <summary>Starts network <paramref name="name"/> with input "data" of <paramref name="shape"/> (batch 1).</summary>
    public ZooBuilder(string name, ulong seed, params long[] shape)
    {
        _builder = new NetworkBuilder(name).Input("data", shape);
        _shapes["data"] = shape;
        _rng = new SplitMix64(seed);
    }

    /// <summary>The current shape of source blob <paramref name="blob"/>.</summary>
    public long[] Shape(string blob) => _shapes[blob];

    /// <summary>Adds <paramref name="layer"/>; its output shapes are recorded under the source names.</summary>
    public string Add(Layer layer, string[] inputs, string output)
    {
        try
        {
            var shape = layer.OutputShapes(inputs.Select(Shape).ToArray())[0];
            _builder.Add(layer, inputs, [output]);
            _shapes[output] = shape;
            return output;
        }
        catch
        {
            layer.Dispose();
            throw;
        }
    }

    /// <summary>A convolution with xavier weights (and a zero bias when <paramref name="bias"/>), sized from its input.</summary>
    public string Conv(string name, string input, long outputs, long kernel, long stride = 1, long pad = 0, long groups = 1,
        bool bias = true, string? output = null)
    {
        var weight = Xavier(outputs, Shape(input)[1] / groups, kernel, kernel);
        var layer = new ConvolutionLayer(name, weight, bias ? ParameterInit.Zeros([outputs]) : null,
            ConvolutionLayer.Geometry.Square(kernel, stride, pad, groups: groups));
        return Add(layer, [input], output ?? name);
    }

    /// <summary>An inner product over the flattened input, xavier weights and a zero bias.</summary>
    public string Fc(string name, string input, long outputs, string? output = null)
    {
        long features = Shape(input).Skip(1).Aggregate(1L, (a, d) => a * d);
        return Add(new InnerProductLayer(name, Xavier(outputs, features), ParameterInit.Zeros([outputs])), [input], output ?? name);
    }

    /// <summary>Batch normalisation with γ 1, β 0, mean 0, variance 1 (ε 1e-5), as torchvision initialises it.</summary>
    public string BatchNorm(string name, string input, string? output = null)
    {
        long c = Shape(input)[1];
        using var mean = TorchSharp.torch.zeros(c);
        using var variance = TorchSharp.torch.ones(c);
        var layer = new BatchNormLayer(name, mean, variance, ParameterInit.Constant([c], 1), ParameterInit.Zeros([c]));
        return Add(layer, [input], output ?? name);
    }

    /// <summary>ReLU in place on <paramref name="input"/> unless <paramref name="output"/> is given.</summary>
    public string ReLU(string name, string input, string? output = null) => Add(new ReLULayer(name), [input], output ?? input);

    /// <summary>ReLU6 (clip to [0, 6]), writing <paramref name="output"/> (default: in place).</summary>
    public string ReLU6(string name, string input, string? output = null) => Add(new ClipLayer(name, 0, 6), [input], output ?? input);

    /// <summary>Square max or average pooling; <paramref name="ceil"/> as Caffe (true) or torchvision (false).</summary>
    public string Pool(string name, string input, PoolingLayer.Method method, long kernel, long stride, long pad = 0, bool ceil = true, string? output = null) =>
        Add(new PoolingLayer(name, method, (kernel, kernel), (stride, stride), (pad, pad), ceil), [input], output ?? name);

    /// <summary>Average over the whole plane to 1×1.</summary>
    public string GlobalAveragePool(string name, string input, string? output = null) =>
        Add(new PoolingLayer(name, PoolingLayer.Method.Average, (1, 1), (1, 1), (0, 0), global: true), [input], output ?? name);

    /// <summary>Caffe's LRN (across channels unless <paramref name="withinChannel"/>); constants are Caffe's floats.</summary>
    public string Lrn(string name, string input, int size, float alpha, float beta, bool withinChannel = false, string? output = null) =>
        Add(new LrnLayer(name, size, alpha, beta, 1, withinChannel), [input], output ?? name);

    /// <summary>Dropout in place (the identity at inference).</summary>
    public string Dropout(string name, string input, double ratio) => Add(new DropoutLayer(name, ratio), [input], input);

    /// <summary>Concatenation along channels.</summary>
    public string Concat(string name, string[] inputs, string? output = null) => Add(new ConcatLayer(name), inputs, output ?? name);

    /// <summary>Element-wise sum.</summary>
    public string Sum(string name, string[] inputs, string? output = null) => Add(new EltwiseLayer(name), inputs, output ?? name);

    /// <summary>Flattens axes 1.. into one.</summary>
    public string Flatten(string name, string input, string? output = null) => Add(new FlattenLayer(name), [input], output ?? name);

    /// <summary>The finished network, in inference mode (Dropout the identity; the trainer switches it to training).</summary>
    public Network Build()
    {
        var network = _builder.Build();
        network.eval();
        return network;
    }

    private Parameter Xavier(params long[] shape) => ParameterInit.Xavier(shape, ref _rng);
}

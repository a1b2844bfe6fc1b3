using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using TorchSharp.Modules;

namespace Ristretto.Zoo;

/// <summary>
/// LeNet exactly as Caffe's <c>examples/mnist/lenet_train_test.prototxt</c>, as a <see cref="Network"/>:
/// conv1 20×5×5, pool1 max 2/2, conv2 50×5×5, pool2 max 2/2, ip1 500, relu1 (in place on ip1), ip2 10;
/// 431,080 parameters for 28×28 inputs. Weights use Caffe's "xavier" filler (uniform ±√(3 / fan_in)),
/// biases the constant 0, drawn from a SplitMix64 stream in layer order.
/// </summary>
public static class LeNet
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "lenet";

    /// <summary>Builds LeNet for 1×28×28 inputs and <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network Build(int classes = 10, ulong seed = 1)
    {
        var rng = new SplitMix64(seed);
        Parameter Weight(params long[] shape) => ParameterInit.Xavier(shape, ref rng);
        var conv1 = new ConvolutionLayer("conv1", Weight(20, 1, 5, 5), ParameterInit.Zeros([20]), ConvolutionLayer.Geometry.Square(5));
        var conv2 = new ConvolutionLayer("conv2", Weight(50, 20, 5, 5), ParameterInit.Zeros([50]), ConvolutionLayer.Geometry.Square(5));
        var ip1 = new InnerProductLayer("ip1", Weight(500, 800), ParameterInit.Zeros([500]));
        var ip2 = new InnerProductLayer("ip2", Weight(classes, 500), ParameterInit.Zeros([classes]));
        return new NetworkBuilder(ArchitectureName)
            .Input("data", 1, 1, 28, 28)
            .Add(conv1, "data", "conv1")
            .Add(new PoolingLayer("pool1", PoolingLayer.Method.Max, (2, 2), (2, 2), (0, 0)), "conv1", "pool1")
            .Add(conv2, "pool1", "conv2")
            .Add(new PoolingLayer("pool2", PoolingLayer.Method.Max, (2, 2), (2, 2), (0, 0)), "conv2", "pool2")
            .Add(ip1, "pool2", "ip1")
            .Add(new ReLULayer("relu1"), "ip1", "ip1")
            .Add(ip2, "ip1", "ip2")
            .Build();
    }
}

using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using TorchSharp.Modules;

namespace Ristretto.Zoo;

/// <summary>
/// LeCun's LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998) with its tanh activations, as a <see cref="Network"/> for
/// 1×28×28 inputs: conv1 6×5×5 with pad 2 (the paper's 32×32 input), tanh1, pool1 average 2/2, conv2 16×5×5 (fully
/// connected, where the paper wired a subset of S2's maps to each C3 map), tanh2, pool2 average 2/2, conv3 120×5×5
/// (C5, 1×1 output), tanh3, ip1 84, tanh4, ip2 <c>classes</c> (an inner product in place of the paper's RBF units);
/// 61,706 parameters and 416,520 MACs for ten classes. The paper's squashing function <c>1.7159·tanh(2x/3)</c> is
/// written as a plain tanh: its inner factor folds into the layer's weights and its outer factor into the next
/// layer's, so the functions the network can learn are the same. The network to test approximate activations on
/// (docs/compression.md). Weights use Caffe's xavier filler, biases 0, from one SplitMix64 stream in layer order.
/// </summary>
public static class LeNet5
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "lenet5";

    /// <summary>Builds LeNet-5 for 1×28×28 inputs and <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network Build(int classes = 10, ulong seed = 1)
    {
        var rng = new SplitMix64(seed);
        Parameter Weight(params long[] shape) => ParameterInit.Xavier(shape, ref rng);
        var conv1 = new ConvolutionLayer("conv1", Weight(6, 1, 5, 5), ParameterInit.Zeros([6]), ConvolutionLayer.Geometry.Square(5, pad: 2));
        var conv2 = new ConvolutionLayer("conv2", Weight(16, 6, 5, 5), ParameterInit.Zeros([16]), ConvolutionLayer.Geometry.Square(5));
        var conv3 = new ConvolutionLayer("conv3", Weight(120, 16, 5, 5), ParameterInit.Zeros([120]), ConvolutionLayer.Geometry.Square(5));
        var ip1 = new InnerProductLayer("ip1", Weight(84, 120), ParameterInit.Zeros([84]));
        var ip2 = new InnerProductLayer("ip2", Weight(classes, 84), ParameterInit.Zeros([classes]));
        return new NetworkBuilder(ArchitectureName)
            .Input("data", 1, 1, 28, 28)
            .Add(conv1, "data", "conv1")
            .Add(new TanhLayer("tanh1"), "conv1", "conv1")
            .Add(new PoolingLayer("pool1", PoolingLayer.Method.Average, (2, 2), (2, 2), (0, 0)), "conv1", "pool1")
            .Add(conv2, "pool1", "conv2")
            .Add(new TanhLayer("tanh2"), "conv2", "conv2")
            .Add(new PoolingLayer("pool2", PoolingLayer.Method.Average, (2, 2), (2, 2), (0, 0)), "conv2", "pool2")
            .Add(conv3, "pool2", "conv3")
            .Add(new TanhLayer("tanh3"), "conv3", "conv3")
            .Add(ip1, "conv3", "ip1")
            .Add(new TanhLayer("tanh4"), "ip1", "ip1")
            .Add(ip2, "ip1", "ip2")
            .Build();
    }
}

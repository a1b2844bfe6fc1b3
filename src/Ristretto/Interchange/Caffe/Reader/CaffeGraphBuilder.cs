using Ristretto.Engine;
using Ristretto.Data;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Interchange.Caffe.RistrettoLayers;
using Ristretto.Quantization;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Models;
using TorchSharp.Modules;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// Turns a phase-selected <see cref="CaffeNet"/> into a <see cref="Network"/>. Weights come from the
/// caffemodel when one was attached, else from Caffe's xavier filler with a fixed seed. Data and Input
/// layers become network inputs (a Data layer's shape is inferred for MNIST, CIFAR-10 and cropped
/// ImageNet sources); Accuracy, loss and Silence layers, which need labels, are left out. Any other layer
/// type the graph lacks is one error naming the layer, its type and its place in the file.
/// Ristretto's <c>ConvolutionRistretto</c>, <c>DeconvolutionRistretto</c> and <c>FcRistretto</c> become <see cref="QuantizedLayer"/>s applying
/// their <c>quantization_param</c>, <c>LRNRistretto</c> a <see cref="QuantizedLrnLayer"/>, or plain float layers when the
/// caller wants to quantize anew.
/// </summary>
internal static class CaffeGraphBuilder
{
    private static readonly HashSet<string> Dropped = new(StringComparer.Ordinal)
        { "Accuracy", "SoftmaxWithLoss", "Silence", "EuclideanLoss", "SigmoidCrossEntropyLoss", "HingeLoss", "InfogainLoss", "MultinomialLogisticLoss" };

    private static readonly HashSet<string> DataTypes = new(StringComparer.Ordinal) { "Data", "ImageData", "Input", "MemoryData", "HDF5Data", "DummyData" };

    /// <summary>Builds the network; <paramref name="seed"/> seeds the filler where the net has no weights.</summary>
    public static Network Build(CaffeNet net, ulong seed = 1, bool applyQuantization = true)
    {
        ArgumentNullException.ThrowIfNull(net);
        var builder = new NetworkBuilder(string.IsNullOrEmpty(net.Name) ? Path.GetFileNameWithoutExtension(net.FileName) : net.Name);
        var rng = new SplitMix64(seed);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var input in net.Flow.Inputs)
        {
            var shape = input.Shape ?? throw new RistrettoException($"{net.FileName}: input '{input.Name}' has no shape (add input_shape)");
            builder.Input(input.Name, shape);
            shapes[input.Name] = shape;
        }
        var dropped = new HashSet<string>(StringComparer.Ordinal); // blobs that only label or loss layers read
        foreach (var layer in net.Layers)
        {
            string where = $"{net.Where(layer)}: layer '{layer.Name}' ({layer.Type})";
            if (DataTypes.Contains(layer.Type))
            {
                var shape = DataShape(layer, where);
                builder.Input(layer.Top[0], shape);
                foreach (var extra in layer.Top.Skip(1))
                    dropped.Add(extra);
                continue;
            }
            if (Dropped.Contains(layer.Type))
                continue;
            if (layer.Bottom.Any(dropped.Contains))
                throw new RistrettoException($"{where} reads labels, which only accuracy and loss layers may");
            Layer built;
            try
            {
                if (layer.Type == "Scale")
                {
                    AddScale(layer, CaffeNet.Blobs(layer), builder);
                    continue;
                }
                built = Make(layer, CaffeNet.Blobs(layer), ref rng, builder, where);
                if (layer.Type == "LRNRistretto" && applyQuantization)
                {
                    var q = layer.QuantizationParam ?? throw new RistrettoException("has no quantization_param");
                    built = new QuantizedLrnLayer((LrnLayer)built, RistrettoQuantization.LrnFromProto(q), owns: true);
                }
                else if (layer.Type is "ConvolutionRistretto" or "FcRistretto" or "DeconvolutionRistretto" && applyQuantization)
                {
                    var q = layer.QuantizationParam ?? throw new RistrettoException("has no quantization_param");
                    double biasMax = 0;
                    if (built is IWeightedLayer { Bias: { } b })
                        using (TorchSharp.torch.NewDisposeScope())
                            biasMax = b.abs().max().item<float>();
                    built = new QuantizedLayer(built, RistrettoQuantization.FromProto(q, biasMax), owns: true);
                }
            }
            catch (RistrettoException e) when (!e.Message.StartsWith(net.FileName, StringComparison.Ordinal))
            {
                throw new RistrettoException($"{where}: {e.Message}", e);
            }
            builder.Add(built, layer.Bottom, layer.Top);
        }
        return builder.Build();
    }

    private static long[] DataShape(LayerParameter layer, string where)
    {
        if (layer.Type == "Input" && layer.InputParam?.Shape.Count > 0)
            return layer.InputParam.Shape[0].Dim.ToArray();
        string source = (layer.DataParam?.Source ?? layer.ImageDataParam?.Source ?? "").ToLowerInvariant();
        uint crop = layer.TransformParam?.CropSize ?? 0;
        if (crop > 0)
            return [1, 3, crop, crop];
        if (source.Contains("mnist", StringComparison.Ordinal))
            return [1, 1, 28, 28];
        if (source.Contains("cifar", StringComparison.Ordinal))
            return [1, 3, 32, 32];
        throw new RistrettoException($"{where}: cannot tell the input shape from source '{source}'; use an Input layer with input_param {{ shape }}");
    }

    private static Layer Make(LayerParameter p, IReadOnlyList<CaffeBlob> blobs, ref SplitMix64 rng, NetworkBuilder builder, string where)
    {
        switch (p.Type)
        {
            case "Convolution" or "ConvolutionRistretto":
            {
                var c = p.ConvolutionParam ?? throw new RistrettoException("has no convolution_param");
                var kernel = Pair(c.KernelSize, c.HasKernelH ? c.KernelH : null, c.HasKernelW ? c.KernelW : null, null, "kernel_size");
                var stride = Pair(c.Stride, c.HasStrideH ? c.StrideH : null, c.HasStrideW ? c.StrideW : null, 1, "stride");
                var pad = Pair(c.Pad, c.HasPadH ? c.PadH : null, c.HasPadW ? c.PadW : null, 0, "pad");
                var dilation = Pair(c.Dilation, null, null, 1, "dilation");
                long groups = c.Group;
                long inChannels = InputChannels(builder, p);
                if (groups < 1 || inChannels % groups != 0)
                    throw new RistrettoException($"{inChannels} input channels do not divide into {groups} groups");
                long[] wShape = [c.NumOutput, inChannels / groups, kernel.H, kernel.W];
                var (w, b) = Weights(blobs, wShape, c.BiasTerm ? c.NumOutput : null, ref rng, p.Name);
                return new ConvolutionLayer(p.Name, w, b, new ConvolutionLayer.Geometry(kernel, stride, pad, dilation, groups));
            }
            case "InnerProduct" or "FcRistretto":
            {
                var c = p.InnerProductParam ?? throw new RistrettoException("has no inner_product_param");
                if (c.Transpose)
                    throw new RistrettoException("transposed inner products are not supported");
                long features = Features(builder, p);
                var (w, b) = Weights(blobs, [c.NumOutput, features], c.BiasTerm ? c.NumOutput : null, ref rng, p.Name);
                return new InnerProductLayer(p.Name, w, b);
            }
            case "ReLU":
                return new ReLULayer(p.Name, p.ReluParam?.NegativeSlope ?? 0);
            case "Pooling":
            {
                var c = p.PoolingParam ?? throw new RistrettoException("has no pooling_param");
                var method = c.Pool switch
                {
                    PoolingParameter.Types.PoolMethod.Max => PoolingLayer.Method.Max,
                    PoolingParameter.Types.PoolMethod.Ave => PoolingLayer.Method.Average,
                    var other => throw new RistrettoException($"pooling method {other} is not supported"),
                };
                var kernel = c.GlobalPooling ? (1, 1) : Pair([], c.HasKernelH ? c.KernelH : c.HasKernelSize ? c.KernelSize : null, c.HasKernelW ? c.KernelW : c.HasKernelSize ? c.KernelSize : null, null, "kernel_size");
                var stride = (c.HasStrideH ? c.StrideH : c.Stride, c.HasStrideW ? c.StrideW : c.Stride);
                var pad = (c.HasPadH ? c.PadH : c.Pad, c.HasPadW ? c.PadW : c.Pad);
                bool ceil = c.RoundMode == PoolingParameter.Types.RoundMode.Ceil;
                return new PoolingLayer(p.Name, method, kernel, ((long)stride.Item1, (long)stride.Item2), ((long)pad.Item1, (long)pad.Item2), ceil, c.GlobalPooling);
            }
            case "LRN" or "LRNRistretto":
            {
                var c = p.LrnParam ?? new LRNParameter();
                return new LrnLayer(p.Name, (int)c.LocalSize, c.Alpha, c.Beta, c.K, c.NormRegion == LRNParameter.Types.NormRegion.WithinChannel);
            }
            case "Concat":
                return new ConcatLayer(p.Name, p.ConcatParam is { } cp ? (cp.HasAxis ? cp.Axis : cp.HasConcatDim ? (int)cp.ConcatDim : 1) : 1);
            case "Eltwise":
            {
                var c = p.EltwiseParam ?? new EltwiseParameter();
                var op = c.Operation switch
                {
                    EltwiseParameter.Types.EltwiseOp.Prod => EltwiseLayer.Operation.Prod,
                    EltwiseParameter.Types.EltwiseOp.Max => EltwiseLayer.Operation.Max,
                    _ => EltwiseLayer.Operation.Sum,
                };
                return new EltwiseLayer(p.Name, op, c.Coeff.Select(v => (double)v).ToList());
            }
            case "Deconvolution" or "DeconvolutionRistretto":
            {
                var c = p.ConvolutionParam ?? throw new RistrettoException("has no convolution_param");
                var kernel = Pair(c.KernelSize, c.HasKernelH ? c.KernelH : null, c.HasKernelW ? c.KernelW : null, null, "kernel_size");
                var stride = Pair(c.Stride, c.HasStrideH ? c.StrideH : null, c.HasStrideW ? c.StrideW : null, 1, "stride");
                var pad = Pair(c.Pad, c.HasPadH ? c.PadH : null, c.HasPadW ? c.PadW : null, 0, "pad");
                var dilation = Pair(c.Dilation, null, null, 1, "dilation");
                long groups = c.Group;
                if (groups < 1 || c.NumOutput % groups != 0)
                    throw new RistrettoException($"{c.NumOutput} outputs do not divide into {groups} groups");
                long[] wShape = [InputChannels(builder, p), c.NumOutput / groups, kernel.H, kernel.W];
                var (w, b) = Weights(blobs, wShape, c.BiasTerm ? c.NumOutput : null, ref rng, p.Name);
                return new DeconvolutionLayer(p.Name, w, b, new ConvolutionLayer.Geometry(kernel, stride, pad, dilation, groups));
            }
            case "BatchNorm":
            {
                long channels = InputChannels(builder, p);
                var eps = p.BatchNormParam is { HasEps: true } bn ? bn.Eps : 1e-5;
                using var scope = TorchSharp.torch.NewDisposeScope();
                if (blobs.Count == 0)
                    return new BatchNormLayer(p.Name, TorchSharp.torch.zeros(channels), TorchSharp.torch.ones(channels), null, null, eps);
                if (blobs.Count != 3 || blobs[0].Data.Length != channels || blobs[1].Data.Length != channels || blobs[2].Data.Length != 1)
                    throw new RistrettoException($"BatchNorm needs blobs mean [{channels}], variance [{channels}] and a scale factor [1]; got {blobs.Count} blob(s)");
                // Caffe stores running sums; the statistics are the sums divided by the scale factor.
                float factor = blobs[2].Data[0] == 0 ? 0 : 1 / blobs[2].Data[0];
                var mean = TorchSharp.torch.tensor(blobs[0].Data.Select(v => v * factor).ToArray());
                var variance = TorchSharp.torch.tensor(blobs[1].Data.Select(v => v * factor).ToArray());
                return new BatchNormLayer(p.Name, mean, variance, null, null, eps);
            }
            case "Sigmoid":
                return new SigmoidLayer(p.Name);
            case "TanH":
                return new TanhLayer(p.Name);
            case "ELU":
                return new EluLayer(p.Name, p.EluParam?.Alpha ?? 1);
            case "PReLU":
            {
                long channels = p.PreluParam is { ChannelShared: true } ? 1 : InputChannels(builder, p);
                var slope = blobs.Count == 0
                    ? ParameterInit.Constant([channels], 0.25f)
                    : ParameterInit.From(new TensorBlob("slope", blobs[0].Shape, blobs[0].Data), [channels], p.Name, "slope blob");
                return new PReLULayer(p.Name, slope);
            }
            case "Dropout":
                return new DropoutLayer(p.Name, p.DropoutParam?.DropoutRatio ?? 0.5);
            case "Softmax":
                return new SoftmaxLayer(p.Name, p.SoftmaxParam?.Axis ?? 1);
            case "Flatten":
                return new FlattenLayer(p.Name, p.FlattenParam?.Axis ?? 1);
            default:
                throw new RistrettoException($"layer type {p.Type} is not supported yet");
        }
    }

    /// <summary>Caffe's Scale (per channel, axis 1): a multiply and, with bias_term, an add, as two graph layers.</summary>
    private static void AddScale(LayerParameter p, IReadOnlyList<CaffeBlob> blobs, NetworkBuilder builder)
    {
        var c = p.ScaleParam ?? new ScaleParameter();
        if (p.Bottom.Count != 1 || p.Top.Count != 1)
            throw new RistrettoException("Scale with a second input (a learned scale from another blob) is not supported");
        var shape = builder.ShapeOf(p.Bottom[0]);
        if (c.Axis != 1 || c.NumAxes != 1 || shape.Length < 2)
            throw new RistrettoException($"only per-channel Scale (axis 1, num_axes 1) is supported, got axis {c.Axis}, num_axes {c.NumAxes}");
        long channels = shape[1];
        long[] broadcast = [channels, .. Enumerable.Repeat(1L, shape.Length - 2)];
        int expected = c.BiasTerm ? 2 : 1;
        if (blobs.Count != 0 && blobs.Count != expected)
            throw new RistrettoException($"has {blobs.Count} blobs, expected {expected}");
        Parameter Values(int i, float fill) => blobs.Count == 0
            ? ParameterInit.Constant(broadcast, fill)
            : ParameterInit.From(new TensorBlob("scale", blobs[i].Shape, blobs[i].Data), broadcast, p.Name, i == 0 ? "scale blob" : "bias blob");
        builder.Add(new BroadcastLayer(p.Name, BroadcastLayer.Operation.Multiply, Values(0, 1)), p.Bottom, p.Top);
        if (c.BiasTerm)
            builder.Add(new BroadcastLayer(p.Name + "/bias", BroadcastLayer.Operation.Add, Values(1, 0)), p.Top, p.Top);
    }

    private static (long H, long W) Pair(IReadOnlyList<uint> values, uint? h, uint? w, long? fallback, string what)
    {
        if (h is { } hh && w is { } ww)
            return (hh, ww);
        if (values.Count == 1)
            return (values[0], values[0]);
        if (values.Count == 2)
            return (values[0], values[1]);
        if (values.Count == 0 && fallback is { } f)
            return (f, f);
        throw new RistrettoException($"{what} needs 1 or 2 values (or _h and _w), got {values.Count}");
    }

    private static (Parameter Weight, Parameter? Bias) Weights(IReadOnlyList<CaffeBlob> blobs, long[] shape, long? bias, ref SplitMix64 rng, string layer)
    {
        if (blobs.Count == 0)
            return (ParameterInit.Xavier(shape, ref rng), bias is { } n ? ParameterInit.Zeros([n]) : null);
        int expected = bias is null ? 1 : 2;
        if (blobs.Count != expected)
            throw new RistrettoException($"has {blobs.Count} weight blobs, expected {expected}");
        var w = ParameterInit.From(new TensorBlob("weight", blobs[0].Shape, blobs[0].Data), shape, layer, "weight blob");
        var b = bias is { } count ? ParameterInit.From(new TensorBlob("bias", blobs[1].Shape, blobs[1].Data), [count], layer, "bias blob") : null;
        return (w, b);
    }

    private static long InputChannels(NetworkBuilder builder, LayerParameter p) => InputShape(builder, p)[1];

    private static long Features(NetworkBuilder builder, LayerParameter p) => InputShape(builder, p).Skip(1).Aggregate(1L, (a, d) => a * d);

    private static long[] InputShape(NetworkBuilder builder, LayerParameter p)
    {
        if (p.Bottom.Count != 1)
            throw new RistrettoException($"takes one input, has {p.Bottom.Count}");
        return builder.ShapeOf(p.Bottom[0]);
    }
}

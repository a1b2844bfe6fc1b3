using Ristretto.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Graph;

/// <summary>
/// Deep copies of layers: same type, name and settings, with parameters and buffers cloned (on the same
/// device, same <c>requires_grad</c>), so that the copy and the original own separate tensors and may be
/// disposed independently. A graph rewrite uses it to build a new network from an old one.
/// </summary>
internal static class LayerCopy
{
    /// <summary>A copy of <paramref name="layer"/>; a layer type this does not know is a <see cref="RistrettoException"/>.</summary>
    public static Layer Clone(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        // Constructors make temporaries (BatchNormLayer detaches before cloning); the scope frees them, while the
        // copy's own tensors are detached from it.
        using var scope = NewDisposeScope();
        string n = layer.LayerName;
        Layer copy = layer switch
        {
            ConvolutionLayer c => new ConvolutionLayer(n, Param(c.Weight), ParamOrNull(c.Bias), c.Geo),
            DeconvolutionLayer d => new DeconvolutionLayer(n, Param(d.Weight), ParamOrNull(d.Bias), d.Geo, d.OutputPadding),
            InnerProductLayer f => new InnerProductLayer(n, Param(f.Weight), ParamOrNull(f.Bias)),
            BatchNormLayer b => new BatchNormLayer(n, b.Mean, b.Variance, ParamOrNull(b.Scale), ParamOrNull(b.Bias), b.Epsilon),
            BroadcastLayer b => new BroadcastLayer(n, b.Op, Param(b.Constant)),
            PReLULayer p => new PReLULayer(n, Param(p.Slope)),
            ReLULayer r => new ReLULayer(n, r.NegativeSlope),
            ClipLayer c => new ClipLayer(n, c.Min, c.Max),
            SigmoidLayer => new SigmoidLayer(n),
            TanhLayer => new TanhLayer(n),
            EluLayer e => new EluLayer(n, e.Alpha, e.Gamma),
            PowerLayer p => new PowerLayer(n, p.Power, p.Scale, p.Shift),
            PoolingLayer p => new PoolingLayer(n, p.PoolMethod, p.Kernel, p.Stride, p.Pad, p.CeilMode, p.Global, p.CountIncludePad),
            LrnLayer l => new LrnLayer(n, l.Size, l.Alpha, l.Beta, l.K, l.WithinChannel),
            ConcatLayer c => new ConcatLayer(n, c.Axis),
            EltwiseLayer e => new EltwiseLayer(n, e.Op, e.Coefficients.ToList()),
            DropoutLayer d => new DropoutLayer(n, d.Ratio),
            SoftmaxLayer s => new SoftmaxLayer(n, s.Axis),
            LogSoftmaxLayer s => new LogSoftmaxLayer(n, s.Axis),
            FlattenLayer f => new FlattenLayer(n, f.Axis),
            ReshapeLayer r => new ReshapeLayer(n, r.Shape.ToArray()),
            TransposeLayer t => new TransposeLayer(n, t.Permutation.ToArray()),
            PadLayer p => new PadLayer(n, p.Pads.ToArray(), p.Value),
            SliceLayer s => new SliceLayer(n, s.Starts.ToArray(), s.Lengths.ToArray()),
            _ => throw new RistrettoException($"layer '{n}' ({layer.Type}) cannot be copied; rewrite the float network before quantizing it"),
        };
        copy.train(layer.training);
        return copy;
    }

    /// <summary>A new parameter holding a copy of <paramref name="source"/>'s values, out of any dispose scope.</summary>
    public static Parameter Param(Tensor source, bool? requiresGrad = null)
    {
        using var scope = NewDisposeScope();
        var p = new Parameter(source.detach().clone(), requiresGrad ?? source.requires_grad);
        p.DetachFromDisposeScope();
        return p;
    }

    private static Parameter? ParamOrNull(Parameter? source) => source is null ? null : Param(source);
}

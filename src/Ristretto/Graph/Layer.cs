using static TorchSharp.torch;

namespace Ristretto.Graph;

/// <summary>
/// One operation of a <see cref="Network"/>: maps input tensors to output tensors and knows its output
/// shapes and cost. A layer owns its parameters (registered with TorchSharp, so a network trains).
/// Shapes include the batch dimension first.
/// </summary>
public abstract class Layer : nn.Module<Tensor[], Tensor[]>
{
    /// <summary>Creates a layer named <paramref name="name"/> (the name in the source model).</summary>
    protected Layer(string name) : base(ModuleName(name)) => LayerName = name;

    /// <summary>The layer's name as in the source model (may contain '/' or '.').</summary>
    public string LayerName { get; }

    /// <summary>Type name as Caffe spells it (Convolution, InnerProduct, ReLU, Pooling, ...).</summary>
    public abstract string Type { get; }

    /// <summary>How many inputs the layer takes: (minimum, maximum).</summary>
    public virtual (int Min, int Max) InputCount => (1, 1);

    /// <summary>
    /// Output shapes for <paramref name="inputs"/>. Throws <see cref="RistrettoException"/> with a message
    /// that says what does not fit (the network prefixes the layer's name).
    /// </summary>
    public abstract long[][] OutputShapes(long[][] inputs);

    /// <summary>Multiply-accumulates for one image (batch dimension excluded).</summary>
    public virtual long Macs(long[][] inputs) => 0;

    /// <summary>Number of parameter values.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Short description of the layer's settings, for summaries.</summary>
    public virtual string Describe() => "";

    /// <summary>
    /// A deep copy: same type, name and settings, with parameters and buffers cloned (same device, same
    /// <c>requires_grad</c>, same training mode), so the copy and the original own separate tensors and dispose
    /// independently. Graph rewrites build their new network from copies.
    /// </summary>
    public Layer Copy()
    {
        // Constructors may make temporaries (BatchNormLayer detaches before cloning); the scope frees them, while
        // the copy's own tensors are detached from it.
        using var scope = NewDisposeScope();
        var copy = CopyCore();
        copy.train(training);
        return copy;
    }

    /// <summary>
    /// The layer rebuilt with the same settings and copies of its tensors (<see cref="CopyParameter"/>); a layer
    /// type that cannot be copied keeps this default, one error naming it.
    /// </summary>
    protected virtual Layer CopyCore() =>
        throw new RistrettoException($"layer '{LayerName}' ({Type}) cannot be copied; rewrite the float network before quantizing it");

    /// <summary>A new parameter holding a copy of <paramref name="source"/>'s values, out of any dispose scope.</summary>
    public static TorchSharp.Modules.Parameter CopyParameter(Tensor source, bool? requiresGrad = null)
    {
        using var scope = NewDisposeScope();
        var p = new TorchSharp.Modules.Parameter(source.detach().clone(), requiresGrad ?? source.requires_grad);
        p.DetachFromDisposeScope();
        return p;
    }

    /// <summary><see cref="CopyParameter"/> of <paramref name="source"/>, or null.</summary>
    protected static TorchSharp.Modules.Parameter? CopyParameterOrNull(TorchSharp.Modules.Parameter? source) =>
        source is null ? null : CopyParameter(source);

    /// <summary>
    /// Writes the layer as ONNX nodes reading <paramref name="inputs"/> and writing <paramref name="output"/>; a layer
    /// type without an ONNX form keeps this default, one error naming it.
    /// </summary>
    public virtual void WriteOnnx(IOnnxWriter onnx, string[] inputs, string output) =>
        throw new RistrettoException($"layer '{LayerName}' ({Type}) has no ONNX form; export the float network");

    /// <summary>
    /// Fills Caffe's parameters of the layer (<c>convolution_param</c>, <c>pooling_param</c>, …) into <paramref name="p"/>,
    /// whose name and type are set; a layer type Caffe cannot express keeps this default, one error naming it.
    /// </summary>
    internal virtual void WriteCaffe(Interchange.Caffe.Proto.LayerParameter p) =>
        throw new RistrettoException($"layer '{LayerName}' ({Type}) cannot be written as Caffe yet");

    /// <summary>
    /// Whether <see cref="nn.Module{T,TResult}.forward"/> always returns tensors of its own (never a view of an
    /// input): a reader that is the last user of such an output may overwrite it in place (the network's ReLU does).
    /// </summary>
    internal virtual bool OutputIsFresh => false;

    /// <summary>
    /// Whether an image's output bits may depend on the other images of its batch, so that running the batch in slices
    /// (<see cref="SlicedRun"/>) could change them: a layer that multiplies the whole batch in one matrix product (the
    /// BLAS picks other kernels for few rows: a 100-row inner product differs in the last bits from its rows computed
    /// one or seven at a time), or one whose stochastic rounding draws by the element's index in the batch. A sliced
    /// pass runs such a layer, and every layer after it, on the whole batch.
    /// </summary>
    internal virtual bool CouplesImages => false;

    /// <summary>Whether <see cref="ForwardInPlace"/> computes the layer over its one input's own memory (a plain ReLU).</summary>
    internal virtual bool CanRunInPlace => false;

    /// <summary>The layer's output computed in place over <paramref name="input"/> (only when <see cref="CanRunInPlace"/>).</summary>
    internal virtual Tensor ForwardInPlace(Tensor input) => throw new InvalidOperationException($"layer '{LayerName}' ({Type}) does not run in place");

    /// <summary>A module name TorchSharp accepts (no '.').</summary>
    internal static string ModuleName(string name) => name.Replace('.', '_');

    /// <summary>Throws unless <paramref name="shape"/> has <paramref name="rank"/> dimensions.</summary>
    protected static void RequireRank(long[] shape, int rank, string what = "input")
    {
        if (shape.Length != rank)
            throw new RistrettoException($"{what} has shape [{string.Join("×", shape)}], expected rank {rank}");
    }
}

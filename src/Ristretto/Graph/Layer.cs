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
    /// Whether <see cref="nn.Module{T,TResult}.forward"/> always returns tensors of its own (never a view of an
    /// input): a reader that is the last user of such an output may overwrite it in place (the network's ReLU does).
    /// </summary>
    internal virtual bool OutputIsFresh => false;

    /// <summary>A module name TorchSharp accepts (no '.').</summary>
    internal static string ModuleName(string name) => name.Replace('.', '_');

    /// <summary>Throws unless <paramref name="shape"/> has <paramref name="rank"/> dimensions.</summary>
    protected static void RequireRank(long[] shape, int rank, string what = "input")
    {
        if (shape.Length != rank)
            throw new RistrettoException($"{what} has shape [{string.Join("×", shape)}], expected rank {rank}");
    }
}

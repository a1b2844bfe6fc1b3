using Ristretto.Engine;
using Ristretto.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Adds or multiplies a learned constant that broadcasts against the input as NumPy does (ONNX Add or Mul
/// with a constant operand, e.g. a bias [C, 1, 1] or a per-channel scale). Type Bias or Scale as in Caffe.
/// </summary>
public sealed class BroadcastLayer : Layer
{
    /// <summary>Whether the constant is added or multiplied.</summary>
    public enum Operation
    {
        /// <summary>x + c.</summary>
        Add,
        /// <summary>x · c.</summary>
        Multiply,
    }

    /// <summary>Creates the layer applying <paramref name="operation"/> with <paramref name="constant"/>.</summary>
    public BroadcastLayer(string name, Operation operation, Parameter constant) : base(name)
    {
        Op = operation;
        register_parameter("constant", constant);
    }

    /// <inheritdoc />
    public override string Type => Op == Operation.Add ? "Bias" : "Scale";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new BroadcastLayer(LayerName, Op, CopyParameter(Constant));

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node(Op == Operation.Add ? "Add" : "Mul", LayerName, [x[0], onnx.Initializer($"{LayerName}.constant", Constant)], y);
    }

    /// <summary>Add or multiply.</summary>
    public Operation Op { get; }

    /// <summary>The constant operand.</summary>
    public Parameter Constant => get_parameter("constant")!;

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        var c = Constant.shape;
        int rank = Math.Max(x.Length, c.Length);
        var y = new long[rank];
        for (int i = 1; i <= rank; i++)
        {
            long a = i <= x.Length ? x[^i] : 1, b = i <= c.Length ? c[^i] : 1;
            if (a != b && a != 1 && b != 1)
                throw new RistrettoException($"constant [{string.Join("×", c)}] does not broadcast with the input [{string.Join("×", x)}]");
            y[^i] = Math.Max(a, b);
        }
        return [y];
    }

    /// <inheritdoc />
    public override string Describe() => $"[{string.Join("×", Constant.shape)}]";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) =>
        [Op == Operation.Add ? inputs[0].Plus(Constant) : inputs[0].mul(Constant)];
}

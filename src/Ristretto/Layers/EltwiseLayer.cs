using Ristretto.Engine;
using Ristretto.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Element-wise sum (with optional coefficients), product or maximum of same-shaped inputs (Caffe Eltwise).</summary>
public sealed class EltwiseLayer : Layer
{
    /// <summary>The element-wise operation.</summary>
    public enum Operation
    {
        /// <summary>Product.</summary>
        Prod,
        /// <summary>Weighted sum.</summary>
        Sum,
        /// <summary>Maximum.</summary>
        Max,
    }

    /// <summary>Creates the layer; <paramref name="coefficients"/> apply to Sum only (one per input, default 1).</summary>
    public EltwiseLayer(string name, Operation operation = Operation.Sum, IReadOnlyList<double>? coefficients = null) : base(name)
    {
        if (coefficients is { Count: > 0 } && operation != Operation.Sum)
            throw new RistrettoException($"layer '{name}': coefficients apply only to the SUM operation");
        Op = operation;
        Coefficients = coefficients ?? [];
    }

    /// <inheritdoc />
    public override string Type => "Eltwise";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new EltwiseLayer(LayerName, Op, Coefficients.ToList());

    /// <summary>The operation.</summary>
    public Operation Op { get; }

    /// <summary>Sum coefficients (empty: all 1).</summary>
    public IReadOnlyList<double> Coefficients { get; }

    /// <inheritdoc />
    public override (int Min, int Max) InputCount => (2, int.MaxValue);

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        if (Coefficients.Count > 0 && Coefficients.Count != inputs.Length)
            throw new RistrettoException($"{Coefficients.Count} coefficients for {inputs.Length} inputs");
        foreach (var other in inputs.Skip(1))
            if (!other.SequenceEqual(inputs[0]))
                throw new RistrettoException($"inputs [{string.Join("×", inputs[0])}] and [{string.Join("×", other)}] differ in shape");
        return [inputs[0]];
    }

    /// <inheritdoc />
    public override string Describe() => Op.ToString().ToUpperInvariant();

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        Tensor y = Coefficients.Count > 0 ? inputs[0].Times(Coefficients[0]) : inputs[0].alias();
        for (int i = 1; i < inputs.Length; i++)
        {
            using var coefficient = (Coefficients.Count > 0 ? Coefficients[i] : 1.0).ToScalar();
            y = Op switch
            {
                Operation.Prod => y.mul(inputs[i]),
                Operation.Max => y.maximum(inputs[i]),
                _ => y.add(inputs[i], coefficient),
            };
        }
        return [y.MoveToOuterDisposeScope()];
    }
}

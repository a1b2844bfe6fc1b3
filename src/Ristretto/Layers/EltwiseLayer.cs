using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Element-wise sum (with optional coefficients), product or maximum of same-shaped inputs (Caffe Eltwise).</summary>
[CaffeLayer("Eltwise")]
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

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        var c = Coefficients;
        switch (Op)
        {
            case Operation.Max:
                onnx.Node("Max", LayerName, x, y);
                return;
            case Operation.Prod:
                string product = x[0];
                for (int i = 1; i < x.Length - 1; i++)
                    product = onnx.Helper("Mul", LayerName, $"product{i}", [product, x[i]], y);
                onnx.Node("Mul", LayerName, [product, x[^1]], y);
                return;
        }
        if (c.Count == 0 || c.All(v => v == 1))
            onnx.Node(x.Length == 2 ? "Add" : "Sum", LayerName, x, y);
        else if (x.Length == 2 && c[0] == 1 && c[1] == -1)
            onnx.Node("Sub", LayerName, x, y);
        else
        {
            var terms = x.Select((input, i) => c[i] == 1 ? input : onnx.Helper("Mul", LayerName, $"coeff{i}", [input, onnx.Scalar($"{LayerName}.coeff{i}", c[i])], y)).ToArray();
            onnx.Node("Sum", LayerName, terms, y);
        }
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        p.EltwiseParam = new EltwiseParameter
        {
            Operation = Op switch
            {
                Operation.Prod => EltwiseParameter.Types.EltwiseOp.Prod,
                Operation.Max => EltwiseParameter.Types.EltwiseOp.Max,
                _ => EltwiseParameter.Types.EltwiseOp.Sum,
            },
        };
        p.EltwiseParam.Coeff.AddRange(Coefficients.Select(v => (float)v));
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
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

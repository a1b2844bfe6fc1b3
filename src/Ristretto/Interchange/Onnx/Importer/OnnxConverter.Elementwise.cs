using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>Element-wise operators over runtime values, constants broadcast against them, and PRelu, Pow (constant exponent) and Clip.</summary>
internal sealed partial class OnnxConverter
{
    private void ConvertElementwise(OnnxNode node)
    {
        var names = node.Proto.Input.Where(n => n.Length > 0).ToList();
        var constants = names.Where(n => IsConstant(n)).ToList();
        if (constants.Count == 0)
        {
            var blobs = names.Select(n => Runtime(n)).ToList();
            if (blobs.Count == 1)
            {
                _alias[node.Output()] = blobs[0].Blob;
                return;
            }
            foreach (var other in blobs.Skip(1))
                Require(other.Shape.SequenceEqual(blobs[0].Shape),
                    $"inputs [{string.Join("×", blobs[0].Shape)}] and [{string.Join("×", other.Shape)}] differ in shape; broadcasting between computed values is not supported");
            EltwiseLayer layer = node.Op switch
            {
                "Add" or "Sum" => new EltwiseLayer(LayerName(node)),
                "Sub" => new EltwiseLayer(LayerName(node), EltwiseLayer.Operation.Sum, [1, -1]),
                "Mul" => new EltwiseLayer(LayerName(node), EltwiseLayer.Operation.Prod),
                "Max" => new EltwiseLayer(LayerName(node), EltwiseLayer.Operation.Max),
                _ => throw new RistrettoException("division of two computed values is not supported"),
            };
            AddLayer(layer, blobs.Select(b => b.Blob).ToArray(), [node.Output()]);
            return;
        }
        Require(names.Count == 2 && node.Op is "Add" or "Sub" or "Mul" or "Div",
            "a constant operand is supported for Add, Sub, Mul and Div of two inputs");
        bool constantFirst = IsConstant(names[0]);
        var (x, xs) = Runtime(constantFirst ? names[1] : names[0]);
        Require(!constantFirst || node.Op is "Add" or "Mul", $"{node.Op} with a constant first operand is not supported");
        using var scope = NewDisposeScope();
        var c = Constant(node, constantFirst ? names[0] : names[1], "operand").to(ScalarType.Float32);
        if (Opset < 7 && node.Int("broadcast", 0) != 0 && node.Has("axis"))
        {
            // Legacy broadcasting aligns the constant at axis instead of at the end.
            int axis = Axis(node.Int("axis", 0), xs.Length);
            c = c.reshape([.. c.shape, .. Enumerable.Repeat(1L, Math.Max(0, xs.Length - axis - (int)c.dim()))]);
        }
        var (op, value) = node.Op switch
        {
            "Add" => (BroadcastLayer.Operation.Add, c),
            "Sub" => (BroadcastLayer.Operation.Add, c.neg()),
            "Mul" => (BroadcastLayer.Operation.Multiply, c),
            _ => (BroadcastLayer.Operation.Multiply, c.reciprocal()),
        };
        Chain(new BroadcastLayer(LayerName(node), op, Param(value)), x, node.Output());
    }

    private void ConvertPRelu(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        using var scope = NewDisposeScope();
        var slope = Constant(node, node.Input(1), "slope");
        // A per-channel slope [C] that does not broadcast against the last axis is meant for axis 1 (older exporters).
        if (slope.dim() == 1 && xs.Length > 2 && slope.shape[0] != 1 && slope.shape[0] != xs[^1] && slope.shape[0] == xs[1])
            slope = slope.reshape([slope.shape[0], .. Enumerable.Repeat(1L, xs.Length - 2)]);
        Chain(new PReLULayer(LayerName(node), Param(slope)), x, node.Output());
    }

    private void ConvertPow(OnnxNode node)
    {
        var (x, _) = Runtime(node.Input(0));
        double exponent = ConstantScalar(node, node.Input(1), "exponent");
        Chain(new PowerLayer(LayerName(node), exponent), x, node.Output());
    }

    private void ConvertClip(OnnxNode node)
    {
        var (x, _) = Runtime(node.Input(0));
        double? min, max;
        if (Opset < 11)
        {
            min = node.Has("min") ? node.Float("min", 0) : null;
            max = node.Has("max") ? node.Float("max", 0) : null;
        }
        else
        {
            min = node.Input(1) is { } lo ? ConstantScalar(node, lo, "min") : null;
            max = node.Input(2) is { } hi ? ConstantScalar(node, hi, "max") : null;
        }
        Chain(new ClipLayer(LayerName(node), min, max), x, node.Output());
    }
}

using Ristretto.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>Evaluation of nodes whose inputs are all constants (weights built by ConstantOfShape, shape arithmetic).</summary>
internal sealed partial class OnnxConverter
{
    private bool TryFold(OnnxNode node)
    {
        using var scope = NewDisposeScope();
        Tensor? result = Guard(() => Fold(node));
        if (result is null)
            return false;
        Keep(node.Output(), result.MoveToOuterDisposeScope());
        return true;
    }

    private Tensor In(OnnxNode node, int i) => Constant(node, node.Input(i), $"input {i}");

    /// <summary>The node's value from constant inputs, or null when the operator is not folded.</summary>
    private Tensor? Fold(OnnxNode node)
    {
        switch (node.Op)
        {
            case "Constant":
                return ConstantValue(node);
            case "ConstantOfShape":
            {
                var shape = ConstantInts(node, node.Input(0), "shape");
                Require(shape.All(d => d >= 0) && shape.Aggregate(1.0, (a, d) => a * d) <= int.MaxValue, $"shape [{string.Join(", ", shape)}] is negative or too large");
                var value = node.Tensor("value");
                using var v = value is null ? zeros(1) : OnnxTensors.ToTensor(value, _source);
                Require(v.numel() == 1, "value must hold one element");
                return v.reshape([]).expand(shape).contiguous();
            }
            case "Identity":
            case "Dropout":
                return In(node, 0).alias();
            case "Cast":
            {
                long to = node.Int("to", 1);
                var x = In(node, 0);
                using var zero = 0.ToScalar();
                return to is 1 or 10 or 11 or 16 ? x.to(ScalarType.Float32) : to == 9 ? x.ne(zero).to(ScalarType.Int64) : x.to(ScalarType.Int64);
            }
            case "Shape":
                return ShapeOf(node, In(node, 0).shape);
            case "Reshape":
            {
                var x = In(node, 0);
                var target = Opset < 5 ? node.Ints("shape") ?? [] : ConstantInts(node, node.Input(1), "shape");
                return x.reshape(ReshapeTarget(x.shape, target, node.Int("allowzero", 0) != 0));
            }
            case "Flatten":
            {
                var x = In(node, 0);
                int axis = Axis(node.Int("axis", 1), x.dim() + 1);
                long outer = x.shape.Take(axis).Aggregate(1L, (a, d) => a * d);
                return x.reshape(outer, -1);
            }
            case "Transpose":
            {
                var x = In(node, 0);
                var perm = node.Ints("perm") ?? Enumerable.Range(0, (int)x.dim()).Reverse().Select(i => (long)i).ToArray();
                return x.permute(perm).contiguous();
            }
            case "Unsqueeze":
            {
                var x = In(node, 0);
                var axes = Opset < 13 ? node.Ints("axes") ?? [] : ConstantInts(node, node.Input(1), "axes");
                return x.reshape(UnsqueezeShape(x.shape, axes));
            }
            case "Squeeze":
            {
                var x = In(node, 0);
                var axes = Opset < 13 ? node.Ints("axes") : node.Input(1) is null ? null : ConstantInts(node, node.Input(1), "axes");
                return x.reshape(SqueezeShape(x.shape, axes));
            }
            case "Concat":
            {
                var parts = node.Proto.Input.Where(n => n.Length > 0).Select(n => _constants[Resolve(n)]).ToArray();
                return cat(parts, Axis(node.Int("axis", 0), parts[0].dim()));
            }
            case "Gather":
            {
                var x = In(node, 0);
                var indices = In(node, 1).to(ScalarType.Int64);
                int axis = Axis(node.Int("axis", 0), x.dim());
                using var zero = 0L.ToScalar();
                var idx = where(indices.lt(zero), indices.Plus(x.shape[axis]), indices);
                var flat = x.index_select(axis, idx.flatten());
                long[] shape = [.. x.shape.Take(axis), .. idx.shape, .. x.shape.Skip(axis + 1)];
                return flat.reshape(shape);
            }
            case "Add": return Promote(In(node, 0), In(node, 1), (a, b) => a.Plus(b));
            case "Sub": return Promote(In(node, 0), In(node, 1), (a, b) => a.sub(b));
            case "Mul": return Promote(In(node, 0), In(node, 1), (a, b) => a.mul(b));
            case "Div":
                return In(node, 0).is_floating_point() || In(node, 1).is_floating_point()
                    ? Promote(In(node, 0), In(node, 1), (a, b) => a.div(b))
                    : In(node, 0).div(In(node, 1), RoundingMode.trunc);
            case "Sqrt": return In(node, 0).to(ScalarType.Float32).sqrt();
            case "Neg": return In(node, 0).neg();
            default:
                return null;
        }
    }

    private Tensor ConstantValue(OnnxNode node)
    {
        if (node.Tensor("value") is { } t)
            return OnnxTensors.ToTensor(t, _source);
        if (node.Has("value_float"))
            return tensor(node.Float("value_float", 0));
        if (node.Floats("value_floats") is { } fs)
            return tensor(fs);
        if (node.Has("value_int"))
            return tensor(node.Int("value_int", 0));
        if (node.Ints("value_ints") is { } ls)
            return tensor(ls);
        throw new RistrettoException("has no value attribute this version reads (value, value_float(s), value_int(s))");
    }

    private Tensor ShapeOf(OnnxNode node, long[] shape)
    {
        int rank = shape.Length;
        long start = node.Int("start", 0), end = node.Int("end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        return tensor(shape.Skip((int)start).Take((int)Math.Max(0, end - start)).ToArray());
    }

    private static Tensor Promote(Tensor a, Tensor b, Func<Tensor, Tensor, Tensor> op)
    {
        if (a.is_floating_point() == b.is_floating_point())
            return op(a, b);
        return op(a.to(ScalarType.Float32), b.to(ScalarType.Float32));
    }

    /// <summary>Normalises a possibly negative axis for a tensor of rank <paramref name="rank"/>.</summary>
    private static int Axis(long axis, long rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        Require(a >= 0 && a < Math.Max(rank, 1), $"axis {axis} is outside rank {rank}");
        return (int)a;
    }

    /// <summary>ONNX Reshape's target with 0 (copy, unless allowzero) and −1 (infer) resolved.</summary>
    private static long[] ReshapeTarget(long[] input, long[] target, bool allowZero)
    {
        var y = target.Select((d, i) => d == 0 && !allowZero ? (i < input.Length ? input[i] : throw new RistrettoException($"shape copies dimension {i} of an input of rank {input.Length}")) : d).ToArray();
        long total = input.Aggregate(1L, (a, d) => a * d);
        int free = Array.IndexOf(y, -1L);
        if (free >= 0)
        {
            long known = y.Where(d => d != -1).Aggregate(1L, (a, d) => a * d);
            Require(known > 0 && total % known == 0, $"[{string.Join("×", input)}] cannot be reshaped to [{string.Join(", ", target)}]");
            y[free] = total / known;
        }
        Require(y.Aggregate(1L, (a, d) => a * d) == total && y.All(d => d >= 0), $"[{string.Join("×", input)}] cannot be reshaped to [{string.Join(", ", target)}]");
        return y;
    }

    private static long[] UnsqueezeShape(long[] shape, long[] axes)
    {
        int rank = shape.Length + axes.Length;
        var set = axes.Select(a => Axis(a, rank)).ToHashSet();
        var y = new long[rank];
        int k = 0;
        for (int i = 0; i < rank; i++)
            y[i] = set.Contains(i) ? 1 : shape[k++];
        return y;
    }

    private static long[] SqueezeShape(long[] shape, long[]? axes)
    {
        if (axes is null)
            return shape.Where(d => d != 1).ToArray();
        var set = axes.Select(a => Axis(a, shape.Length)).ToHashSet();
        foreach (int a in set)
            Require(shape[a] == 1, $"cannot squeeze axis {a} of size {shape[a]}");
        return shape.Where((d, i) => !set.Contains(i)).ToArray();
    }
}

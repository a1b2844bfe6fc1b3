using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>Maps each supported operator to its converter.</summary>
internal sealed partial class OnnxConverter
{
    private bool Dispatch(OnnxNode node)
    {
        switch (node.Op)
        {
            case "Conv": ConvertConv(node); break;
            case "ConvTranspose": ConvertConvTranspose(node); break;
            case "MaxPool": ConvertPool(node, PoolingLayer.Method.Max); break;
            case "AveragePool": ConvertPool(node, PoolingLayer.Method.Average); break;
            case "GlobalMaxPool": ConvertGlobalPool(node, PoolingLayer.Method.Max); break;
            case "GlobalAveragePool": ConvertGlobalPool(node, PoolingLayer.Method.Average); break;
            case "Gemm": ConvertGemm(node); break;
            case "MatMul": ConvertMatMul(node); break;
            case "BatchNormalization": ConvertBatchNorm(node); break;
            case "Add" or "Sub" or "Mul" or "Div" or "Sum" or "Max": ConvertElementwise(node); break;
            case "Relu": Unary(node, name => new ReLULayer(name)); break;
            case "LeakyRelu": Unary(node, name => new ReLULayer(name, node.Float("alpha", 0.01f))); break;
            case "Sigmoid": Unary(node, name => new SigmoidLayer(name)); break;
            case "Tanh": Unary(node, name => new TanhLayer(name)); break;
            case "Elu": Unary(node, name => new EluLayer(name, node.Float("alpha", 1f))); break;
            case "Selu": Unary(node, name => new EluLayer(name, node.Float("alpha", 1.67326319217681884765625f), node.Float("gamma", 1.05070102214813232421875f))); break;
            case "PRelu": ConvertPRelu(node); break;
            case "Clip": ConvertClip(node); break;
            case "Pow": ConvertPow(node); break;
            case "LRN":
                Unary(node, name => new LrnLayer(name, (int)node.Int("size", 0), node.Float("alpha", 1e-4f), node.Float("beta", 0.75f), node.Float("bias", 1f)));
                break;
            case "Softmax": ConvertSoftmax(node, log: false); break;
            case "LogSoftmax": ConvertSoftmax(node, log: true); break;
            case "Dropout": ConvertDropout(node); break;
            case "Identity": _alias[node.Output()] = Runtime(node.Input(0)).Blob; break;
            case "Concat": ConvertConcat(node); break;
            case "Split": ConvertSplit(node); break;
            case "Flatten": ConvertFlatten(node); break;
            case "Reshape": ConvertReshape(node); break;
            case "Transpose": ConvertTranspose(node); break;
            case "Squeeze" or "Unsqueeze": ConvertSqueeze(node); break;
            case "Pad": ConvertPad(node); break;
            case "DepthToSpace": ConvertDepthToSpace(node); break;
            case "Shape":
            {
                using var scope = NewDisposeScope();
                Keep(node.Output(), ShapeOf(node, Runtime(node.Input(0)).Shape).MoveToOuterDisposeScope());
                break;
            }
            default:
                return false;
        }
        return true;
    }

    /// <summary>A one-input layer on input 0. Extra outputs (a mask, statistics) are not produced: a node reading one fails.</summary>
    private void Unary(OnnxNode node, Func<string, Graph.Layer> make)
    {
        var (blob, _) = Runtime(node.Input(0));
        Chain(make(LayerName(node)), blob, node.Output());
    }
}

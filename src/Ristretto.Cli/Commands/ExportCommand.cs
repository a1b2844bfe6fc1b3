using System.CommandLine;
using System.Globalization;
using Ristretto.Cli.Infrastructure;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.RistrettoLayers;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Jobs;
using Ristretto.Layers;
using Ristretto.Quantization;
using Ristretto.Transforms;
using Ristretto.Zoo;
using TorchSharp;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto export --model PATH|zoo-name [--weights W] [--fold-bn] [--plan P.json] (--onnx OUT [--qformat qdq|qop|qonnx] | --prototxt OUT --caffemodel OUT)</c>:
/// writes a network as an ONNX model (float, or quantized under a plan) or as a Caffe deploy prototxt and caffemodel,
/// optionally with batch norm folded into the layers before it. Every file is written atomically, after the whole network has been
/// translated, so a failure leaves no file behind.
/// </summary>
public static class ExportCommand
{
    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = $"A .rstm, .onnx or Caffe .prototxt file, 'lenet' (the embedded default, trained on MNIST), or another zoo name " +
                $"({string.Join(", ", ModelZoo.Names.Where(n => n != LeNet.ArchitectureName))}; freshly initialised, seed 1).",
            Required = true,
        };
        var weights = CommonOptions.Weights();
        var fold = new Option<bool>("--fold-bn") { Description = "Fold batch norm (and a Caffe Scale after it) into the convolution or inner product before it." };
        var onnx = new Option<string?>("--onnx") { Description = "Write an ONNX model (opset 13) to this file." };
        var prototxt = new Option<string?>("--prototxt") { Description = "Write a Caffe deploy prototxt to this file (with --caffemodel)." };
        var caffemodel = new Option<string?>("--caffemodel") { Description = "Write the Caffe weights to this file (with --prototxt)." };
        var plan = new Option<string?>("--plan") { Description = "Apply a JSON quantization plan (from quantize --plan): with --onnx a quantized model (--qformat), with --prototxt a Ristretto prototxt." };
        var qformat = new Option<string?>("--qformat")
        {
            Description = "Quantized ONNX form: qdq (QuantizeLinear/DequantizeLinear, the default with --plan), qop (QLinearConv, MatMulInteger; 8-bit) " +
                "or qonnx (QONNX Quant/BipolarQuant, any width 2-24). Without --plan, the plan the model carries. See docs/deploy.md.",
        };
        var command = new Command("export", "Write a network as ONNX (float or quantized), or as a Caffe prototxt and caffemodel.")
        {
            model, weights, fold, onnx, prototxt, caffemodel, plan, qformat,
        };
        command.SetAction(r => CommandRunner.Run(_ =>
        {
            var result = Exporter.Run(new ExportSettings(r.GetValue(model)!, r.GetValue(weights), r.GetValue(fold), r.GetValue(onnx),
                r.GetValue(prototxt), r.GetValue(caffemodel), r.GetValue(plan), r.GetValue(qformat)), ProgressDisplay.Observer);
            string quantized = result.QFormat is { } q ? $", {result.QuantizedLayers} quantized layer(s) as {q}" : "";
            Console.WriteLine($"wrote {string.Join(" and ", result.Files)} ({result.Description}{quantized})");
            return 0;
        }));
        return command;
    }
}

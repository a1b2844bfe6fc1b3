using Ristretto.Jobs;
using Ristretto.Transforms;
using System.CommandLine;
using System.Globalization;
using Ristretto.Cli.Infrastructure;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Interchange.Caffe.RistrettoLayers;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Quantization;
using Ristretto.Zoo;
using TorchSharp;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto export --model PATH|zoo-name [--weights W] [--fold-bn] (--onnx OUT | --prototxt OUT --caffemodel OUT)</c>:
/// writes a float network as an ONNX model or as a Caffe deploy prototxt and caffemodel, optionally with batch
/// norm folded into the layers before it. Every file is written atomically, after the whole network has been
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
        var command = new Command("export", "Write a network as ONNX, or as a Caffe prototxt and caffemodel.") { model, weights, fold, onnx, prototxt, caffemodel };
        command.SetAction(r => CommandRunner.Run(_ =>
            Execute(r.GetValue(model)!, r.GetValue(weights), r.GetValue(fold), r.GetValue(onnx), r.GetValue(prototxt), r.GetValue(caffemodel))));
        return command;
    }

    private static int Execute(string spec, string? weights, bool foldBatchNorm, string? onnx, string? prototxt, string? caffemodel)
    {
        if ((onnx is null) == (prototxt is null && caffemodel is null))
            throw new RistrettoException("give either --onnx OUT or --prototxt OUT with --caffemodel OUT");
        if (onnx is null && (prototxt is null || caffemodel is null))
            throw new RistrettoException($"--{(prototxt is null ? "caffemodel" : "prototxt")} needs --{(prototxt is null ? "prototxt" : "caffemodel")} too");
        if (prototxt is not null && Path.GetFullPath(prototxt) == Path.GetFullPath(caffemodel!))
            throw new RistrettoException("--prototxt and --caffemodel name the same file");

        var loaded = Load(spec, weights, applyQuantization: true);
        int quantized = loaded.Nodes.Count(n => n.Layer is IQuantizedLayer);
        if (onnx is not null && quantized > 0)
        {
            // ONNX has no Ristretto layers: write the float weights, as a float model.
            loaded.Dispose();
            loaded = Load(spec, weights, applyQuantization: false);
            Log.Info($"{spec}: {quantized} Ristretto-quantized layer(s) are written to ONNX as float layers (their formats are not kept)");
        }
        using var owned = loaded;
        using var folded = foldBatchNorm ? BatchNormFolding.Fold(loaded) : null;
        var network = folded ?? loaded;
        int batchNorms = BatchNorms(loaded) - BatchNorms(network);
        if (onnx is not null)
        {
            // The model's remembered preprocessing travels into the ONNX file's metadata_props.
            var remembered = File.Exists(spec) ? ModelLoader.RememberedPreprocessing(spec) : null;
            OnnxExporter.Save(network, onnx, Models.ModelPreprocessing.OnnxMetadata(remembered));
        }
        else
            CaffeExport.Save(network, null, prototxt!, caffemodel);

        long parameters = network.parameters().Sum(p => p.numel());
        string what = string.Create(CultureInfo.InvariantCulture, $"{network.Name}: {network.Nodes.Count} layers, {parameters:N0} parameters") +
            (foldBatchNorm ? $", {batchNorms} batch norm(s) folded" : "");
        Console.WriteLine(onnx is not null ? $"wrote {onnx} ({what})" : $"wrote {prototxt} and {caffemodel} ({what})");
        return 0;
    }

    /// <summary>The network behind --model on the CPU: 'lenet' and files as the other verbs read them, other zoo names fresh.</summary>
    private static Network Load(string spec, string? weights, bool applyQuantization)
    {
        var loaded = ModelLoader.LoadOrBuild(spec, weights, applyQuantization, ProgressDisplay.Observer);
        if (loaded.Model is Network network)
            return network;
        loaded.Dispose();
        throw new RistrettoException($"{spec} is not a graph network");
    }

    private static int BatchNorms(Network network) => network.Nodes.Count(n => n.Layer is BatchNormLayer);
}

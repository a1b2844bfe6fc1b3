using System.Globalization;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Layers;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Transforms;

namespace Ristretto.Jobs;

/// <summary>
/// Everything <see cref="Exporter"/> needs, named after the <c>export</c> verb's options: the model (a file, lenet, or a
/// zoo name built fresh) and either an ONNX file or a Caffe prototxt and caffemodel.
/// </summary>
public sealed record ExportSettings(string Model, string? Weights = null, bool FoldBatchNorm = false, string? Onnx = null,
    string? Prototxt = null, string? CaffeModel = null);

/// <summary>What <see cref="Exporter.Run"/> wrote: the files and a one-line description of the network.</summary>
public sealed record ExportResult(IReadOnlyList<string> Files, string Description, int FoldedBatchNorms, int QuantizedLayersWrittenAsFloat);

/// <summary>The <c>export</c> job as a library call: a network written as ONNX, or as a Caffe prototxt and caffemodel, atomically.</summary>
public static class Exporter
{
    /// <summary>Runs the job; <paramref name="observer"/> hears what is written as float.</summary>
    public static ExportResult Run(ExportSettings settings, IJobObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        observer ??= JobObserver.Silent;
        var (spec, weights, foldBatchNorm, onnx, prototxt, caffemodel) = settings;
        if ((onnx is null) == (prototxt is null && caffemodel is null))
            throw new RistrettoException("give either --onnx OUT or --prototxt OUT with --caffemodel OUT");
        if (onnx is null && (prototxt is null || caffemodel is null))
            throw new RistrettoException($"--{(prototxt is null ? "caffemodel" : "prototxt")} needs --{(prototxt is null ? "prototxt" : "caffemodel")} too");
        if (prototxt is not null && Path.GetFullPath(prototxt) == Path.GetFullPath(caffemodel!))
            throw new RistrettoException("--prototxt and --caffemodel name the same file");

        var loaded = Load(spec, weights, applyQuantization: true, observer);
        int quantized = loaded.Nodes.Count(n => n.Layer is IQuantizedLayer);
        if (onnx is not null && quantized > 0)
        {
            // ONNX has no Ristretto layers: write the float weights, as a float model.
            loaded.Dispose();
            loaded = Load(spec, weights, applyQuantization: false, observer);
            observer.Info($"{spec}: {quantized} Ristretto-quantized layer(s) are written to ONNX as float layers (their formats are not kept)");
        }
        using var owned = loaded;
        using var folded = foldBatchNorm ? BatchNormFolding.Fold(loaded) : null;
        var network = folded ?? loaded;
        int batchNorms = BatchNorms(loaded) - BatchNorms(network);
        if (onnx is not null)
        {
            // The model's remembered preprocessing travels into the ONNX file's metadata_props.
            var remembered = File.Exists(spec) ? ModelLoader.RememberedPreprocessing(spec) : null;
            OnnxExporter.Save(network, onnx, ModelPreprocessing.OnnxMetadata(remembered));
        }
        else
            CaffeExport.Save(network, null, prototxt!, caffemodel);

        long parameters = network.parameters().Sum(p => p.numel());
        string what = string.Create(CultureInfo.InvariantCulture, $"{network.Name}: {network.Nodes.Count} layers, {parameters:N0} parameters") +
            (foldBatchNorm ? $", {batchNorms} batch norm(s) folded" : "");
        var files = onnx is not null ? new[] { onnx } : new[] { prototxt!, caffemodel! };
        return new ExportResult(files, what, batchNorms, onnx is not null ? quantized : 0);
    }

    /// <summary>The network behind --model on the CPU: 'lenet' and files as the other verbs read them, other zoo names fresh.</summary>
    private static Network Load(string spec, string? weights, bool applyQuantization, IJobObserver observer)
    {
        var loaded = ModelLoader.LoadOrBuild(spec, weights, applyQuantization, observer);
        if (loaded.Model is Network network)
            return network;
        loaded.Dispose();
        throw new RistrettoException($"{spec} is not a graph network");
    }

    private static int BatchNorms(Network network) => network.Nodes.Count(n => n.Layer is BatchNormLayer);
}

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
/// zoo name built fresh) and either an ONNX file or a Caffe prototxt and caffemodel; optionally a plan (a JSON plan file)
/// and the quantized ONNX form (qdq, qop, qonnx; default qdq when a plan is given).
/// </summary>
public sealed record ExportSettings(string Model, string? Weights = null, bool FoldBatchNorm = false, string? Onnx = null,
    string? Prototxt = null, string? CaffeModel = null, string? Plan = null, string? QFormat = null);

/// <summary>
/// What <see cref="Exporter.Run"/> wrote: the files, a one-line description of the network, and for a quantized ONNX
/// export its form (qdq, qop, qonnx; null for a float model) and the number of quantized layers written.
/// </summary>
public sealed record ExportResult(IReadOnlyList<string> Files, string Description, int FoldedBatchNorms, int QuantizedLayersWrittenAsFloat,
    string? QFormat = null, int QuantizedLayers = 0);

/// <summary>The <c>export</c> job as a library call: a network written as ONNX, or as a Caffe prototxt and caffemodel, atomically.</summary>
public static class Exporter
{
    /// <summary>Runs the job; <paramref name="observer"/> hears what is written as float.</summary>
    public static ExportResult Run(ExportSettings settings, IJobObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        observer ??= JobObserver.Silent;
        var (spec, weights, foldBatchNorm, onnx, prototxt, caffemodel, planPath, qformat) = settings;
        if ((onnx is null) == (prototxt is null && caffemodel is null))
            throw new RistrettoException("give either --onnx OUT or --prototxt OUT with --caffemodel OUT");
        if (onnx is null && (prototxt is null || caffemodel is null))
            throw new RistrettoException($"--{(prototxt is null ? "caffemodel" : "prototxt")} needs --{(prototxt is null ? "prototxt" : "caffemodel")} too");
        if (prototxt is not null && Path.GetFullPath(prototxt) == Path.GetFullPath(caffemodel!))
            throw new RistrettoException("--prototxt and --caffemodel name the same file");

        if (qformat is not null && onnx is null)
            throw new RistrettoException("--qformat goes with --onnx");
        var form = qformat is null ? (QuantizedOnnxForm?)null : QuantizedOnnxExporter.Parse(qformat);
        var plan = planPath is null ? null : PlanFile.Load(planPath);
        if (plan is not null && onnx is not null)
            form ??= QuantizedOnnxForm.Qdq;

        var loaded = Load(spec, weights, applyQuantization: plan is null, observer);
        int quantized = loaded.Nodes.Count(n => n.Layer is IQuantizedLayer);
        if (form is not null && plan is null)
        {
            // --qformat without --plan exports the plan the model carries (a Ristretto prototxt, a quantized ONNX model).
            plan = QuantizationPlan.CarriedBy(loaded);
            if (plan.Layers.Count == 0)
                throw new RistrettoException($"{spec} carries no quantization; give --plan to export a quantized ONNX model");
        }
        if (onnx is not null && quantized > 0 && form is null)
        {
            // ONNX has no Ristretto layers: write the float weights, as a float model.
            loaded.Dispose();
            loaded = Load(spec, weights, applyQuantization: false, observer);
            observer.Info($"{spec}: {quantized} Ristretto-quantized layer(s) are written to ONNX as float layers (their formats are not kept; --qformat writes them quantized)");
        }
        using var owned = loaded;
        using var folded = foldBatchNorm ? BatchNormFolding.Fold(loaded) : null;
        var network = folded ?? loaded;
        int batchNorms = BatchNorms(loaded) - BatchNorms(network);
        if (onnx is not null)
        {
            // The model's remembered preprocessing travels into the ONNX file's metadata_props.
            var remembered = File.Exists(spec) ? ModelLoader.RememberedPreprocessing(spec) : null;
            var metadata = ModelPreprocessing.OnnxMetadata(remembered);
            if (form is { } f)
                QuantizedOnnxExporter.Save(network, plan!, f, onnx, metadata);
            else
                OnnxExporter.Save(network, onnx, metadata);
        }
        else
            CaffeExport.Save(network, plan, prototxt!, caffemodel);

        long parameters = network.parameters().Sum(p => p.numel());
        string what = string.Create(CultureInfo.InvariantCulture, $"{network.Name}: {network.Nodes.Count} layers, {parameters:N0} parameters") +
            (foldBatchNorm ? $", {batchNorms} batch norm(s) folded" : "");
        var files = onnx is not null ? new[] { onnx } : new[] { prototxt!, caffemodel! };
        int written = form is null ? 0 : plan!.Layers.Count(l => !l.Value.IsFloat);
        return new ExportResult(files, what, batchNorms, onnx is not null && form is null ? quantized : 0,
            form is { } writtenForm ? QuantizedOnnxExporter.Name(writtenForm) : null, written);
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

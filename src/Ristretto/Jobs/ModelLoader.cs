using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Jobs;

/// <summary>
/// Opens any model the tools read: a model file (.rstm), an ONNX file, a Caffe prototxt (TEST phase; weights from a
/// caffemodel when given, else the xavier filler), <c>lenet</c> (or nothing) for the embedded default — the zoo LeNet
/// trained on MNIST, trained once and cached — and, where a job asks for it, another zoo name freshly initialised.
/// </summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads <paramref name="spec"/> onto <paramref name="device"/>. <paramref name="applyQuantization"/>: whether a
    /// Ristretto prototxt's quantized layers apply their formats (false loads the float network, to quantize anew;
    /// its formats then come back as <see cref="LoadedModel.CarriedPlan"/>).
    /// </summary>
    public static LoadedModel Load(string? spec, Device device, string? weights = null, bool applyQuantization = true, IJobObserver? observer = null)
    {
        string path = ResolvePath(spec, device, observer);
        if (path.EndsWith(".prototxt", StringComparison.OrdinalIgnoreCase))
        {
            QuantizationPlan? carried = null;
            if (!applyQuantization)
            {
                using var quantized = CaffeImport.Load(path, weights, applyQuantization: true);
                var plan = QuantizationPlan.CarriedBy(quantized);
                carried = plan.Layers.Count > 0 ? plan : null;
            }
            var network = CaffeImport.Load(path, weights, applyQuantization: applyQuantization);
            network.to(device);
            return new LoadedModel(network, path, null, OutputClasses(network), carried);
        }
        if (weights != null)
            throw new RistrettoException("--weights goes with a Caffe prototxt --model");
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            // A quantized ONNX model (QDQ, QONNX) carries a plan, as a Ristretto prototxt does.
            var network = OnnxImporter.Load(path);
            QuantizationPlan? carried = null;
            if (!applyQuantization)
            {
                var plan = QuantizationPlan.CarriedBy(network);
                if (plan.Layers.Count > 0)
                {
                    network.Dispose();
                    network = OnnxImporter.Load(path, applyQuantization: false);
                    carried = plan;
                }
            }
            network.to(device);
            return new LoadedModel(network, path, null, OutputClasses(network), carried);
        }
        var (model, data) = ModelStore.Load(path, device);
        return new LoadedModel(model, path, data.Architecture, data.Classes, null);
    }

    /// <summary>
    /// <see cref="Load"/> on the CPU, except that a name of the zoo other than <c>lenet</c> that is not a file builds
    /// that network freshly initialised (seed 1); the model comes back in inference mode.
    /// </summary>
    public static LoadedModel LoadOrBuild(string spec, string? weights = null, bool applyQuantization = true, IJobObserver? observer = null)
    {
        bool zoo = !File.Exists(spec) && !spec.Equals(LeNet.ArchitectureName, StringComparison.OrdinalIgnoreCase)
            && (ModelZoo.Contains(spec) || !(spec.Contains('/', StringComparison.Ordinal) || spec.Contains('.', StringComparison.Ordinal)));
        if (zoo)
        {
            if (weights is not null)
                throw new RistrettoException("--weights goes with a Caffe prototxt --model");
            var built = ModelZoo.Create(spec);
            return new LoadedModel(built, spec, spec, OutputClasses(built), null);
        }
        var loaded = Load(spec, CPU, weights, applyQuantization, observer);
        loaded.Model.eval();
        return loaded;
    }

    /// <summary>
    /// The preprocessing <paramref name="path"/> remembers: a .rstm's metadata or an exported ONNX model's metadata_props
    /// (written by train, finetune and export), a Caffe prototxt's TEST data layer; else null (the data's default applies).
    /// </summary>
    public static Preprocessing? RememberedPreprocessing(string path) =>
        path.EndsWith(".rstm", StringComparison.OrdinalIgnoreCase) ? ModelPreprocessing.Read(ModelFile.Load(path).Metadata, path)
        : path.EndsWith(".prototxt", StringComparison.OrdinalIgnoreCase) ? CaffeDataLayer.Read(path)?.Preprocessing
        : path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? ModelPreprocessing.FromOnnx(OnnxExporter.Metadata(path), path)
        : null;

    /// <summary>
    /// <paramref name="settings"/> with a Caffe prototxt's TEST data layer as the data when no data was given and the
    /// layer's source exists; says through <paramref name="observer"/> which data is used either way.
    /// </summary>
    public static DataSettings WithModelData(DataSettings settings, string path, bool dataGiven, IJobObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (dataGiven || !path.EndsWith(".prototxt", StringComparison.OrdinalIgnoreCase))
            return settings;
        var layer = CaffeDataLayer.Read(path);
        if (layer == null)
            return settings;
        observer ??= JobObserver.Silent;
        if (!File.Exists(layer.Source) && !Directory.Exists(layer.Source))
        {
            observer.Info($"data: {path}'s {layer.Type} layer '{layer.Layer}' reads {layer.Source}, which does not exist; using --data {settings.Data}");
            return settings;
        }
        observer.Info($"data: {layer.Source}, from {path}'s {layer.Type} layer '{layer.Layer}' (--data to change)");
        return settings with { Data = layer.Source, Open = settings.Open with { Root = settings.Open.Root ?? layer.Root } };
    }

    /// <summary>The model file behind <paramref name="spec"/>, training the default first if needed (a few minutes, once).</summary>
    public static string ResolvePath(string? spec, Device device, IJobObserver? observer = null)
    {
        if (string.IsNullOrWhiteSpace(spec) || (spec.Equals(LeNet.ArchitectureName, StringComparison.OrdinalIgnoreCase) && !File.Exists(spec)))
        {
            if (File.Exists(DefaultModels.LeNetMnistPath))
                return DefaultModels.LeNetMnistPath;
            observer ??= JobObserver.Silent;
            return observer.Stage("training default LeNet", 10_000, report =>
                DefaultModels.EnsureLeNetMnist(device, observer.Info, new TrainingProgress(report)));
        }
        return spec;
    }

    private static int OutputClasses(Network network)
    {
        var shape = network.Validate()[network.Outputs[0]];
        return shape.Length >= 2 ? (int)shape[1] : 0;
    }
}

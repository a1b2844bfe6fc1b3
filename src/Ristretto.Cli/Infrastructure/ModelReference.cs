using Ristretto.Import;
using Ristretto.Import.Onnx;
using TorchSharp;
using Ristretto.Models;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Cli.Infrastructure;

/// <summary>
/// Resolves <c>--model</c>: a model file (.rstm), an ONNX file, a Caffe prototxt (TEST phase; weights from
/// <c>--weights</c> when given, else the xavier filler), or <c>lenet</c> for the embedded default (the zoo
/// LeNet trained on MNIST, trained once and cached).
/// </summary>
public static class ModelReference
{
    /// <summary>Loads the model named by <paramref name="spec"/> onto <paramref name="device"/>.</summary>
    /// <param name="spec">The --model value.</param>
    /// <param name="device">Where the model goes.</param>
    /// <param name="weights">A caffemodel for a prototxt.</param>
    /// <param name="applyQuantization">Whether a Ristretto prototxt's quantized layers apply their formats (false to quantize anew).</param>
    public static (nn.Module<Tensor, Tensor> Model, string Path) Load(string? spec, Device device, string? weights = null, bool applyQuantization = true)
    {
        string path = ResolvePath(spec, device);
        if (path.EndsWith(".prototxt", StringComparison.OrdinalIgnoreCase))
        {
            var network = CaffeImport.Load(path, weights, applyQuantization: applyQuantization);
            network.to(device);
            return (network, path);
        }
        if (weights != null)
            throw new RistrettoException("--weights goes with a Caffe prototxt --model");
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var network = OnnxImporter.Load(path);
            network.to(device);
            return (network, path);
        }
        var (model, _) = ModelStore.Load(path, device);
        return (model, path);
    }

    /// <summary>The input shape (N, C, H, W) a loaded model takes; one error line for a model that is not a graph network.</summary>
    public static long[] InputShape(nn.Module<Tensor, Tensor> model, string path) =>
        model is Graph.Network network ? network.Inputs[0].Shape
            : throw new RistrettoException($"{path}: only graph networks read image data");

    /// <summary>
    /// The preprocessing <paramref name="path"/> remembers: a .rstm's metadata or an exported ONNX model's metadata_props
    /// (written by train, finetune and export), a Caffe prototxt's TEST data layer; else null (the data's default applies).
    /// </summary>
    public static Data.Images.Preprocessing? RememberedPreprocessing(string path) =>
        path.EndsWith(".rstm", StringComparison.OrdinalIgnoreCase) ? ModelPreprocessing.Read(ModelFile.Load(path).Metadata, path)
        : path.EndsWith(".prototxt", StringComparison.OrdinalIgnoreCase) ? Import.Caffe.CaffeDataLayer.Read(path)?.Preprocessing
        : path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? ModelPreprocessing.FromOnnx(Onnx.OnnxExporter.Metadata(path), path)
        : null;

    /// <summary>
    /// <paramref name="settings"/> with a Caffe prototxt's TEST data layer as the data when --data was not given and the
    /// layer's source exists; says on stderr which data is used either way.
    /// </summary>
    public static Data.DataSettings WithModelData(Data.DataSettings settings, string path, bool dataGiven)
    {
        if (dataGiven || !path.EndsWith(".prototxt", StringComparison.OrdinalIgnoreCase))
            return settings;
        var layer = Import.Caffe.CaffeDataLayer.Read(path);
        if (layer == null)
            return settings;
        if (!File.Exists(layer.Source) && !Directory.Exists(layer.Source))
        {
            Log.Info($"data: {path}'s {layer.Type} layer '{layer.Layer}' reads {layer.Source}, which does not exist; using --data {settings.Data}");
            return settings;
        }
        Log.Info($"data: {layer.Source}, from {path}'s {layer.Type} layer '{layer.Layer}' (--data to change)");
        return settings with { Data = layer.Source, Open = settings.Open with { Root = settings.Open.Root ?? layer.Root } };
    }

    /// <summary>The model file behind <paramref name="spec"/>, training the default first if needed.</summary>
    public static string ResolvePath(string? spec, Device device)
    {
        if (string.IsNullOrWhiteSpace(spec) || (spec.Equals(LeNet.ArchitectureName, StringComparison.OrdinalIgnoreCase) && !File.Exists(spec)))
        {
            if (File.Exists(DefaultModels.LeNetMnistPath))
                return DefaultModels.LeNetMnistPath;
            return ProgressDisplay.Run("training default LeNet", 10_000, report =>
                DefaultModels.EnsureLeNetMnist(device, Log.Info, ProgressDisplay.ForTraining(report)));
        }
        return spec;
    }
}

using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ristretto.Data.Images;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Tests.Data;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// ML.NET's ResNet18 featurizer run twice on scikit-image's photographs, once for the test class: imported by
/// <see cref="OnnxImporter"/> (ResNetPreprocess then ResNet18, all photographs as one batch) and by ONNX Runtime (one
/// image at a time, as the models declare batch 1). Each photograph is resized to 224×224 (OpenCV bilinear) and given as
/// RGB floats 0 to 255, what the preprocessing model takes. Empty when the models or photographs are missing.
/// </summary>
public sealed class ResNet18FeaturizerFixture
{
    public const int Side = 224, Features = 512;

    public ResNet18FeaturizerFixture()
    {
        if (DnnImageModels.Missing != null || ReferencePhotos.Missing != null)
            return;
        Names = ReferencePhotos.Paths.Select(Path.GetFileName).ToArray()!;
        var pixels = ReferencePhotos.Paths.Select(RgbPixels).ToArray();

        var clock = Stopwatch.StartNew();
        using (var prep = OnnxImporter.Load(DnnImageModels.Preprocess))
        using (var resnet = OnnxImporter.Load(DnnImageModels.ResNet18))
        {
            ImportSeconds = clock.Elapsed.TotalSeconds;
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var batch = tensor(pixels.SelectMany(p => p).ToArray(), [pixels.Length, 3, Side, Side]);
            clock.Restart();
            var features = resnet.forward(prep.forward(batch));
            BatchSeconds = clock.Elapsed.TotalSeconds;
            Assert.Equal([pixels.Length, Features, 1, 1], features.shape);
            var flat = features.reshape(pixels.Length, Features).contiguous().data<float>().ToArray();
            Ours = Enumerable.Range(0, pixels.Length).Select(i => flat.AsSpan(i * Features, Features).ToArray()).ToArray();
        }

        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var ortPrep = new InferenceSession(DnnImageModels.Preprocess, options);
        using var ortResNet = new InferenceSession(DnnImageModels.ResNet18, options);
        Ort = pixels.Select(p => RunOrt(ortResNet, RunOrt(ortPrep, p))).ToArray();
    }

    /// <summary>The photographs' file names.</summary>
    public string[] Names { get; } = [];

    /// <summary>Our 512 features per photograph.</summary>
    public float[][] Ours { get; } = [];

    /// <summary>ONNX Runtime's 512 features per photograph.</summary>
    public float[][] Ort { get; } = [];

    /// <summary>Seconds to import both models.</summary>
    public double ImportSeconds { get; }

    /// <summary>Seconds for our forward pass over the batch of all photographs.</summary>
    public double BatchSeconds { get; }

    /// <summary>A photograph resized to 224×224 as planar RGB floats 0 to 255 (ResNetPreprocess's input).</summary>
    public static float[] RgbPixels(string path)
    {
        var image = ImageCodec.Decode(File.ReadAllBytes(path), 3, Path.GetFileName(path));
        var rgb = new Preprocessing { Preset = "custom", ResizeTo = [Side, Side], Order = ChannelOrder.Rgb };
        var output = new float[3 * Side * Side];
        rgb.Apply(image, output, Side, Side, Path.GetFileName(path));
        return output;
    }

    /// <summary>Runs a one-input, one-output session on a batch of one 3×224×224 image or its 512 features.</summary>
    public static float[] RunOrt(InferenceSession session, float[] data)
    {
        var input = session.InputMetadata.Single();
        var tensor = new DenseTensor<float>(data, input.Value.Dimensions);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.Key, tensor)]);
        return results.Single().AsTensor<float>().ToArray();
    }

    /// <summary>Whether <paramref name="net"/> is the network it should be: one input of 1×3×224×224.</summary>
    public static bool TakesOneImage(Network net) => net.Inputs.Count == 1 && net.Inputs[0].Shape.SequenceEqual([1L, 3, Side, Side]);
}

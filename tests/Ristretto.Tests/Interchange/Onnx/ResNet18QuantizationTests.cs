using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Data;
using Ristretto.Tests.Support;
using Ristretto.Transforms;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// The ImageNet ResNet-18 featurizer quantized without labels: calibrated on crops and flips of five real photographs,
/// measured on four others by output SQNR against float. An 8-bit integer plan with per-channel weight scales keeps ≥ 25 dB.
/// </summary>
public sealed class ResNet18QuantizationTests(ITestOutputHelper output)
{
    private static readonly (int L, int T, int R, int B)[] Boxes = [(0, 0, 3, 3), (1, 1, 4, 4), (1, 1, 7, 7), (0, 1, 3, 4)];

    [DnnImageModelsFact(photographs: true)]
    public void Should_Keep_25_dB_At_8_Bits_Integer_Per_Channel_On_Held_Out_Photographs()
    {
        using var dir = new TempDir();
        string eval = Path.Combine(dir.Path, "eval"), cal = Path.Combine(dir.Path, "cal");
        Directory.CreateDirectory(eval);
        Directory.CreateDirectory(cal);
        var photos = ReferencePhotos.Paths;
        int k = 0;
        for (int i = 0; i < photos.Count; i++)
        {
            if (i % 2 == 1)
            {
                File.Copy(photos[i], Path.Combine(eval, Path.GetFileName(photos[i])));
                continue;
            }
            var image = ImageCodec.Decode(File.ReadAllBytes(photos[i]), 3, photos[i]);
            foreach (bool mirror in new[] { false, true })
                foreach (var (l, t, r, b) in Boxes)
                {
                    // Boxes in quarters (eighths for the third), as tests/long/resnet18-featurizer.sh cuts them.
                    int d = r == 7 ? 8 : 4;
                    int x0 = image.Width * l / d, y0 = image.Height * t / d, x1 = image.Width * r / d, y1 = image.Height * b / d;
                    var crop = new byte[(y1 - y0) * (x1 - x0) * 3];
                    for (int y = y0; y < y1; y++)
                        for (int x = x0; x < x1; x++)
                            for (int c = 0; c < 3; c++)
                                crop[((y - y0) * (x1 - x0) + (mirror ? x1 - 1 - x : x - x0)) * 3 + c] = image.Pixels[(y * image.Width + x) * 3 + c];
                    File.WriteAllBytes(Path.Combine(cal, $"{k++:D3}.png"), ImageCodec.Encode(new DecodedImage(crop, y1 - y0, x1 - x0, 3, image.Order), ".png"));
                }
        }
        using var imported = OnnxImporter.Load(DnnImageModels.ResNet18);
        using var network = BatchNormFolding.Fold(imported);
        var preprocessing = Preprocessing.None with { ResizeTo = [224, 224], Order = ChannelOrder.Bgr, Mean = [103.06f, 115.90f, 123.15f] };
        using var job = JobData.Open(new DataSettings { Data = eval, CalibrationData = cal, CalibrationImages = 40, Preprocessing = preprocessing },
            network.Inputs[0].Shape, CPU, eval: true, train: false, calibration: true);
        Assert.Equal(40, job.Calibration!.Count);
        var ranges = Calibration.Measure(network, job.Calibration, int.MaxValue, 8);
        var scheme = new IntegerScheme(ScaleKind.Float, PerChannelWeights: true);
        var search = new RistrettoDfpSearch(network, ranges, job.Eval!, 1, 4, scheme.Formats(network), IntegerScheme.Widths, scheme.Describe())
            { Metric = Metric.Sqnr };
        double Sqnr(int bits) => search.Score(search.Plan(bits, bits, bits)).Quantized.Metrics["sqnr_db"];
        double s8 = Sqnr(8), s6 = Sqnr(6);
        output.WriteLine($"ResNet-18 featurizer, integer per-channel, {job.Eval!.Count} held-out photographs: 8-bit {s8:F2} dB, 6-bit {s6:F2} dB");
        Assert.True(s8 >= 25, $"8-bit output SQNR {s8:F2} dB < 25 dB");
        Assert.True(s6 < s8, $"6-bit {s6:F2} dB is not below 8-bit {s8:F2} dB");
    }
}

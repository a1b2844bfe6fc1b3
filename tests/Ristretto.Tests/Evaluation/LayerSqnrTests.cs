using Ristretto.Evaluation;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Evaluation;

/// <summary>Per-layer SQNR agrees with the output SQNR where the layer is the output, and falls with the width.</summary>
public sealed class LayerSqnrTests
{
    [Fact]
    public void Should_Agree_With_The_Output_Sqnr_On_The_Last_Layer_And_Fall_With_The_Width()
    {
        using var lenet = new TrainedLeNet(testImages: 100);
        var ranges = Calibration.Measure(lenet.Net, lenet.Train, 4, 64);
        var search = new RistrettoDfpSearch(lenet.Net, ranges, lenet.Test, 1, 100) { Metric = Metric.Sqnr };
        // Only ip2 (the output layer) quantized: its SQNR is the network output's.
        var last = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["ip2"] = search.Plan(null, 4, 4).Layers["ip2"] }, "ip2 only");
        var perLayer = LayerSqnr.Measure(lenet.Net, last, lenet.Test, batchSize: 100);
        var (_, quantized) = search.Score(last);
        Assert.Equal("ip2", Assert.Single(perLayer).Layer);
        Assert.Equal(quantized.Metrics["sqnr_db"], perLayer[0].SqnrDb, 6);

        double Conv1(int bits) => LayerSqnr.Measure(lenet.Net, search.Plan(bits, bits, bits), lenet.Test, 100).First(l => l.Layer == "conv1").SqnrDb;
        double s16 = Conv1(16), s8 = Conv1(8), s4 = Conv1(4);
        Assert.True(s16 > s8 && s8 > s4, $"conv1 SQNR: 16-bit {s16:F1}, 8-bit {s8:F1}, 4-bit {s4:F1} dB");
    }
}

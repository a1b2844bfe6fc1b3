using Ristretto.Hardware;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Tests.Interchange.Onnx;
using Ristretto.Zoo;
using Xunit.Abstractions;

namespace Ristretto.Tests.Hardware;

public class SchemeComparisonTests(ITestOutputHelper output)
{
    [Fact]
    public void Should_Charge_Lsq_Plus_Exactly_Its_Offset_Terms_On_LeNet_At_4_Bits()
    {
        using var net = LeNet.Build();
        var r = SchemeComparison.LsqVsLsqPlus(net, 4);
        var ops = OpCostModel.Default;
        // (name, K, ⌈log2 K⌉, channels, outputs, output quantized)
        (string, int, int, int, int, bool)[] layers =
            [("conv1", 25, 5, 20, 11_520, true), ("conv2", 500, 9, 50, 3_200, true), ("ip1", 800, 10, 500, 500, true), ("ip2", 500, 9, 10, 10, false)];
        double compute = 0, bits = 0;
        foreach (var (_, _, l, c, o, quantizedOut) in layers)
        {
            compute += c * ops.IntMultiply(4, 4 + l).EnergyPj + o * ops.IntAdd(4 + 4 + l).EnergyPj; // z_a·Σw per channel, added per output
            if (quantizedOut)
                compute += o * ops.IntAdd(4).EnergyPj;                                              // output zero point
            bits += c * (4 + l) + 4 + (quantizedOut ? 4 : 0);                                       // Σw, input and output zero points
        }
        Assert.Equal(compute, r.Second.Energy.Compute - r.First.Energy.Compute, 1e-6);
        Assert.Equal(bits * (10 + 1300) / 32.0, r.Second.Energy.Memory - r.First.Energy.Memory, 1e-6);
        Assert.True(r.ComputeRatio > 1 && r.TotalRatio > 1);
        Assert.Equal(r.Second.Energy.Total / r.First.Energy.Total, r.TotalRatio);
        output.WriteLine($"LeNet LSQ→LSQ+ 4-bit: total ×{r.TotalRatio:F4}, arithmetic ×{r.ComputeRatio:F4}, area ×{r.AreaRatio:F4}");
    }

    [Fact]
    public void Should_Compare_Lsq_And_Lsq_Plus_On_An_Imported_ResNet50()
    {
        using var net = OnnxImporter.Load(Path.Combine(OnnxFixtures.Light, "light_resnet50.onnx"));
        var r = SchemeComparison.LsqVsLsqPlus(net, 4);
        var perMac = SchemeComparison.LsqVsLsqPlus(net, 4, new AcceleratorOptions { Offsets = OffsetImplementation.PerMac });
        Assert.Equal(54, r.First.Layers.Count); // 53 convolutions and the classifier
        Assert.True(r.TotalRatio > 1 && r.ComputeRatio > 1);
        // Offsets as cross terms act per output, not per MAC: far from the seed study's ≈3×.
        Assert.True(r.ComputeRatio < 1.1, $"arithmetic ×{r.ComputeRatio}");
        Assert.True(perMac.ComputeRatio > r.ComputeRatio);
        output.WriteLine($"ResNet-50 LSQ→LSQ+ 4-bit, cross terms: total ×{r.TotalRatio:F4}, arithmetic ×{r.ComputeRatio:F4}, area ×{r.AreaRatio:F4}");
        output.WriteLine($"ResNet-50 LSQ→LSQ+ 4-bit, per MAC:     total ×{perMac.TotalRatio:F4}, arithmetic ×{perMac.ComputeRatio:F4}, area ×{perMac.AreaRatio:F4}");
        output.WriteLine($"LSQ energy {r.First.Energy.Total / 1e6:F1} µJ (arithmetic {r.First.Energy.Compute / 1e6:F1} µJ), LSQ+ {r.Second.Energy.Total / 1e6:F1} µJ");
    }

    [Fact]
    public void Should_Report_The_Lsq_Versus_Lsq_Plus_Energy_Ratio_On_The_Zoo_ResNet18()
    {
        using var net = ModelZoo.Create("resnet18");
        var r = SchemeComparison.LsqVsLsqPlus(net, 4);
        var perMac = SchemeComparison.LsqVsLsqPlus(net, 4, new AcceleratorOptions { Offsets = OffsetImplementation.PerMac });
        Assert.Equal(21, r.First.Layers.Count); // 17 3×3 convolutions, 3 downsampling 1×1s and the classifier
        Assert.True(r.TotalRatio > 1 && r.ComputeRatio > 1 && r.AreaRatio > 1);
        Assert.True(perMac.ComputeRatio > r.ComputeRatio);
        output.WriteLine($"ResNet-18 LSQ→LSQ+ 4-bit, cross terms: total ×{r.TotalRatio:F4}, arithmetic ×{r.ComputeRatio:F4}, area ×{r.AreaRatio:F4}");
        output.WriteLine($"ResNet-18 LSQ→LSQ+ 4-bit, per MAC:     total ×{perMac.TotalRatio:F4}, arithmetic ×{perMac.ComputeRatio:F4}, area ×{perMac.AreaRatio:F4}");
    }
}

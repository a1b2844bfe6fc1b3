using Ristretto.Formats;
using Ristretto.Hardware;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Ristretto.Zoo;

namespace Ristretto.Tests.Hardware;

public class LeNetCostTests
{
    private const double Tol = 1e-9;

    /// <summary>Dynamic fixed point at <paramref name="bits"/> for weights, bias, input and output of every LeNet layer.</summary>
    internal static QuantizationPlan Dfp(int bits) => new(new[] { "conv1", "conv2", "ip1", "ip2" }.ToDictionary(
        n => n, _ => new LayerQuantization(new DynamicFixedPoint(bits, bits - 2), new DynamicFixedPoint(bits, bits - 2),
            new DynamicFixedPoint(bits, bits - 4), new DynamicFixedPoint(bits, bits - 4))), $"dfp {bits}");

    [Fact]
    public void Should_Count_LeNet_Macs_And_Parameters_By_Hand()
    {
        using var net = LeNet.Build();
        var cost = NetworkCostModel.Compute(net, QuantizationPlan.Float);
        var macs = cost.Layers.ToDictionary(l => l.Name, l => l.Shape.Macs);
        // conv1: 20 maps of 24×24, 1×5×5 each; conv2: 50 of 8×8, 20×5×5; ip1 800→500; ip2 500→10.
        Assert.Equal(20 * 24 * 24 * 1 * 5 * 5, macs["conv1"]);
        Assert.Equal(288_000, macs["conv1"]);
        Assert.Equal(50 * 8 * 8 * 20 * 5 * 5, macs["conv2"]);
        Assert.Equal(1_600_000, macs["conv2"]);
        Assert.Equal(400_000, macs["ip1"]);
        Assert.Equal(5_000, macs["ip2"]);
        Assert.Equal((20 * 25 + 20) + (50 * 500 + 50) + (500 * 800 + 500) + (10 * 500 + 10), cost.Parameters);
        Assert.Equal(431_080, cost.Parameters);
        Assert.Equal(32.0 * 32 * 2_293_000, cost.Bops);
    }

    [Fact]
    public void Should_Cost_Conv2_At_8_Bits_As_Computed_By_Hand()
    {
        using var net = LeNet.Build();
        var conv2 = NetworkCostModel.Compute(net, Dfp(8)).Layers.Single(l => l.Name == "conv2");

        // By hand (Horowitz 45 nm): K = 20·5·5 = 500, ⌈log2 500⌉ = 9, accumulator 8 + 8 + 9 = 25 bits.
        double add25 = 0.05 + (25 - 16) / 16.0 * (0.1 - 0.05);      // int adder between the 16- and 32-bit rows
        double mult8 = 0.2;                                           // the 8-bit multiply row
        double macs = 50 * 8 * 8 * 500, outputs = 50 * 8 * 8;
        double mac = macs * (mult8 + add25);
        double bias = outputs * add25;
        double requant = outputs * (5 * add25 + 0.03);               // shift: ⌈log2 25⌉ = 5 adder-like stages + 8-bit rounding add
        double paramBits = 25_000 * 8 + 50 * 8, actBits = 20 * 12 * 12 * 8 + outputs * 8;
        double sram = (paramBits + actBits) * 10 / 32.0;              // 32 KB buffer: 10 pJ per 32 bits
        double dram = paramBits * 1300 / 32.0;                        // 431,080 × 8 bits do not fit in 32 KB: weights stream from DRAM

        Assert.Equal(25, conv2.AccumulatorBits);
        Assert.Equal(mac, conv2.Energy.Mac, Tol);
        Assert.Equal(bias, conv2.Energy.Bias, Tol);
        Assert.Equal(requant, conv2.Energy.Requant, Tol);
        Assert.Equal(0, conv2.Energy.Offsets);
        Assert.Equal(sram, conv2.Energy.Sram, Tol);
        Assert.Equal(dram, conv2.Energy.Dram, Tol);
        Assert.Equal(mac + bias + requant + sram + dram, conv2.Energy.Total, 1e-6);
        Assert.Equal(1_600_000.0 * 8 * 8, conv2.Bops);
        Assert.Equal((long)paramBits, conv2.WeightBits);
        Assert.Equal((long)actBits, conv2.ActivationBits);
        // 16×16 array of (8×8 multiplier + 25-bit adder), one shift unit.
        double area25 = 67 + (25 - 16) / 16.0 * (137 - 67);
        Assert.Equal(256 * (282 + area25), conv2.Area.Array, Tol);
        Assert.Equal(5 * area25 + 36, conv2.Area.Requant, Tol);
    }

    [Fact]
    public void Should_Cost_The_Float32_Baseline_With_The_Table_Rows_Themselves()
    {
        using var net = LeNet.Build();
        var ip2 = NetworkCostModel.Compute(net, QuantizationPlan.Float).Layers.Single(l => l.Name == "ip2");
        Assert.Equal(5_000 * (3.7 + 0.9), ip2.Energy.Mac, Tol);
        Assert.Equal(10 * 0.9, ip2.Energy.Bias, Tol);
        Assert.Equal(0, ip2.Energy.Requant);
        Assert.Equal(5010 * 32 * 1300 / 32.0, ip2.Energy.Dram, 1e-6); // activations (510 values) fit the buffer
    }

    [Fact]
    public void Should_Keep_Weights_On_Chip_When_The_Whole_Network_Fits_The_Buffer()
    {
        using var net = LeNet.Build();
        var options = new AcceleratorOptions { Sram = SramSize.Mb1 };
        // 431,080 parameters: float32 needs 13.8 Mbit (> 1 MB = 8.4 Mbit); 8 bits need 3.4 Mbit (fits).
        var f32 = NetworkCostModel.Compute(net, QuantizationPlan.Float, options);
        var int8 = NetworkCostModel.Compute(net, Dfp(8), options);
        Assert.False(f32.WeightsResident);
        Assert.True(int8.WeightsResident);
        Assert.Equal(0, int8.Energy.Dram);
        Assert.True(f32.Energy.Dram > 0);
    }

    [Fact]
    public void Should_Divide_Dram_Weight_Traffic_By_The_Batch()
    {
        using var net = LeNet.Build();
        var one = NetworkCostModel.Compute(net, Dfp(8));
        var ten = NetworkCostModel.Compute(net, Dfp(8), new AcceleratorOptions { Batch = 10 });
        Assert.Equal(one.Energy.Dram / 10, ten.Energy.Dram, 1e-6);
        Assert.Equal(one.Energy.Compute, ten.Energy.Compute);
    }

    [Fact]
    public void Should_Spend_Less_Energy_At_Each_Smaller_Width()
    {
        using var net = LeNet.Build();
        double[] energies = [.. new[] { 16, 8, 4, 2 }.Select(b => NetworkCostModel.Compute(net, Dfp(b)).Energy.Total)];
        double float32 = NetworkCostModel.Compute(net, QuantizationPlan.Float).Energy.Total;
        Assert.True(float32 > energies[0]);
        for (int i = 1; i < energies.Length; i++)
            Assert.True(energies[i] < energies[i - 1], $"{string.Join(", ", energies)}");
    }

    [Fact]
    public void Should_Name_The_Plan_And_Layer_When_A_Plan_Names_A_Layer_The_Network_Lacks()
    {
        using var net = LeNet.Build();
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv9"] = new(new DynamicFixedPoint(8, 4)) });
        var e = Assert.Throws<RistrettoException>(() => NetworkCostModel.Compute(net, plan, planName: "p.json"));
        Assert.StartsWith("plan p.json: layer 'conv9' is not in network lenet", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_A_Plan_Missing_A_Weighted_Layer_When_All_Are_Required()
    {
        using var net = LeNet.Build();
        var plan = new QuantizationPlan(Dfp(8).Layers.Where(kv => kv.Key != "ip1").ToDictionary(kv => kv.Key, kv => kv.Value));
        var e = Assert.Throws<RistrettoException>(() => NetworkCostModel.CheckLayers(net, plan, "p.json", requireAll: true));
        Assert.Contains("has no entry for layer 'ip1'", e.Message, StringComparison.Ordinal);
        NetworkCostModel.CheckLayers(net, plan, "p.json"); // allowed when unlisted layers may stay float32
    }

    [Fact]
    public void Should_Accept_An_LRN_In_A_Plan_Without_Costing_It_And_Refuse_A_Layer_That_Cannot_Be_Quantized()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("n.prototxt"), """
            name: "lrn"
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 28 dim: 28 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 5 } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1" lrn_param { local_size: 5 } }
            layer { name: "fc" type: "InnerProduct" bottom: "norm1" top: "fc" inner_product_param { num_output: 10 } }
            """);
        using var net = Ristretto.Interchange.Caffe.Reader.CaffeImport.Load(dir.File("n.prototxt"));
        var m = new MiniFloat(5, 2);
        var dfp = new DynamicFixedPoint(8, 4);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(dfp, dfp, dfp, dfp), ["norm1"] = new(Input: m, Output: m), ["fc"] = new(dfp, dfp, dfp, dfp),
        });
        var cost = NetworkCostModel.Compute(net, plan, planName: "p.json");
        Assert.Equal(["conv1", "fc"], cost.Layers.Select(l => l.Name));
        var relu = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["relu1"] = new(Output: dfp) });
        var e = Assert.Throws<RistrettoException>(() => NetworkCostModel.Compute(net, relu, planName: "p.json"));
        Assert.Contains("'relu1' (ReLU) cannot carry formats", e.Message, StringComparison.Ordinal);
    }
}

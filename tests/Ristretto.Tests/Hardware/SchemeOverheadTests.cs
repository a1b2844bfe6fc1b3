using Ristretto.Formats;
using Ristretto.Hardware;

namespace Ristretto.Tests.Hardware;

/// <summary>The scheme overheads of hardware-cost.md on one synthetic layer, checked against hand formulas.</summary>
public class SchemeOverheadTests
{
    private const double Tol = 1e-9;
    private static readonly OpCostModel Ops = OpCostModel.Default;

    // A 3×3 convolution, 64 → 32 channels on 10×10 outputs: K = 576, ⌈log2 K⌉ = 10.
    private static readonly LayerShape Shape = new(Macs: 32 * 100 * 576, ReductionLength: 576, OutputChannels: 32, Groups: 1,
        Weights: 32 * 576, Biases: 32, InputElements: 64 * 12 * 12, OutputElements: 32 * 100);

    private static LayerCost Cost(LayerScheme s, AcceleratorOptions? o = null) =>
        new LayerCostModel(o).Cost("c", "Convolution", Shape, s, weightsResident: true);

    [Fact]
    public void Should_Add_The_Activation_Offset_Cross_Terms_Of_Lsq_Plus()
    {
        var w = IntegerFormat.Symmetric(4, 0.1f);
        var lsq = Cost(LayerScheme.Of(w, null, IntegerFormat.Symmetric(4, 0.1f), IntegerFormat.Symmetric(4, 0.1f)));
        var plus = Cost(LayerScheme.Of(w, null, IntegerFormat.Asymmetric(4, 0.1f, 8), IntegerFormat.Asymmetric(4, 0.1f, 8)));
        int acc = 4 + 4 + 10;
        // z_a·Σw: a 4×(4+10) multiply per output channel and an accumulator add per output; the output zero point: a 4-bit add per output.
        double offsets = 32 * Ops.IntMultiply(4, 14).EnergyPj + 3200 * Ops.IntAdd(acc).EnergyPj;
        Assert.Equal(0, lsq.Energy.Offsets);
        Assert.Equal(offsets, plus.Energy.Offsets, Tol);
        Assert.Equal(3200 * Ops.IntAdd(4).EnergyPj, plus.Energy.Requant - lsq.Energy.Requant, Tol);
        Assert.Equal(lsq.Energy.Mac, plus.Energy.Mac);
        // Stored: Σw per channel (4 + 10 bits) and a 4-bit zero point for the input and for the output format.
        Assert.Equal(32 * 14 + 2 * 4, plus.ExtraParameterBits - lsq.ExtraParameterBits);
        Assert.Equal((32 * 14 + 2 * 4) * 10 / 32.0, plus.Energy.Sram - lsq.Energy.Sram, Tol);
    }

    [Fact]
    public void Should_Add_A_Running_Sum_Of_Activations_For_Weight_Zero_Points()
    {
        var a = IntegerFormat.Symmetric(8, 0.1f);
        var sym = Cost(LayerScheme.Of(IntegerFormat.Symmetric(8, 0.1f), null, a, a));
        var asym = Cost(LayerScheme.Of(IntegerFormat.Asymmetric(8, 0.1f, 128), null, a, a));
        int acc = 8 + 8 + 10;
        double running = 100 * 576 * Ops.IntAdd(8 + 10).EnergyPj;       // K adds per output position (one group)
        double perOutput = 3200 * (Ops.IntMultiply(8, 18).EnergyPj + Ops.IntAdd(acc).EnergyPj);
        Assert.Equal(running + perOutput, asym.Energy.Offsets - sym.Energy.Offsets, Tol);
    }

    [Fact]
    public void Should_Add_The_Constant_Term_When_Both_Sides_Have_Zero_Points()
    {
        var both = Cost(LayerScheme.Of(IntegerFormat.Asymmetric(8, 0.1f, 3), null, IntegerFormat.Asymmetric(8, 0.1f, 5), IntegerFormat.Symmetric(8, 0.1f)));
        var onlyW = Cost(LayerScheme.Of(IntegerFormat.Asymmetric(8, 0.1f, 3), null, IntegerFormat.Symmetric(8, 0.1f), IntegerFormat.Symmetric(8, 0.1f)));
        var onlyA = Cost(LayerScheme.Of(IntegerFormat.Symmetric(8, 0.1f), null, IntegerFormat.Asymmetric(8, 0.1f, 5), IntegerFormat.Symmetric(8, 0.1f)));
        Assert.Equal(onlyW.Energy.Offsets + onlyA.Energy.Offsets + 3200 * Ops.IntAdd(26).EnergyPj, both.Energy.Offsets, Tol);
    }

    [Fact]
    public void Should_Widen_The_Multiplier_When_Offsets_Are_Applied_Per_Mac()
    {
        var options = new AcceleratorOptions { Offsets = OffsetImplementation.PerMac };
        var s = LayerScheme.Of(IntegerFormat.Symmetric(4, 0.1f), null, IntegerFormat.Asymmetric(4, 0.1f, 8), IntegerFormat.Symmetric(4, 0.1f));
        var cost = Cost(s, options);
        // (a − z_a) per MAC: a 5-bit subtract, a 4×5 multiplier and a 4 + 5 + 10-bit accumulator.
        double pe = Ops.IntMultiply(4, 5).EnergyPj + Ops.IntAdd(19).EnergyPj + Ops.IntAdd(5).EnergyPj;
        Assert.Equal(Shape.Macs * pe, cost.Energy.Mac, Tol);
        Assert.Equal(0, cost.Energy.Offsets);
    }

    [Fact]
    public void Should_Cost_Requantization_Units_By_Scale_Kind()
    {
        int acc = 8 + 8 + 10;
        var shift = Cost(LayerScheme.Of(new DynamicFixedPoint(8, 4), null, new DynamicFixedPoint(8, 4), new DynamicFixedPoint(8, 4)));
        Assert.Equal(3200 * (5 * Ops.IntAdd(acc).EnergyPj + 0.03), shift.Energy.Requant, Tol);
        var fp = IntegerFormat.Symmetric(8, 0.375f, scaleKind: ScaleKind.FixedPoint, scaleFractionBits: 4);
        var fixedPoint = Cost(LayerScheme.Of(fp, null, fp, fp));
        double fixedUnit = Ops.IntMultiply(acc, 3).EnergyPj + Ops.Shifter(acc + 3, acc + 3).EnergyPj + 0.03;
        Assert.Equal(3200 * fixedUnit, fixedPoint.Energy.Requant, Tol);
        var fl = IntegerFormat.Symmetric(8, 0.3f);
        var floatScale = Cost(LayerScheme.Of(fl, null, fl, fl));
        Assert.Equal(3200 * (3.7 + 0.9), floatScale.Energy.Requant, Tol);
    }

    [Fact]
    public void Should_Give_Per_Channel_Scales_One_Requantization_Unit_Per_Channel_In_Flight()
    {
        var a = IntegerFormat.Symmetric(8, 0.3f);
        var perTensor = Cost(LayerScheme.Of(IntegerFormat.Symmetric(8, 0.3f), null, a, a));
        var perChannel = Cost(LayerScheme.Of(IntegerFormat.PerChannel(8, 0, Enumerable.Repeat(0.3f, 32)), null, a, a));
        Assert.Equal(16 * perTensor.Area.Requant, perChannel.Area.Requant, Tol);   // min(32 channels, 16 columns)
        Assert.Equal(perTensor.Energy.Requant, perChannel.Energy.Requant);          // same work per output
        Assert.Equal(31 * 32, perChannel.ExtraParameterBits - perTensor.ExtraParameterBits); // 31 more float scales
    }

    [Fact]
    public void Should_Make_Power_Of_Two_Weights_Cheaper_Than_A_Multiplier()
    {
        var a = new DynamicFixedPoint(8, 4);
        var shift = Cost(LayerScheme.Of(new PowerOfTwo(-8, -1), null, a, a));
        var multiply = Cost(LayerScheme.Of(new DynamicFixedPoint(5, 4), null, a, a));
        // shifter: ⌈log2 8⌉ = 3 stages of 8-bit adders; products 8 + 7 bits, accumulator 25 bits.
        Assert.Equal(Shape.Macs * (3 * 0.03 + Ops.IntAdd(25).EnergyPj), shift.Energy.Mac, Tol);
        Assert.True(shift.Energy.Mac < multiply.Energy.Mac, $"shift {shift.Energy.Mac} pJ, 5×8 multiplier {multiply.Energy.Mac} pJ");
    }
}

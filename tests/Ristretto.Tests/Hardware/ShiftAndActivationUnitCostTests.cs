using Ristretto.Formats;
using Ristretto.Hardware;
using Ristretto.Quantization;
using Ristretto.Zoo;

namespace Ristretto.Tests.Hardware;

public class ShiftAndActivationUnitCostTests
{
    private static readonly DynamicFixedPoint Dfp8 = new(8, 4);

    [Fact]
    public void Should_Make_Log_Activations_Shift_The_Weights()
    {
        var log2 = new LogFormat(4, 1, 0, signed: false);
        var s = LayerScheme.Of(Dfp8, null, log2, Dfp8);
        Assert.Equal(MacKind.Shift, s.Mac);
        Assert.Equal(8, s.ShiftDataBits);
        Assert.Equal(15, s.ShiftPositions);
        Assert.Equal(8 + 14, s.ProductBits);
        Assert.Equal(1, s.Accumulators);
        Assert.Equal("shift 8-bit, shift requant", s.Describe());
    }

    [Fact]
    public void Should_Give_Base_Sqrt2_A_Second_Accumulator_And_A_Root_Two_Multiply_Per_Output()
    {
        var shape = new LayerShape(1000, 100, 10, 1, 1000, 10, 100, 10).Validated();
        var model = new LayerCostModel();
        var base2 = model.Cost("l", "InnerProduct", shape, LayerScheme.Of(Dfp8, null, new LogFormat(4, 1, 0, false), Dfp8), true);
        var sqrt2 = model.Cost("l", "InnerProduct", shape, LayerScheme.Of(Dfp8, null, new LogFormat(4, 2, 0, false), Dfp8), true);
        Assert.Equal(2, sqrt2.Scheme.Accumulators);
        Assert.Contains("×√2", sqrt2.Scheme.Describe());
        Assert.True(sqrt2.Energy.Requant > base2.Energy.Requant, "the √2 multiply happens once per output");
        Assert.True(sqrt2.Area.Array > base2.Area.Array, "a second accumulator per PE");
        var integer = model.Cost("l", "InnerProduct", shape, LayerScheme.Of(Dfp8, null, new DynamicFixedPoint(4, 4), Dfp8), true);
        Assert.True(base2.Energy.Mac < model.Cost("l", "InnerProduct", shape, LayerScheme.Of(new DynamicFixedPoint(8, 4), null, new DynamicFixedPoint(8, 4), Dfp8), true).Energy.Mac);
        Assert.Equal(MacKind.Integer, integer.Scheme.Mac);
    }

    [Fact]
    public void Should_Shift_The_Decoded_Weight_When_Both_Operands_Are_Powers_Of_Two()
    {
        var s = LayerScheme.Of(new PowerOfTwo(-8, -1), null, new LogFormat(4, 1, 0, false), null);
        Assert.Equal(MacKind.Shift, s.Mac);
        Assert.Equal(1 + 8, s.ShiftDataBits);
        Assert.Equal(15, s.ShiftPositions);
    }

    [Fact]
    public void Should_Cost_A_Piecewise_Linear_Unit_Above_A_Lookup_Table_From_Their_Hooks()
    {
        var ops = OpCostModel.Default;
        var pwl = ActivationUnitCost.PerElement(new PiecewiseLinearActivation(16, -4, 4, new DynamicFixedPoint(8, 7)), ops);
        var lut = ActivationUnitCost.PerElement(new LookupTableActivation(16, -4, 4, new DynamicFixedPoint(8, 7)), ops);
        var expectedLut = ops.IntAdd(4).EnergyPj + 8 * ops.SramPerBitPj(SramSize.Kb8);
        Assert.Equal(expectedLut, lut.EnergyPj, 9);
        var expectedPwl = ops.IntAdd(5).EnergyPj + 2 * 8 * ops.SramPerBitPj(SramSize.Kb8) + ops.IntMultiply(8, 8).EnergyPj + ops.IntAdd(16).EnergyPj;
        Assert.Equal(expectedPwl, pwl.EnergyPj, 9);
        var wide = ActivationUnitCost.PerElement(new LookupTableActivation(16, -4, 4), ops);
        Assert.True(wide.EnergyPj > lut.EnergyPj, "float32 entries cost 32 bits a read");
    }

    [Fact]
    public void Should_List_The_Approximated_Activations_Of_A_Network_With_Their_Energy()
    {
        using var net = LeNet5.Build();
        var pwl = new PiecewiseLinearActivation(16, -4, 4, new DynamicFixedPoint(8, 7));
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["tanh1"] = new(Approximation: pwl) });
        var cost = NetworkCostModel.Compute(net, plan);
        var row = Assert.Single(cost.ActivationUnits);
        Assert.Equal("tanh1", row.Name);
        Assert.Equal(6 * 28 * 28, row.Elements);
        Assert.Equal(row.Elements * ActivationUnitCost.PerElement(pwl).EnergyPj, row.EnergyPj, 9);
        Assert.Equal(row.EnergyPj, cost.ActivationUnitEnergyPj);
        Assert.Empty(NetworkCostModel.Compute(net, QuantizationPlan.Float).ActivationUnits);
    }

    [Fact]
    public void Should_Show_The_Activation_Units_In_The_Report_Table_Of_Their_Plan_Only()
    {
        using var net = LeNet5.Build();
        var pwl = new PiecewiseLinearActivation(16, -4, 4, new DynamicFixedPoint(8, 7));
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["tanh1"] = new(Approximation: pwl) });
        var cost = NetworkCostModel.Compute(net, plan);
        var table = Ristretto.Reports.ReportTables.ActivationUnits(new Ristretto.Reports.PlanReport(new Ristretto.Reports.ReportPlan("pwl", plan), cost, true));
        Assert.NotNull(table);
        Assert.Equal(2, table.Rows.Count); // tanh1 and the total
        Assert.Equal("tanh1", table.Rows[0][0]);
        Assert.Equal(Ristretto.Reports.ReportTables.Count(6 * 28 * 28), table.Rows[0][2]);
        var none = NetworkCostModel.Compute(net, QuantizationPlan.Float);
        Assert.Null(Ristretto.Reports.ReportTables.ActivationUnits(new Ristretto.Reports.PlanReport(new Ristretto.Reports.ReportPlan("float", QuantizationPlan.Float), none, true)));
    }
}

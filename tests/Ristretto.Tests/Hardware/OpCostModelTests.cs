using Ristretto.Hardware;

namespace Ristretto.Tests.Hardware;

public class OpCostModelTests
{
    private static readonly OpCostModel Model = OpCostModel.Default;
    private const double Tol = 1e-12;

    [Theory]
    [InlineData(12, 0.03 + (12 - 8) / 8.0 * (0.05 - 0.03), 36 + (12 - 8) / 8.0 * (67 - 36))]
    [InlineData(24, 0.05 + (24 - 16) / 16.0 * (0.1 - 0.05), 67 + (24 - 16) / 16.0 * (137 - 67))]
    [InlineData(4, 0.03 * 4 / 8.0, 36 * 4 / 8.0)]
    [InlineData(1, 0.03 / 8.0, 36 / 8.0)]
    [InlineData(48, 0.1 * 48 / 32.0, 137 * 48 / 32.0)]
    public void Should_Scale_An_Integer_Adder_Linearly_In_Its_Width(int bits, double energy, double area)
    {
        var cost = Model.IntAdd(bits);
        Assert.Equal(energy, cost.EnergyPj, Tol);
        Assert.Equal(area, cost.AreaUm2, 1e-9);
    }

    [Theory]
    [InlineData(4, 4, 0.2 * 16 / 64.0)]
    [InlineData(2, 8, 0.2 * 16 / 64.0)]
    [InlineData(16, 16, 0.2 + (256 - 64) / (1024.0 - 64) * (3.1 - 0.2))]
    [InlineData(8, 16, 0.2 + (128 - 64) / (1024.0 - 64) * (3.1 - 0.2))]
    [InlineData(32, 64, 3.1 * 2048 / 1024.0)]
    public void Should_Scale_An_Array_Multiplier_With_The_Product_Of_Its_Widths(int bw, int ba, double energy)
    {
        Assert.Equal(energy, Model.IntMultiply(bw, ba).EnergyPj, Tol);
        Assert.Equal(Model.IntMultiply(bw, ba), Model.IntMultiply(ba, bw));
    }

    [Fact]
    public void Should_Scale_Float_Units_By_Width_And_Significand_Product()
    {
        // minifloat e4m3: 8 bits, significand 4; the adder is proportional below binary16, the multiplier below 11×11.
        Assert.Equal(0.4 * 8 / 16.0, Model.FloatAdd(8).EnergyPj, Tol);
        Assert.Equal(1.1 * 16 / 121.0, Model.FloatMultiply(4, 4).EnergyPj, Tol);
        Assert.Equal(1.1 + (16.0 * 16 - 121) / (576 - 121) * (3.7 - 1.1), Model.FloatMultiply(16, 16).EnergyPj, Tol);
        Assert.Equal(0.4 + (24 - 16) / 16.0 * (0.9 - 0.4), Model.FloatAdd(24).EnergyPj, Tol);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(8, 3)]
    [InlineData(9, 4)]
    [InlineData(25, 5)]
    [InlineData(500, 9)]
    public void Should_Count_Log2_Stages_Of_A_Barrel_Shifter(long positions, int stages)
    {
        Assert.Equal(stages, OpCostModel.Stages(positions));
        Assert.Equal(stages * 0.03 * 6 / 8.0, Model.Shifter(6, positions).EnergyPj, Tol);
    }

    [Fact]
    public void Should_Charge_Memory_Per_Bit_Moved()
    {
        Assert.Equal(5 / 32.0, Model.SramPerBitPj(SramSize.Kb8), Tol);
        Assert.Equal(10 / 32.0, Model.SramPerBitPj(SramSize.Kb32), Tol);
        Assert.Equal(20 / 32.0, Model.SramPerBitPj(SramSize.Mb1), Tol);
        Assert.Equal(1300 / 32.0, Model.DramPerBitPj(DramEstimate.Low), Tol);
        Assert.Equal(2600 / 32.0, Model.DramPerBitPj(DramEstimate.High), Tol);
    }

    [Fact]
    public void Should_Refuse_A_Non_Positive_Width()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Model.IntAdd(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Model.IntMultiply(8, -1));
    }

    [Theory]
    [InlineData("8kb", SramSize.Kb8)]
    [InlineData("32KB", SramSize.Kb32)]
    [InlineData("1MB", SramSize.Mb1)]
    public void Should_Parse_The_Listed_Sram_Sizes(string text, SramSize size) => Assert.Equal(size, SramSizes.Parse(text));

    [Fact]
    public void Should_Refuse_An_Sram_Size_The_Table_Does_Not_List()
    {
        var e = Assert.Throws<RistrettoException>(() => SramSizes.Parse("64KB"));
        Assert.Contains("8KB, 32KB or 1MB", e.Message, StringComparison.Ordinal);
    }
}

using Ristretto.Hardware;

namespace Ristretto.Tests.Hardware;

public class OpTableTests
{
    private static readonly OpCostModel Model = OpCostModel.Default;

    /// <summary>The model's energy and area for a row of the document, at the row's own widths.</summary>
    private static (double Energy, double? Area) ModelAt(string operation, DramEstimate dram)
    {
        int bits = int.Parse(operation.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
        OpCost cost;
        if (operation.Contains("integer add", StringComparison.Ordinal))
            cost = Model.IntAdd(bits);
        else if (operation.Contains("integer multiply", StringComparison.Ordinal))
            cost = Model.IntMultiply(bits, bits);
        else if (operation.Contains("float add", StringComparison.Ordinal))
            cost = Model.FloatAdd(bits);
        else if (operation.Contains("float multiply", StringComparison.Ordinal))
            cost = bits == 16 ? Model.FloatMultiply(11, 11) : Model.FloatMultiply(24, 24); // IEEE significands
        else if (operation.Contains("DRAM", StringComparison.Ordinal))
            return (32 * Model.DramPerBitPj(dram), null);
        else
        {
            var size = operation.Contains("8 KB", StringComparison.Ordinal) ? SramSize.Kb8
                : operation.Contains("32 KB", StringComparison.Ordinal) ? SramSize.Kb32 : SramSize.Mb1;
            return (32 * Model.SramPerBitPj(size), null);
        }
        return (cost.EnergyPj, cost.AreaUm2);
    }

    [Fact]
    public void Should_Reproduce_Every_Row_Of_The_Cited_Table_Exactly_At_Its_Widths()
    {
        string? doc = CostDocument.Find();
        Assert.True(doc is not null, "shared/docs/hardware-cost.md not found above the test binaries");
        var rows = CostDocument.Rows(doc!);
        Assert.Equal(13, rows.Count);
        foreach (var (operation, low, high, area) in rows)
        {
            var (energyLow, modelArea) = ModelAt(operation, DramEstimate.Low);
            var (energyHigh, _) = ModelAt(operation, DramEstimate.High);
            Assert.True(low == energyLow, $"{operation}: model {energyLow} pJ, table {low} pJ");
            Assert.True(high == energyHigh, $"{operation}: model {energyHigh} pJ (high), table {high} pJ");
            if (area is { } a)
                Assert.True(a == modelArea, $"{operation}: model {modelArea} µm², table {a} µm²");
        }
    }

    [Fact]
    public void Should_Cite_Horowitz_Isscc_2014_On_Every_Row()
    {
        var table = OpTable.Horowitz45nm;
        Assert.Equal(13, table.Entries.Count);
        Assert.All(table.Entries, e => Assert.Contains("Horowitz ISSCC 2014", e.Source, StringComparison.Ordinal));
        Assert.All(table.Entries, e => Assert.Contains("45 nm", e.Source, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("operation,bits,energy_pj,energy_pj_max,area_um2,source\nint_add,8,abc,,36,x", "'abc' is not a number")]
    [InlineData("operation,bits,energy_pj,energy_pj_max,area_um2,source\nint_add,8,0.03,,36", "expected 6 cells")]
    [InlineData("op,bits\n", "header must be")]
    [InlineData("# only a comment\n", "no header line")]
    [InlineData("operation,bits,energy_pj,energy_pj_max,area_um2,source\nint_add,8,0.03,,36,x\nint_add,8,0.04,,36,x", "listed twice")]
    [InlineData("operation,bits,energy_pj,energy_pj_max,area_um2,source\nint_add,8,0.03,,36,", "needs bits ≥ 1, a positive energy and a source")]
    public void Should_Refuse_A_Malformed_Table_In_One_Line_Naming_It(string csv, string expected)
    {
        var e = Assert.Throws<RistrettoException>(() => OpTable.Parse(csv, "t.csv"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("t.csv", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Should_Name_A_Missing_Row()
    {
        var e = Assert.Throws<RistrettoException>(() => OpTable.Horowitz45nm.Get("int_add", 12));
        Assert.Contains("'int_add' at 12 bits", e.Message, StringComparison.Ordinal);
    }
}

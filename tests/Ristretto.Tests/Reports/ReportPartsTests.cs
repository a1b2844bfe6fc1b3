using Ristretto.Formats;
using Ristretto.Hardware;
using Ristretto.Reports;

namespace Ristretto.Tests.Reports;

public class ReportPartsTests
{
    [Fact]
    public void Should_Keep_Only_Undominated_Points_On_The_Pareto_Front()
    {
        (double, double)[] points = [(10, 0.90), (5, 0.80), (7, 0.95), (12, 0.95), (5, 0.80), (3, 0.50)];
        // (10, .90) is dominated by (7, .95); (12, .95) by (7, .95); equal points do not dominate each other.
        Assert.Equal([5, 1, 4, 2], ParetoFront.Of(points));
    }

    [Fact]
    public void Should_Enumerate_The_Grid_Of_A_Dynamic_Fixed_Point_Format_In_A_Range()
    {
        // 4 bits, fl 2: codes -8..7 times 0.25; within [-1, 1]: -1, -0.75, …, 1.
        var grid = FormatGrid.Values(new DynamicFixedPoint(4, 2), -1, 1);
        Assert.Equal(Enumerable.Range(-4, 9).Select(k => k * 0.25), grid);
        Assert.Equal([-1.0, -0.5, -0.25, 0, 0.25, 0.5, 1.0], FormatGrid.Values(new PowerOfTwo(-2, 0), -1, 1));
        Assert.Equal([-0.5, 0, 0.5], FormatGrid.Values(new TernaryFormat(0.1f, 0.5f), -1, 1));
        var asym = IntegerFormat.Asymmetric(2, 0.5f, 1); // codes 0..3 → (q − 1)·0.5
        Assert.Equal([-0.5, 0, 0.5, 1.0], FormatGrid.Values(asym, -5, 5));
    }

    [Fact]
    public void Should_Enumerate_Only_Representable_Minifloat_Values()
    {
        var f = new MiniFloat(2, 1);
        var grid = FormatGrid.Values(f, -100, 100);
        Assert.All(grid, v => Assert.Equal(v, f.Quantize(v)));
        Assert.Equal(grid.Count, grid.Distinct().Count());
        Assert.Contains(f.MaxValue, grid);
        Assert.Contains(0.0, grid);
    }

    [Fact]
    public void Should_Count_Every_Finite_Weight_Once_In_The_Histogram()
    {
        float[] values = [-1f, -0.5f, 0f, 0.25f, 0.5f, 1f, float.NaN];
        var h = WeightHistogram.FromValues(values, 4);
        Assert.Equal(-1, h.Min);
        Assert.Equal(1, h.Max);
        Assert.Equal([1L, 1, 2, 2], h.Counts); // [-1,-.5) [-.5,0) [0,.5) [.5,1]
        using var tensor = TorchSharp.torch.tensor(new float[] { 3, 3, 3 });
        var constant = WeightHistogram.Of(tensor, 3);
        Assert.Equal(3, constant.Counts.Sum());
        Assert.Equal(2.5, constant.Min);
    }
}

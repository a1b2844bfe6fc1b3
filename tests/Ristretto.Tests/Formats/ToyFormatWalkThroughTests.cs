using Ristretto.Formats;
using Ristretto.Hardware;
using Ristretto.Quantization;
using Ristretto.Reports;
using static TorchSharp.torch;

namespace Ristretto.Tests.Formats;

/// <summary>
/// The walk-through of docs/extending.md, done: a number format defined in one file of another assembly
/// (<see cref="ToyFormat"/>, in this test project), registered once, passes the contract every format passes, and is
/// trimmed by layers, written to and read from plan files, drawn as a grid, and costed, with no change to the library.
/// </summary>
public sealed class ToyFormatWalkThroughTests
{
    [Fact]
    public void Should_Trim_Save_Load_Draw_And_Cost_A_Format_Added_In_One_File()
    {
        FormatRegistry.Register(typeof(ToyFormat));
        var toy = new ToyFormat(0.25, 3);

        // Trimmed by the tensor path (the scalar reference is the default kernel), nearest and stochastic.
        using var x = tensor(new[] { -2f, -0.3f, 0.1f, 0.13f, 0.9f, 5f });
        using var y = Trimmer.Trim(toy, x);
        Assert.Equal(new[] { -0.75f, -0.25f, 0f, 0.25f, 0.75f, 0.75f }, y.data<float>().ToArray());
        using var s = Trimmer.Trim(toy, x, Rounding.Stochastic, seed: 7);
        Assert.All(s.data<float>().ToArray(), v => Assert.Equal(0, v / 0.25 % 1, 6));

        // Written to a plan file and read back.
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["ip1"] = new(toy, null, toy, toy) }, "toy");
        using var dir = new Support.TempDir();
        PlanFile.Save(dir.File("p.json"), plan);
        Assert.Equal(toy, PlanFile.Load(dir.File("p.json")).Layers["ip1"].Weights);

        // Drawn over a histogram, and costed as integer arithmetic with a float rescale.
        Assert.Equal([-0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75], FormatGrid.Values(toy, -1, 1));
        var scheme = LayerScheme.Of(toy, null, toy, toy);
        Assert.Equal(MacKind.Integer, scheme.Mac);
        Assert.Equal(RequantKind.FloatMultiply, scheme.Requant);
        Assert.Equal(6, scheme.ProductBits);
    }
}

/// <summary>The toy format against the contract of every format (its tensor trims are the default kernel).</summary>
public sealed class ToyFormatContractTests : Quantization.FormatContract
{
    private static readonly ToyFormat Toy = new(0.25, 7);

    protected override NumberFormat Format => Toy;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel) => Quantization.Edges.Affine(rng, 0.25, 0, -7, 7);

    protected override bool WithinNearestBound(double x, double q, int channel) => Math.Abs(x - q) <= 0.125;

    protected override double StepAt(double x, int channel) => 0.25;

    protected override double[] UnbiasedProbes => [0.3, -1.2345];
}

namespace Ristretto.Hardware;

/// <summary>
/// Energy and area of datapath operations at any width, scaled from an <see cref="OpTable"/> (by default
/// Horowitz, ISSCC 2014, 45 nm 0.9 V). At the widths the table lists, every method returns the table's numbers
/// exactly. Between listed widths the cost is interpolated linearly in the scaling variable; below the smallest
/// (above the largest) listed width it is proportional to the scaling variable from that row. The scaling
/// variables (hardware-cost.md: "an integer adder grows about linearly with its width, an array multiplier about
/// with the product of its operand widths"):
/// <list type="bullet">
/// <item>integer adder: its width <c>b</c> (rows at 8, 16, 32 bits);</item>
/// <item>integer array multiplier: the product of its operand widths <c>b_w·b_a</c> (rows 8×8 and 32×32);</item>
/// <item>float adder: its total width (rows binary16 and binary32);</item>
/// <item>float multiplier: the product of its significand widths <c>p_w·p_a</c>, <c>p = mantissa bits + 1</c>
/// (rows binary16, p = 11, and binary32, p = 24): the significand multiplier dominates (an assumption);</item>
/// <item>barrel shifter over <c>n</c> positions on <c>b</c>-bit data: <c>⌈log2 n⌉</c> stages of <c>b</c> 2:1
/// multiplexers, each stage costed as a <c>b</c>-bit integer adder (an assumption: the table has no shifter);</item>
/// <item>memory: energy proportional to the bits moved, the 32-bit read energy / 32 per bit.</item>
/// </list>
/// </summary>
public sealed class OpCostModel
{
    private readonly (double X, OpCost Cost)[] _intAdd, _intMult, _floatAdd, _floatMult;

    /// <summary>The model over <paramref name="table"/> (default: <see cref="OpTable.Horowitz45nm"/>).</summary>
    public OpCostModel(OpTable? table = null)
    {
        Table = table ?? OpTable.Horowitz45nm;
        _intAdd = Points("int_add", b => b);
        _intMult = Points("int_mult", b => (double)b * b);
        _floatAdd = Points("float_add", b => b);
        _floatMult = Points("float_mult", b => Square(SignificandBits(b)));
    }

    /// <summary>The default model: Horowitz, ISSCC 2014.</summary>
    public static OpCostModel Default { get; } = new();

    /// <summary>The table scaled from.</summary>
    public OpTable Table { get; }

    /// <summary>A <paramref name="bits"/>-bit integer adder (linear in the width).</summary>
    public OpCost IntAdd(double bits) => Scale(_intAdd, Positive(bits));

    /// <summary>A <paramref name="weightBits"/> × <paramref name="activationBits"/> integer array multiplier (linear in <c>b_w·b_a</c>).</summary>
    public OpCost IntMultiply(double weightBits, double activationBits) => Scale(_intMult, Positive(weightBits) * Positive(activationBits));

    /// <summary>A float adder of <paramref name="bits"/> total width (linear in the width).</summary>
    public OpCost FloatAdd(double bits) => Scale(_floatAdd, Positive(bits));

    /// <summary>A float multiplier for significands of <paramref name="significandA"/> and <paramref name="significandB"/> bits (hidden bit included; linear in their product).</summary>
    public OpCost FloatMultiply(double significandA, double significandB) => Scale(_floatMult, Positive(significandA) * Positive(significandB));

    /// <summary>
    /// A barrel shifter moving <paramref name="bits"/>-bit data over <paramref name="positions"/> positions:
    /// <c>⌈log2 positions⌉</c> stages, each costed as a <paramref name="bits"/>-bit integer adder (an assumption).
    /// </summary>
    public OpCost Shifter(double bits, long positions) => Stages(positions) * IntAdd(bits);

    /// <summary>Stages of a logarithmic shifter over <paramref name="positions"/> positions: <c>⌈log2 positions⌉</c>.</summary>
    public static int Stages(long positions) => positions <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(positions - 1));

    /// <summary>Energy per bit read from (or written to) an SRAM of <paramref name="size"/>: the 32-bit read / 32.</summary>
    public double SramPerBitPj(SramSize size) => Table.Get(size.Operation(), 32).EnergyPj / 32;

    /// <summary>Energy per bit moved to or from DRAM: the 32-bit read (low or high end of the range) / 32.</summary>
    public double DramPerBitPj(DramEstimate estimate)
    {
        var row = Table.Get("dram_read", 32);
        return (estimate == DramEstimate.High ? row.EnergyPjMax ?? row.EnergyPj : row.EnergyPj) / 32;
    }

    /// <summary>Significand width (hidden bit included) of the IEEE float of <paramref name="totalBits"/> bits listed in the table.</summary>
    internal static int SignificandBits(int totalBits) => totalBits switch
    {
        16 => 11,
        32 => 24,
        64 => 53,
        _ => throw new RistrettoException($"float rows must be IEEE binary16, binary32 or binary64, got {totalBits} bits"),
    };

    private static double Square(double x) => x * x;

    private static double Positive(double bits) =>
        bits > 0 && double.IsFinite(bits) ? bits : throw new ArgumentOutOfRangeException(nameof(bits), bits, "a width must be positive");

    private (double, OpCost)[] Points(string operation, Func<int, double> variable) =>
        Table.Rows(operation).Select(r => (variable(r.Bits), new OpCost(r.EnergyPj, r.AreaUm2 ?? 0))).ToArray();

    /// <summary>Piecewise linear through the rows; proportional to <paramref name="x"/> outside them.</summary>
    private static OpCost Scale((double X, OpCost Cost)[] points, double x)
    {
        if (x <= points[0].X)
            return (x / points[0].X) * points[0].Cost;
        for (int i = 1; i < points.Length; i++)
        {
            if (x <= points[i].X)
            {
                var (x0, c0) = points[i - 1];
                var (x1, c1) = points[i];
                if (x == x1)
                    return c1;
                double t = (x - x0) / (x1 - x0);
                return new OpCost(c0.EnergyPj + t * (c1.EnergyPj - c0.EnergyPj), c0.AreaUm2 + t * (c1.AreaUm2 - c0.AreaUm2));
            }
        }
        return (x / points[^1].X) * points[^1].Cost;
    }
}

namespace Ristretto.Hardware;

/// <summary>
/// Costs one weighted layer (hardware-cost.md; energies and areas from <see cref="OpCostModel"/>, Horowitz ISSCC
/// 2014 by default). With <c>M</c> MACs, <c>K</c> the dot-product length, <c>L = ⌈log2 K⌉</c>, <c>O</c> outputs,
/// <c>C</c> output channels and accumulator width <c>A = product bits + L</c>:
/// <list type="bullet">
/// <item>MAC array: <c>M · (multiplier + A-bit adder)</c>; the multiplier is a <c>b_w×b_a</c> integer multiplier, a
/// barrel shifter for power-of-two weights, nothing for sign select (binary/ternary: the adder adds or subtracts),
/// a 1-bit XNOR (costed as a 1-bit adder) with popcount, a float multiplier at the significand widths with a
/// float32 adder for minifloat, or float32 multiply + add when a part is float32.</item>
/// <item>bias: one A-bit add (float32 add on float datapaths) per output.</item>
/// <item>re-quantization per output: shift = A-bit shifter over A positions + <c>b_o</c>-bit rounding add; fixed-point
/// scale = A×<c>b_s</c> multiply + shifter + rounding add; float scale = float32 multiply + float32 add (conversion);
/// minifloat output of a float datapath = float add at <c>b_o</c>; + a <c>b_o</c>-bit add for an output zero point.</item>
/// <item>offsets as cross terms: <c>z_a·Σw</c>: one <c>b_a×(b_w+L)</c> multiply per output channel and an A-bit add
/// per output; <c>z_w·Σa</c>: a running sum of activations (K adds of <c>b_a+L</c> bits per output position and
/// group) and a <c>b_w×(b_a+L)</c> multiply plus an A-bit add per output; both: an A-bit add per output for
/// <c>z_w·z_a·K</c>. Per MAC instead: a (<c>b+1</c>)-bit subtract per MAC and offset operand, and a multiplier one
/// bit wider on that operand.</item>
/// <item>memory: weights, biases, scale parameters (and Σw for <c>z_a</c>) read once from SRAM; from DRAM once per
/// batch unless the whole network's parameters fit in the buffer; input read and output written once in SRAM
/// (a write costed as a read), and also through DRAM when they exceed the buffer.</item>
/// <item>area: rows × columns PEs (multiplier + accumulator); one re-quantization unit per tensor, or one per
/// output channel in flight (min(C, columns)) when per-channel; one set of offset units, the per-output parts
/// replicated likewise.</item>
/// </list>
/// </summary>
public sealed class LayerCostModel
{
    /// <summary>A model with these options and op costs.</summary>
    public LayerCostModel(AcceleratorOptions? options = null, OpCostModel? ops = null)
    {
        Options = options ?? AcceleratorOptions.Default;
        Ops = ops ?? OpCostModel.Default;
    }

    /// <summary>The accelerator assumed.</summary>
    public AcceleratorOptions Options { get; }

    /// <summary>Energy and area per operation.</summary>
    public OpCostModel Ops { get; }

    /// <summary>Costs a layer; <paramref name="weightsResident"/> when every parameter of the network fits in the buffer.</summary>
    public LayerCost Cost(string name, string type, LayerShape shape, LayerScheme scheme, bool weightsResident)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(scheme);
        shape.Validated();
        int l = shape.GrowthBits;
        bool perMac = Options.Offsets == OffsetImplementation.PerMac && scheme.IsIntegerDatapath;
        int wOperand = scheme.WeightBits + (perMac && scheme.WeightOffset ? 1 : 0);
        int aOperand = scheme.InputBits + (perMac && scheme.InputOffset ? 1 : 0);
        int acc = scheme.ProductBits + (wOperand - scheme.WeightBits) + (aOperand - scheme.InputBits) + l;
        var pe = ProcessingElement(scheme, wOperand, aOperand, acc);
        // Base-√2 log operands: a second accumulator per PE (area only: each MAC updates one of them).
        pe += new OpCost(0, (scheme.Accumulators - 1) * Ops.IntAdd(acc).AreaUm2);
        if (perMac)
            pe += (scheme.WeightOffset ? Ops.IntAdd(wOperand) : OpCost.Zero) + (scheme.InputOffset ? Ops.IntAdd(aOperand) : OpCost.Zero);
        var biasAdd = shape.Biases == 0 ? OpCost.Zero : scheme.IsIntegerDatapath ? Ops.IntAdd(acc) : Ops.FloatAdd(32);
        var requant = Requant(scheme, acc) + ExtraAccumulators(scheme, acc);
        var (offsetEnergy, offsetArea, sigmaBits) = perMac ? (0.0, 0.0, 0L) : CrossTerms(shape, scheme, acc);
        long extraBits = scheme.ScaleParameterBits + sigmaBits;

        var layer = new LayerCost
        {
            Name = name, Type = type, Shape = shape, Scheme = scheme, ExtraParameterBits = extraBits,
            Energy = EnergyBreakdown.Zero, Area = new AreaBreakdown(0, 0, 0), WeightsFromDram = !weightsResident, ActivationsSpill = false,
        };
        long paramBits = layer.WeightBits + extraBits;
        long actBits = layer.ActivationBits;
        bool spill = actBits > Options.Sram.CapacityBits();
        double sram = Ops.SramPerBitPj(Options.Sram), dram = Ops.DramPerBitPj(Options.Dram);
        int requantUnits = scheme.PerChannel ? (int)Math.Min(shape.OutputChannels, Options.ArrayColumns) : 1;
        return layer with
        {
            ActivationsSpill = spill,
            Energy = new EnergyBreakdown(
                Mac: shape.Macs * pe.EnergyPj,
                Bias: shape.OutputElements * biasAdd.EnergyPj,
                Requant: shape.OutputElements * requant.EnergyPj,
                Offsets: offsetEnergy,
                Sram: (paramBits + actBits) * sram,
                Dram: (weightsResident ? 0 : paramBits * dram / Options.Batch) + (spill ? actBits * dram : 0)),
            Area = new AreaBreakdown(
                Array: (double)Options.ArrayRows * Options.ArrayColumns * pe.AreaUm2,
                Requant: requantUnits * requant.AreaUm2,
                Offsets: offsetArea * (scheme.PerChannel ? requantUnits : 1)),
        };
    }

    private OpCost ProcessingElement(LayerScheme s, int wBits, int aBits, int acc) => s.Mac switch
    {
        MacKind.Float32 => Ops.FloatMultiply(24, 24) + Ops.FloatAdd(32),
        MacKind.MiniFloat => Ops.FloatMultiply(s.Significands.Weight, s.Significands.Input) + Ops.FloatAdd(32),
        MacKind.Integer => Ops.IntMultiply(wBits, aBits) + Ops.IntAdd(acc),
        MacKind.Shift => Ops.Shifter(s.ShiftDataBits, s.ShiftPositions) + Ops.IntAdd(acc),
        MacKind.SignSelect => Ops.IntAdd(acc),
        _ => Ops.IntAdd(1) + Ops.IntAdd(acc),
    };

    private OpCost Requant(LayerScheme s, int acc)
    {
        var unit = s.Requant switch
        {
            RequantKind.None => OpCost.Zero,
            RequantKind.Shift => Ops.Shifter(acc, acc) + Ops.IntAdd(s.OutputBits),
            RequantKind.FixedPointMultiply => Ops.IntMultiply(acc, s.ScaleBits) + Ops.Shifter(acc + s.ScaleBits, acc + s.ScaleBits) + Ops.IntAdd(s.OutputBits),
            RequantKind.FloatMultiply => Ops.FloatMultiply(24, 24) + Ops.FloatAdd(32),
            _ => Ops.FloatAdd(s.OutputBits),
        };
        return s.OutputOffset ? unit + Ops.IntAdd(s.OutputBits) : unit;
    }

    /// <summary>
    /// Base-√2 log operands keep the odd exponents' products in their own accumulator; once per output it is multiplied by
    /// the constant √2 (an A×A integer multiply) and added to the even one (an A-bit add). Nothing for other formats.
    /// </summary>
    private OpCost ExtraAccumulators(LayerScheme s, int acc) =>
        s.Accumulators <= 1 ? OpCost.Zero : (s.Accumulators - 1) * (Ops.IntMultiply(acc, acc) + Ops.IntAdd(acc));

    /// <summary>Energy and area of the zero-point cross terms, and the bits of Σw stored for <c>z_a</c>.</summary>
    private (double Energy, double Area, long SigmaBits) CrossTerms(LayerShape shape, LayerScheme s, int acc)
    {
        if (!s.IsIntegerDatapath || !(s.WeightOffset || s.InputOffset))
            return (0, 0, 0);
        int l = shape.GrowthBits;
        double energy = 0, area = 0;
        long sigmaBits = 0;
        var add = Ops.IntAdd(acc);
        if (s.InputOffset)
        {
            var mult = Ops.IntMultiply(s.InputBits, s.WeightBits + l);
            energy += shape.OutputChannels * mult.EnergyPj + shape.OutputElements * add.EnergyPj;
            area += mult.AreaUm2 + add.AreaUm2;
            sigmaBits = shape.OutputChannels * (s.WeightBits + l);
        }
        if (s.WeightOffset)
        {
            var running = Ops.IntAdd(s.InputBits + l);
            var mult = Ops.IntMultiply(s.WeightBits, s.InputBits + l);
            energy += (double)shape.Positions * shape.Groups * shape.ReductionLength * running.EnergyPj
                      + shape.OutputElements * (mult.EnergyPj + add.EnergyPj);
            area += running.AreaUm2 + mult.AreaUm2 + add.AreaUm2;
        }
        if (s.WeightOffset && s.InputOffset)
        {
            energy += shape.OutputElements * add.EnergyPj;
            area += add.AreaUm2;
        }
        return (energy, area, sigmaBits);
    }
}

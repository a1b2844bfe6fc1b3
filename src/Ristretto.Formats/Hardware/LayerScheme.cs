using Ristretto.Formats;

namespace Ristretto.Hardware;

/// <summary>
/// The arithmetic a layer's formats call for, read from the frozen formats of a plan (hardware-cost.md, "What a
/// quantization scheme costs beyond its multipliers"): the MAC kind, the widths, the re-quantization unit, zero
/// points (offsets) and per-channel parameters. Dynamic fixed point and power-of-two scales re-quantize with a
/// shift, fixed-point scales with an integer multiply and shift, float scales (and binary/ternary α) with a float
/// multiply; a part left in float32 counts 32 bits.
/// </summary>
public sealed record LayerScheme
{
    /// <summary>The multiply-accumulate hardware.</summary>
    public required MacKind Mac { get; init; }

    /// <summary>Bits per weight, input, output and bias value (32 where the part stays float32).</summary>
    public required int WeightBits { get; init; }

    /// <inheritdoc cref="WeightBits"/>
    public required int InputBits { get; init; }

    /// <inheritdoc cref="WeightBits"/>
    public required int OutputBits { get; init; }

    /// <inheritdoc cref="WeightBits"/>
    public required int BiasBits { get; init; }

    /// <summary>Bits of one product entering the accumulator: <c>b_w + b_a</c>; for a shifter <c>b_a + (e_max − e_min)</c>; sign select <c>b_a</c>; XNOR 1.</summary>
    public required int ProductBits { get; init; }

    /// <summary>Significand widths (hidden bit included) of a float multiplier's operands; 0 for integer MACs.</summary>
    public (int Weight, int Input) Significands { get; init; }

    /// <summary>Positions a power-of-two weight shifts over (<c>e_max − e_min + 1</c>); 0 otherwise.</summary>
    public int ShiftPositions { get; init; }

    /// <summary>
    /// Width of the value a shift MAC shifts: the input for power-of-two weights, the weight for log activations, the
    /// decoded weight (sign + its positions) when both are powers of two; 0 unless <see cref="MacKind.Shift"/>.
    /// </summary>
    public int ShiftDataBits { get; init; }

    /// <summary>Accumulators per MAC unit (1; 2 for base-√2 log operands: the odd exponents' sum is multiplied by √2 once per output).</summary>
    public int Accumulators { get; init; } = 1;

    /// <summary>The re-quantization unit.</summary>
    public required RequantKind Requant { get; init; }

    /// <summary>Width of a fixed-point re-quantization multiplier's scale operand (0 unless <see cref="RequantKind.FixedPointMultiply"/>).</summary>
    public int ScaleBits { get; init; }

    /// <summary>Weights have non-zero zero points (asymmetric).</summary>
    public bool WeightOffset { get; init; }

    /// <summary>Inputs have non-zero zero points (asymmetric, e.g. LSQ+ activations).</summary>
    public bool InputOffset { get; init; }

    /// <summary>Outputs have non-zero zero points (one extra add after re-quantization).</summary>
    public bool OutputOffset { get; init; }

    /// <summary>
    /// The input codes are unsigned (a non-negative tensor: after a ReLU, pooling of such). A b-bit unsigned operand costs
    /// b bits like a signed one (a mixed-sign multiplier; the product still has <c>b_w + b_a</c> bits): the unsigned
    /// format buys one bit of resolution at the same width, not a cheaper multiplier.
    /// </summary>
    public bool UnsignedInput { get; init; }

    /// <summary>The output codes are unsigned (the requantization clamps at 0: a ReLU folded into it).</summary>
    public bool UnsignedOutput { get; init; }

    /// <summary>A format of the layer has per-channel scales.</summary>
    public bool PerChannel { get; init; }

    /// <summary>Stored bits of scales, zero points and α of the layer's formats (per channel where per-channel).</summary>
    public long ScaleParameterBits { get; init; }

    /// <summary>True when the MAC is an integer-code datapath (integer, shift, sign select or XNOR).</summary>
    public bool IsIntegerDatapath => Mac is MacKind.Integer or MacKind.Shift or MacKind.SignSelect or MacKind.Xnor;

    /// <summary>Short text for tables: e.g. "int 8×8, shift requant".</summary>
    public string Describe()
    {
        string mac = Mac switch
        {
            MacKind.Float32 => "float32",
            MacKind.MiniFloat => $"minifloat {WeightBits}×{InputBits}",
            MacKind.Integer => $"int {WeightBits}×{(UnsignedInput ? "u" : "")}{InputBits}",
            MacKind.Shift => $"shift {ShiftDataBits}-bit" + (Accumulators > 1 ? " ×√2" : ""),
            MacKind.SignSelect => $"sign-select {Math.Max(WeightBits, InputBits)}-bit",
            _ => "xnor/popcount",
        };
        string requant = Requant switch
        {
            RequantKind.None => "",
            RequantKind.Shift => ", shift requant",
            RequantKind.FixedPointMultiply => $", int×{ScaleBits}-bit scale",
            RequantKind.FloatMultiply => ", float scale",
            _ => ", float round",
        };
        string offsets = (WeightOffset, InputOffset) switch
        {
            (true, true) => ", z_w and z_a",
            (true, false) => ", z_w",
            (false, true) => ", z_a",
            _ => "",
        };
        return mac + requant + offsets + (PerChannel ? ", per-channel" : "");
    }

    /// <summary>
    /// The scheme of a layer with these formats (null: float32). A format the cost model does not know is a
    /// <see cref="RistrettoException"/>.
    /// </summary>
    public static LayerScheme Of(NumberFormat? weights, NumberFormat? bias, NumberFormat? input, NumberFormat? output)
    {
        int bw = weights?.BitWidth ?? 32, ba = input?.BitWidth ?? 32, bo = output?.BitWidth ?? 32, bb = bias?.BitWidth ?? 32;
        var mac = MacOf(weights, input);
        var (shiftData, shiftPositions, accumulators) = mac == MacKind.Shift ? ShiftOf(weights!, input!) : (0, weights?.ShiftPositions ?? 0, 1);
        int product = mac switch
        {
            MacKind.Shift => shiftData + (shiftPositions - 1),
            MacKind.SignSelect => IsTwoLevel(weights) ? ba : bw,
            MacKind.Xnor => 1,
            _ => bw + ba,
        };
        var requant = RequantOf(mac, weights, input, output);
        int? scaleBits = requant == RequantKind.FixedPointMultiply
            ? new[] { weights, input, output }.Where(f => f?.RequantScale == ScaleKind.FixedPoint).Max(f => f!.FixedScaleBits)
            : null;
        NumberFormat?[] all = [weights, input, output];
        return new LayerScheme
        {
            Mac = mac,
            WeightBits = bw,
            InputBits = ba,
            OutputBits = bo,
            BiasBits = bb,
            ProductBits = product,
            Significands = mac == MacKind.MiniFloat ? (weights!.SignificandBits, input!.SignificandBits) : (0, 0),
            ShiftPositions = shiftPositions,
            ShiftDataBits = shiftData,
            Accumulators = accumulators,
            Requant = requant,
            ScaleBits = scaleBits ?? 0,
            WeightOffset = weights?.HasZeroPoint ?? false,
            InputOffset = input?.HasZeroPoint ?? false,
            OutputOffset = output?.HasZeroPoint ?? false,
            UnsignedInput = input?.Unsigned ?? false,
            UnsignedOutput = output?.Unsigned ?? false,
            PerChannel = all.Any(f => f?.ChannelAxis is not null),
            ScaleParameterBits = all.Sum(f => f?.ScaleParameterBits ?? 0),
        };
    }

    private static MacKind MacOf(NumberFormat? w, NumberFormat? a)
    {
        if (w is null || a is null)
            return MacKind.Float32;
        if (w.Arithmetic == FormatArithmetic.FloatingPoint || a.Arithmetic == FormatArithmetic.FloatingPoint)
            return MacKind.MiniFloat;
        if (IsTwoLevel(w) && IsTwoLevel(a))
            return MacKind.Xnor;
        if (IsTwoLevel(w) || IsTwoLevel(a))
            return MacKind.SignSelect;
        return w.Arithmetic == FormatArithmetic.Shift || a.Arithmetic == FormatArithmetic.Shift ? MacKind.Shift : MacKind.Integer;
    }

    /// <summary>
    /// What a shift MAC shifts, over how many positions, into how many accumulators: power-of-two weights shift the input;
    /// log activations shift the weight; both: the decoded weight (a sign and its positions) shifts by the activation.
    /// </summary>
    private static (int Data, int Positions, int Accumulators) ShiftOf(NumberFormat w, NumberFormat a)
    {
        int accumulators = Math.Max(w.ShiftAccumulators, 1) * Math.Max(a.ShiftAccumulators, 1);
        bool weightShifts = w.Arithmetic == FormatArithmetic.Shift, inputShifts = a.Arithmetic == FormatArithmetic.Shift;
        return (weightShifts, inputShifts) switch
        {
            (true, false) => (a.BitWidth, w.ShiftPositions, accumulators),
            (false, true) => (w.BitWidth, a.ShiftPositions, accumulators),
            _ => (1 + w.ShiftPositions, a.ShiftPositions, accumulators),
        };
    }

    private static bool IsTwoLevel(NumberFormat? f) => f?.Arithmetic == FormatArithmetic.TwoLevel;

    private static RequantKind RequantOf(MacKind mac, NumberFormat? w, NumberFormat? a, NumberFormat? o)
    {
        bool floatOut = o?.Arithmetic == FormatArithmetic.FloatingPoint;
        if (mac is MacKind.Float32 or MacKind.MiniFloat)
            return o is null ? RequantKind.None : floatOut ? RequantKind.FloatRound : RequantKind.FloatMultiply;
        if (o is null || floatOut)
            return RequantKind.FloatMultiply; // back to float: int→float and a float scale
        var kinds = new[] { w, a, o }.Select(f => f?.RequantScale ?? ScaleKind.Float).ToList();
        return kinds.Contains(ScaleKind.Float) ? RequantKind.FloatMultiply
            : kinds.Contains(ScaleKind.FixedPoint) ? RequantKind.FixedPointMultiply
            : RequantKind.Shift;
    }
}

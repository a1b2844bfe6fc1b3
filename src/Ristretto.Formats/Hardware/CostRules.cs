using System.Globalization;

namespace Ristretto.Hardware;

/// <summary>
/// The cost model's rules and sources as sentences, for reports: the same statements as the XML docs of
/// <see cref="OpCostModel"/> and <see cref="LayerCostModel"/>, so that every report says how its numbers were made.
/// </summary>
public static class CostRules
{
    /// <summary>The citation of the default op table.</summary>
    public const string Source = "M. Horowitz, \"Computing's energy problem (and what we can do about it)\", ISSCC 2014 (45 nm, 0.9 V), as listed in hardware-cost.md";

    /// <summary>The seed study of scheme overheads.</summary>
    public const string SchemeSource = "the seed study of fixed-point quantization variants in a DNN accelerator (hardware-cost.md): MAC array, re-quantization per scheme, offsets, per-channel scales, memory at trimmed widths";

    /// <summary>The rules, one sentence each, for the given options.</summary>
    public static IReadOnlyList<string> Lines(AcceleratorOptions options, OpCostModel? ops = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ops ??= OpCostModel.Default;
        var c = CultureInfo.InvariantCulture;
        return
        [
            $"Energy and area per operation: {Source}; at the listed widths the model returns the table's numbers exactly.",
            "Integer adder: linear in its width between the 8-, 16- and 32-bit rows; proportional to the width from the nearest row outside them.",
            "Integer array multiplier: linear in the product of its operand widths b_w·b_a between the 8×8 and 32×32 rows; proportional to b_w·b_a outside them.",
            "Float adder: linear in the total width between binary16 and binary32; float multiplier: linear in the product of the significand widths (mantissa + 1; 11 and 24 for the listed rows). Minifloat MACs multiply at their significand widths and accumulate in float32, as Ristretto simulates them (assumption).",
            "Power-of-two weights replace the multiplier by a barrel shifter: ⌈log2 n⌉ stages over n = e_max − e_min + 1 positions, each stage costed as an integer adder of the data width (assumption: the table has no shifter). Products grow to b_a + e_max − e_min bits. Log activations (base 2 or √2) do the same with the roles swapped: the weight is shifted over the activation's octaves (b_w + octaves − 1 product bits); both powers of two: the decoded weight (sign + its positions) is shifted. Base √2 keeps a second accumulator for the odd exponents, multiplied by √2 once per output (an A×A integer multiply and an A-bit add).",
            "Binary/ternary weights against multi-bit activations: sign select, the accumulator adds or subtracts (no multiplier); binary/ternary on both sides: a 1-bit XNOR (costed as a 1-bit adder) and a popcount accumulator (assumptions).",
            "Accumulator: product bits + ⌈log2 K⌉ for a dot product of length K; one accumulator add per MAC and one bias add per output.",
            "Re-quantization per output: dynamic fixed point and power-of-two scales by a shift (an A-bit shifter over A positions + a rounding add at the output width); fixed-point scales by an A×b_s integer multiply, a shift and a rounding add; float scales (and binary/ternary α, and integer layers with float32 outputs) by a float32 multiply + a float32 add for the int↔float conversion; a minifloat output of a float datapath by a float add at the output width; an output zero point adds one add.",
            $"Offsets (zero points), {(options.Offsets == OffsetImplementation.CrossTerms ? "as cross terms: z_a·Σw one multiply per output channel and one add per output; z_w·Σa a running sum of activations (K adds per output position and group) and a multiply and an add per output; z_w·z_a·K one add per output" : "per MAC: a subtract per MAC and offset operand, with a multiplier and accumulator one bit wider")}.",
            "Per-channel scales: one re-quantization unit per output channel in flight (min(C, array columns)) instead of one per tensor; each scale (32-bit float, fixed-point integer bits, or an 8-bit exponent) and zero point is stored and read with the weights.",
            string.Create(c, $"Memory energy is proportional to the bits moved: SRAM ({options.Sram.Label()} buffer) {ops.SramPerBitPj(options.Sram):0.###} pJ/bit, DRAM {ops.DramPerBitPj(options.Dram):0.###} pJ/bit (the {(options.Dram == DramEstimate.Low ? "low" : "high")} end of 1,300–2,600 pJ per 32 bits); a write costs as a read (assumption)."),
            $"Weights, biases and scale parameters are read once per inference from SRAM and once per batch of {options.Batch} from DRAM, unless every parameter of the network fits in the {options.Sram.Label()} buffer; a layer's input and output activations move once through SRAM, and through DRAM too when together they exceed the buffer.",
            $"Area: a {options.ArrayRows}×{options.ArrayColumns} array of processing elements (multiplier + accumulator) plus the re-quantization and offset units; memory macros are not included (the table lists no SRAM area). A network's datapath is the componentwise maximum over its layers.",
            "Only convolution and inner-product layers are costed; pooling, activation and element-wise layers are not. A part left in float32 counts 32 bits and float32 arithmetic.",
            string.Create(c, $"Roofline (Williams et al., CACM 2009): 2 operations per MAC, bytes = weights, biases, scale parameters and activations at the plan's widths; platform {options.Platform.Name}, ridge {options.Platform.Ridge:0.##} ops/byte."),
        ];
    }
}

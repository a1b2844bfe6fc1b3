namespace Ristretto.Hardware;

/// <summary>
/// A layer's energy once its weights are compressed (docs/compression.md): zero skipping performs only the MACs of
/// kept weights (MAC energy × density, the bias, re-quantization and offsets unchanged), and the weights are read
/// at their stored size (<see cref="WeightStorage.TotalBits"/> replaces the dense weight and bias bits in the SRAM and
/// DRAM terms). The decoding itself (a codebook lookup and a position counter per kept weight) is not costed.
/// Low rank needs nothing here: its factors are ordinary layers with their own MACs.
/// </summary>
public static class CompressedCost
{
    /// <summary>The energy of <paramref name="dense"/> with <paramref name="density"/> of its MACs and <paramref name="storedBits"/> of parameters.</summary>
    public static EnergyBreakdown Energy(LayerCost dense, double density, long storedBits, LayerCostModel model)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(model);
        double sram = model.Ops.SramPerBitPj(model.Options.Sram), dram = model.Ops.DramPerBitPj(model.Options.Dram);
        long paramBits = storedBits + dense.ExtraParameterBits;
        long actBits = dense.ActivationBits;
        var e = dense.Energy;
        return e with
        {
            Mac = e.Mac * density,
            Sram = (paramBits + actBits) * sram,
            Dram = (dense.WeightsFromDram ? paramBits * dram / model.Options.Batch : 0) + (dense.ActivationsSpill ? actBits * dram : 0),
        };
    }
}

namespace Ristretto.Hardware;

/// <summary>
/// A platform for the roofline model (Williams, Waterman, Patterson, CACM 2009): peak operations per second and
/// memory bandwidth. A layer whose operational intensity (ops per byte moved) is below <see cref="Ridge"/> is
/// memory-bound, otherwise compute-bound.
/// </summary>
/// <param name="Name">Platform name, shown in reports.</param>
/// <param name="PeakOpsPerSecond">Peak arithmetic throughput (operations/s; a MAC counts as 2 operations).</param>
/// <param name="BytesPerSecond">Memory bandwidth (bytes/s).</param>
public sealed record RooflinePlatform(string Name, double PeakOpsPerSecond, double BytesPerSecond)
{
    /// <summary>
    /// The default: NVIDIA Jetson Nano, 472 GFLOP/s (FP16 peak) and 25.6 GB/s (64-bit LPDDR4), as NVIDIA's
    /// Jetson Nano module data sheet lists them.
    /// </summary>
    public static RooflinePlatform JetsonNano { get; } = new("NVIDIA Jetson Nano (472 GOP/s FP16, 25.6 GB/s LPDDR4)", 472e9, 25.6e9);

    /// <summary>The intensity (ops/byte) where the roofs meet: <c>peak / bandwidth</c>.</summary>
    public double Ridge => PeakOpsPerSecond / BytesPerSecond;

    /// <summary>Attainable ops/s at <paramref name="intensity"/>: <c>min(peak, bandwidth · intensity)</c>.</summary>
    public double Attainable(double intensity) => Math.Min(PeakOpsPerSecond, BytesPerSecond * intensity);

    /// <summary>True when a layer of <paramref name="intensity"/> is limited by memory bandwidth.</summary>
    public bool IsMemoryBound(double intensity) => intensity < Ridge;

    /// <summary>Checks the numbers; a bad one is a <see cref="RistrettoException"/>.</summary>
    public RooflinePlatform Validated()
    {
        if (!(PeakOpsPerSecond > 0 && double.IsFinite(PeakOpsPerSecond)))
            throw new RistrettoException($"peak ops/s must be positive, got {PeakOpsPerSecond}");
        if (!(BytesPerSecond > 0 && double.IsFinite(BytesPerSecond)))
            throw new RistrettoException($"bandwidth must be positive bytes/s, got {BytesPerSecond}");
        return this;
    }
}

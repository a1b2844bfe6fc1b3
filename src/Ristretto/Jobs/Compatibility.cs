namespace Ristretto.Jobs;

/// <summary>Whose rules fit formats to calibrated ranges (the <c>--compat</c> option of <c>quantize</c>).</summary>
public enum Compatibility
{
    /// <summary>This project's defaults: ranges that hold what they quantize, unsigned non-negative tensors, a bias of its own.</summary>
    None,

    /// <summary>
    /// Ristretto's rules bit for bit: activations <c>il = ceil(log2 max)</c> on a signed format, weights one bit more,
    /// the bias sharing the weights' format; its table stays reproducible.
    /// </summary>
    Ristretto,
}

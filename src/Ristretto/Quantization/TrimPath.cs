namespace Ristretto.Quantization;

/// <summary>Which implementation trims a tensor (tests and benchmarks pick one; layers use <see cref="Auto"/>).</summary>
internal enum TrimPath
{
    /// <summary>The fused kernel when the tensor allows it (CPU, float32, contiguous), the torch-op chain otherwise.</summary>
    Auto,

    /// <summary>Always the fused CPU kernel (throws if the tensor does not allow it).</summary>
    Fused,

    /// <summary>Always the torch-op chain (what CUDA runs).</summary>
    Chain,
}

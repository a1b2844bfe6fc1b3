using static TorchSharp.torch;

namespace Ristretto.Tests.Support;

/// <summary>Bit-level comparison of float32 tensors (signed zeros and NaN payloads count).</summary>
public static class Bits
{
    /// <summary>True when both tensors have the same shape and the same float32 bit patterns.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape)
        && a.detach().cpu().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits)
            .SequenceEqual(b.detach().cpu().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits));
}

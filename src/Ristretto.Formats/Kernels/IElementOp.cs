using System.Runtime.Intrinsics;

namespace Ristretto.Formats;

/// <summary>
/// The elementwise maths of one format for one channel, on eight float32 lanes at a time. Implementations are
/// small structs so the JIT specialises <see cref="FusedKernel"/> for each and inlines the call.
/// </summary>
internal interface IElementOp
{
    /// <summary>Trims eight values; <paramref name="k"/> holds their 24-bit stochastic draws (unused for nearest).</summary>
    Vector256<float> Apply(Vector256<float> x, Vector256<uint> k);
}

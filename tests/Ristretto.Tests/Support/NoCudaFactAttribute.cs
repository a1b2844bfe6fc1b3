using Ristretto.Engine;
using TorchSharp;

namespace Ristretto.Tests.Support;

/// <summary>
/// A fact about what happens where there is no CUDA (the one-line error for <c>--device cuda</c>); skipped, saying
/// why, on a machine whose libtorch sees a CUDA device.
/// </summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        if (DeviceSelector.Resolve("auto").type == DeviceType.CUDA)
            Skip = $"CUDA is available here (libtorch from {TorchRuntime.Source}); this test checks the error where there is none";
    }
}

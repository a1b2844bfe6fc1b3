using TorchSharp;

namespace Ristretto.Engine;

/// <summary>Turns the user's <c>--device</c> value (cpu, cuda, cuda:N, auto) into a torch device.</summary>
public static class DeviceSelector
{
    /// <summary>The values <c>--device</c> accepts, for help texts.</summary>
    public const string Accepted = "cpu, cuda, cuda:N or auto";

    /// <summary>
    /// Resolves <paramref name="spec"/>. <c>auto</c> means CUDA when it is available, else CPU.
    /// Asking for CUDA where there is none is a <see cref="RistrettoException"/> with one line.
    /// </summary>
    public static torch.Device Resolve(string? spec)
    {
        TorchRuntime.Initialize();
        string s = (spec ?? "auto").Trim().ToLowerInvariant();
        if (s == "cpu")
            return torch.CPU;
        if (s == "auto")
            return CudaAvailable() ? new torch.Device(DeviceType.CUDA, 0) : torch.CPU;
        if (s == "cuda" || s.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (s.Length > 4 && (!int.TryParse(s.AsSpan(5), out index) || index < 0))
                throw new RistrettoException($"bad --device '{spec}': expected {Accepted}");
            if (!CudaAvailable())
                throw new RistrettoException(
                    $"--device {spec}: CUDA is not available here (libtorch from {TorchRuntime.Source}); " +
                    $"set {TorchRuntime.LibDirVariable} to a CUDA-enabled PyTorch's torch/lib folder, or use --device cpu");
            int count = torch.cuda.device_count();
            if (index >= count)
                throw new RistrettoException($"--device {spec}: this machine has {count} CUDA device(s) (cuda:0..cuda:{count - 1})");
            return new torch.Device(DeviceType.CUDA, index);
        }
        throw new RistrettoException($"bad --device '{spec}': expected {Accepted}");
    }

    private static bool CudaAvailable()
    {
        try
        {
            return torch.cuda.is_available();
        }
        catch (Exception e) when (e is DllNotFoundException or NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }
}

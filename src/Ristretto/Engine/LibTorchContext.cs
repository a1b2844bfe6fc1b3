using System.Runtime.InteropServices;

namespace Ristretto.Engine;

/// <summary>
/// Switches of libtorch's global <c>at::Context</c> that TorchSharp does not expose, reached through
/// libtorch_cpu's exported C++ symbols (x86-64 System V ABI: the object pointer is the first argument).
/// </summary>
public static unsafe class LibTorchContext
{
    private const string GlobalContext = "_ZN2at13globalContextEv";

    /// <summary>Whether ATen may use oneDNN (mkldnn) CPU kernels; null when libtorch does not export the switch.</summary>
    public static bool? Mkldnn => Get("_ZNK2at7Context17userEnabledMkldnnEv");

    /// <summary>Whether ATen may use NNPACK CPU kernels; null when libtorch does not export the switch.</summary>
    public static bool? Nnpack => Get("_ZNK2at7Context17userEnabledNNPACKEv");

    /// <summary>Turns ATen's use of oneDNN on or off; false when the switch is not exported.</summary>
    public static bool TrySetMkldnn(bool enabled) => Set("_ZN2at7Context20setUserEnabledMkldnnEb", enabled);

    /// <summary>Turns ATen's use of NNPACK on or off; false when the switch is not exported.</summary>
    public static bool TrySetNnpack(bool enabled) => Set("_ZN2at7Context20setUserEnabledNNPACKEb", enabled);

    /// <summary>
    /// Turns MKL's dynamic threading (fewer threads when the machine is busy) on or off; false when
    /// libtorch carries no MKL. With it on, a BLAS call's summation order, and so its last bits, depends
    /// on the load at that moment.
    /// </summary>
    public static bool TrySetMklDynamic(bool enabled)
    {
        if (!TryLoadTorchCpu(out var lib) || !NativeLibrary.TryGetExport(lib, "MKL_Set_Dynamic", out var fn))
            return false;
        ((delegate* unmanaged<int, void>)fn)(enabled ? 1 : 0);
        return true;
    }

    private static bool? Get(string symbol)
    {
        if (!TryResolve(symbol, out var context, out var fn))
            return null;
        return ((delegate* unmanaged<IntPtr, byte>)fn)(context) != 0;
    }

    private static bool Set(string symbol, bool enabled)
    {
        if (!TryResolve(symbol, out var context, out var fn))
            return false;
        ((delegate* unmanaged<IntPtr, byte, void>)fn)(context, enabled ? (byte)1 : (byte)0);
        return true;
    }

    private static bool TryResolve(string symbol, out IntPtr context, out IntPtr fn)
    {
        context = fn = IntPtr.Zero;
        if (!TryLoadTorchCpu(out var lib))
            return false;
        if (!NativeLibrary.TryGetExport(lib, GlobalContext, out var global) || !NativeLibrary.TryGetExport(lib, symbol, out fn))
            return false;
        context = ((delegate* unmanaged<IntPtr>)global)();
        return context != IntPtr.Zero;
    }

    private static bool TryLoadTorchCpu(out IntPtr lib)
    {
        lib = IntPtr.Zero;
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return false;
        return NativeLibrary.TryLoad("libtorch_cpu.so", typeof(LibTorchContext).Assembly, null, out lib)
            || NativeLibrary.TryLoad("libtorch_cpu.so", out lib);
    }
}

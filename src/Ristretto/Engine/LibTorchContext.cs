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

    /// <summary>
    /// Whether libc10's CPU allocator fills every new tensor buffer with zeros (<c>FLAGS_caffe2_cpu_allocator_do_zero_fill</c>);
    /// null when libc10 does not export the flag.
    /// </summary>
    public static bool? AllocatorZeroFill => GetFlag(ZeroFillFlag);

    /// <summary>
    /// Makes libc10's CPU allocator fill every new tensor buffer with zeros (or stop doing so); false when the flag is not
    /// exported. It does not make libtorch 2.10's oneDNN convolutions correct: they leave the partial last channel block
    /// of their blocked source copy unwritten, and zeros there only turn NaN outputs into sums that miss those channels
    /// (docs/performance.md, tools/onednn-repro). For tests and the reproduction.
    /// </summary>
    public static bool TrySetAllocatorZeroFill(bool enabled) => SetFlag(ZeroFillFlag, enabled);

    /// <summary>
    /// Makes libc10's CPU allocator fill every new buffer with a NaN pattern (<c>FLAGS_caffe2_cpu_allocator_do_junk_fill</c>),
    /// so that a kernel reading memory it did not write shows at once. c10 aborts when both fills are on, so turning this
    /// on turns zero fill off. For tests and the reproduction.
    /// </summary>
    public static bool TrySetAllocatorJunkFill(bool enabled)
    {
        if (enabled && !TrySetAllocatorZeroFill(false))
            return false;
        return SetFlag("FLAGS_caffe2_cpu_allocator_do_junk_fill", enabled);
    }

    private const string ZeroFillFlag = "FLAGS_caffe2_cpu_allocator_do_zero_fill";

    private static bool? GetFlag(string symbol) =>
        TryLoadC10(out var lib) && NativeLibrary.TryGetExport(lib, symbol, out var flag) ? *(byte*)flag != 0 : null;

    private static bool SetFlag(string symbol, bool enabled)
    {
        if (!TryLoadC10(out var lib) || !NativeLibrary.TryGetExport(lib, symbol, out var flag))
            return false;
        *(byte*)flag = enabled ? (byte)1 : (byte)0; // a C++ bool (gflags-style DEFINE_bool in c10/core/CPUAllocator.cpp)
        return true;
    }

    private static bool TryLoadC10(out IntPtr lib) => TryLoadLibrary("libc10.so", out lib);

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

    // Resolved exports of libtorch_cpu (only those found), so that reading a switch in a hot path is a call, not a lookup.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IntPtr> Exports = new(StringComparer.Ordinal);

    private static bool TryResolve(string symbol, out IntPtr context, out IntPtr fn)
    {
        context = IntPtr.Zero;
        var global = Export(GlobalContext);
        fn = Export(symbol);
        if (global == IntPtr.Zero || fn == IntPtr.Zero)
            return false;
        context = ((delegate* unmanaged<IntPtr>)global)();
        return context != IntPtr.Zero;
    }

    private static IntPtr Export(string symbol)
    {
        if (Exports.TryGetValue(symbol, out var known))
            return known;
        if (!TryLoadTorchCpu(out var lib) || !NativeLibrary.TryGetExport(lib, symbol, out var fn))
            return IntPtr.Zero; // not remembered: libtorch may not be loaded yet
        return Exports.GetOrAdd(symbol, fn);
    }

    private static bool TryLoadTorchCpu(out IntPtr lib) => TryLoadLibrary("libtorch_cpu.so", out lib);

    /// <summary>One of libtorch's shared libraries (Linux x64 only: the exports read here are that build's), from beside
    /// this assembly or the loader's search path.</summary>
    private static bool TryLoadLibrary(string name, out IntPtr lib)
    {
        lib = IntPtr.Zero;
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return false;
        return NativeLibrary.TryLoad(name, typeof(LibTorchContext).Assembly, null, out lib)
            || NativeLibrary.TryLoad(name, out lib);
    }
}

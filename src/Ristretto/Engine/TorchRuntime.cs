using System.Runtime.InteropServices;
using TorchSharp;

namespace Ristretto.Engine;

/// <summary>
/// Loads libtorch before the first torch call. By default TorchSharp-cpu's own libtorch (shipped in the
/// build output) is used. When <c>TORCH_LIB_DIR</c> names the <c>lib</c> folder of a PyTorch install,
/// that libtorch (CUDA-enabled) is loaded instead, in dependency order, followed by LibTorchSharp.
/// </summary>
public static partial class TorchRuntime
{
    /// <summary>The environment variable naming a PyTorch <c>lib</c> folder.</summary>
    public const string LibDirVariable = "TORCH_LIB_DIR";

    private static readonly string[] PyTorchLibraries =
        ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"];

    private static readonly Lock Gate = new();
    private static bool _initialized;
    private static RistrettoException? _failure;

    /// <summary>
    /// Runs when the Ristretto assembly loads, before any of its code touches torch, so that every user of
    /// the library (not only the CLI) gets the PyTorch preload and the CPU-kernel settings. A failure is
    /// kept and thrown, as one clear line, by the next explicit <see cref="Initialize"/> (e.g. --device).
    /// </summary>
#pragma warning disable CA2255 // a library module initializer is the point here: libtorch must be set up before any torch call
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void InitializeOnLoad()
    {
        try
        {
            Initialize();
        }
        catch (RistrettoException)
        {
            // kept in _failure; reported by the next Initialize call
        }
    }

    /// <summary>Where libtorch came from, for diagnostics ("TorchSharp-cpu package" or the PyTorch folder).</summary>
    public static string Source { get; private set; } = "TorchSharp-cpu package";

    /// <summary>
    /// Idempotent: preloads the PyTorch libtorch when <c>TORCH_LIB_DIR</c> is set, then checks that
    /// torch answers. Throws <see cref="RistrettoException"/> with one clear line when loading fails.
    /// </summary>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (_initialized)
                return;
            if (_failure != null)
                throw new RistrettoException(_failure.Message, _failure);
            try
            {
                Load();
            }
            catch (RistrettoException e)
            {
                _failure = e;
                throw;
            }
            _initialized = true;
        }
    }

    private static void Load()
    {
        string? dir = Environment.GetEnvironmentVariable(LibDirVariable);
        if (!string.IsNullOrWhiteSpace(dir))
            PreloadPyTorch(dir);
        SetWaitPolicy();
        try
        {
            // The first call into LibTorchSharp: forces TorchSharp's own loader to run.
            _ = torch.get_num_threads();
        }
        catch (Exception e) when (e is DllNotFoundException or NotSupportedException or TypeInitializationException)
        {
            throw new RistrettoException($"cannot load libtorch ({Source}): {FirstLine(e)}", e);
        }
        ConfigureCpuKernels();
    }

    /// <summary>The environment variable that re-enables libtorch's oneDNN CPU kernels ("1").</summary>
    public const string MkldnnVariable = "RISTRETTO_MKLDNN";

    /// <summary>
    /// libtorch 2.10's oneDNN (mkldnn) CPU kernels intermittently return NaN for finite inputs in LeNet's
    /// forward and backward passes on this project's AMD EPYC (Zen 5) machines: 42 of 3,000 training
    /// iterations, none with oneDNN off (measured 2026-11-23). Re-measured on 2026-12-01 with every Scalar held: 2 of
    /// 3 default 10,000-iteration runs with oneDNN on diverged (NaN loss at iterations 357 and 377), and so did 5 of 6
    /// 500-iteration reruns of seed 2, with its AVX-512 kernels, capped at AVX2 (ONEDNN_MAX_CPU_ISA) and on one thread alike, at a
    /// different iteration each time; no run with oneDNN off did (docs/performance.md). A numerics tool cannot afford that, so
    /// oneDNN is off unless <c>RISTRETTO_MKLDNN=1</c>; NNPACK is off too, since it is unsupported on these
    /// CPUs and ATen would otherwise try it (and log a warning) on every convolution. MKL's dynamic threading
    /// is off so that results do not depend on how busy the machine is (resumed training must be
    /// bit-identical; an exact comparison of two identical networks once failed under the parallel test suite).
    /// </summary>
    private static void ConfigureCpuKernels()
    {
        bool mkldnn = Environment.GetEnvironmentVariable(MkldnnVariable) == "1";
        LibTorchContext.TrySetMkldnn(mkldnn);
        LibTorchContext.TrySetNnpack(false);
        LibTorchContext.TrySetMklDynamic(false);
    }

    /// <summary>The OpenMP variable that says how idle libtorch threads wait (libgomp reads it when it loads).</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>
    /// Makes libtorch's OpenMP threads sleep, not spin, while they wait for work (<c>OMP_WAIT_POLICY=PASSIVE</c>),
    /// unless the user set the variable. On a CPU shared with other processes (2 cores, load average 10–24 while
    /// measuring) a spinning thread takes the core that the thread it waits for needs: the eval-vs-ort bench measured
    /// ResNet-18 batch 1 at 1.2 img/s with the default policy and 9.4 img/s passive, LeNet batch 64 at 277 and
    /// 999 img/s (docs/performance.md). libgomp reads the variable from the C environment when it is loaded, so it is
    /// set there (not in .NET's copy) before the first torch call.
    /// </summary>
    private static void SetWaitPolicy()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || Environment.GetEnvironmentVariable(WaitPolicyVariable) is not null)
            return;
        try
        {
            _ = NativeEnvironment.setenv(WaitPolicyVariable, "PASSIVE", 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // no glibc: keep OpenMP's default
        }
    }

    private static partial class NativeEnvironment
    {
        [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int setenv(string name, string value, int overwrite);
    }

    private static void PreloadPyTorch(string dir)
    {
        if (!Directory.Exists(dir))
            throw new RistrettoException($"{LibDirVariable}={dir} is not a folder; unset it to use the CPU libtorch, or point it at a PyTorch install's torch/lib folder");
        foreach (string name in PyTorchLibraries)
        {
            string path = Path.Combine(dir, name);
            if (!File.Exists(path))
                throw new RistrettoException($"{LibDirVariable}={dir} lacks {name}; point it at the torch/lib folder of a CUDA-enabled PyTorch install");
            Load(path);
        }
        Load(FindLibTorchSharp());
        Source = dir;
    }

    private static void Load(string path)
    {
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new RistrettoException($"cannot load {path}: {FirstLine(e)}", e);
        }
    }

    private static string FindLibTorchSharp()
    {
        string baseDir = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDir, "libLibTorchSharp.so"),
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new RistrettoException($"libLibTorchSharp.so is not beside the application in {baseDir}; rebuild the project");
    }

    private static string FirstLine(Exception e) => e.Message.Split('\n', 2)[0].Trim();
}

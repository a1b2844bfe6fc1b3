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
        KeepFreedMemory();
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

    /// <summary>The environment variable that says where oneDNN runs: unset = evaluation passes only, 1 = everywhere, 0 = nowhere.</summary>
    public const string MkldnnVariable = "RISTRETTO_MKLDNN";

    /// <summary>
    /// oneDNN (mkldnn) follows <see cref="OneDnn"/>'s policy from <c>RISTRETTO_MKLDNN</c>: by default it is off, and on
    /// only inside evaluation scopes, where every convolution pads a partial channel block with zeros itself. libtorch
    /// 2.10's oneDNN convolution copies a source whose channel count is not a multiple of its block (16 with AVX-512;
    /// LeNet's conv2 has 20) into a padded blocked buffer and leaves the last, partial block unwritten: unpadded, those
    /// channels are read as whatever the heap held (NaN losses in 2 of 3 LeNet trainings, or silently wrong sums;
    /// docs/performance.md, tools/onednn-repro). NNPACK is off, since it is unsupported on these CPUs and ATen would
    /// otherwise try it (and log a warning) on every convolution. MKL's dynamic threading is off so that results do not
    /// depend on how busy the machine is (resumed training must be bit-identical; an exact comparison of two identical
    /// networks once failed under the parallel test suite).
    /// </summary>
    private static void ConfigureCpuKernels()
    {
        OneDnn.Configure(Environment.GetEnvironmentVariable(MkldnnVariable));
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

    /// <summary>Buffers at most this large come from the heap and are reused (glibc's ceiling for its mmap threshold on 64-bit).</summary>
    public const int HeapBufferLimit = 32 << 20;

    /// <summary>How much free memory the heap keeps before it hands any back to the kernel.</summary>
    public const int HeapTrimThreshold = 1 << 30;

    /// <summary>
    /// Makes glibc's malloc keep freed tensor buffers for reuse instead of returning them to the kernel (unless the user
    /// set any <c>MALLOC_</c> variable). By default glibc serves a buffer above its mmap threshold (128 KiB at the start,
    /// raised by itself as mapped buffers are freed, up to 32 MiB) with a fresh mapping and unmaps it on free, so every
    /// evaluation pass page-faults its activations in again and the kernel zeroes each page: ResNet-18 at batch 32 spent
    /// a third of its time in the kernel (1.28 M faults, 10.2 of 43.3 s task clock in one eval-slices run), and the
    /// threshold's drift made the best slice size change from run to run. A fixed 32 MiB threshold and a 1 GiB trim
    /// threshold cut that run's faults to 0.48 M (under 0.1 M with <see cref="Graph.SlicedRun"/>'s slices) and its
    /// whole-batch passes ran ≈ 3× faster (docs/performance.md, session 7).
    /// </summary>
    private static void KeepFreedMemory()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)
            || Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal)))
            return;
        try
        {
            _ = NativeEnvironment.mallopt(MallocMmapThreshold, HeapBufferLimit);
            _ = NativeEnvironment.mallopt(MallocTrimThreshold, HeapTrimThreshold);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // no glibc: keep the C library's policy
        }
    }

    private const int MallocTrimThreshold = -1; // M_TRIM_THRESHOLD in glibc's malloc.h
    private const int MallocMmapThreshold = -3; // M_MMAP_THRESHOLD

    private static partial class NativeEnvironment
    {
        [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
        internal static partial int mallopt(int param, int value);

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

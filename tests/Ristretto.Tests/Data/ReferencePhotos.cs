using System.ComponentModel;
using System.Diagnostics;

namespace Ristretto.Tests.Data;

/// <summary>A fact that needs scikit-image's sample photographs; skipped, saying why, when they are not installed.</summary>
public sealed class SkimagePhotosFactAttribute : FactAttribute
{
    public SkimagePhotosFactAttribute()
    {
        if (ReferencePhotos.Missing is { } why)
            Skip = why;
    }
}

/// <summary>A fact that needs Debian's Python with Pillow and numpy, and the sample photographs; skipped, saying why, without them.</summary>
public sealed class PillowFactAttribute : FactAttribute
{
    public PillowFactAttribute()
    {
        if ((ReferencePhotos.PillowMissing ?? ReferencePhotos.Missing) is { } why)
            Skip = why;
    }
}

/// <summary>
/// The colour photographs scikit-image ships (Debian's python3-skimage, which build/install.sh installs) and Debian's
/// own Python with Pillow (python3-pil) to compute references from them. The Python on PATH may be another one
/// (pyenv), so Debian's is named by its path.
/// </summary>
internal static class ReferencePhotos
{
    /// <summary>Debian's Python, which has python3-pil and python3-skimage.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The colour photographs among skimage's sample data (the synthetic colour images are left out).</summary>
    public static readonly string[] Names =
    [
        "astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg", "ihc.png",
        "motorcycle_left.png", "motorcycle_right.png", "retina.jpg", "rocket.jpg",
    ];

    private const int AtLeast = 6;
    private static readonly (string? Folder, string? PillowVersion, string? Error) Probe = Find();

    /// <summary>The photographs found, as full paths (at least six when <see cref="Missing"/> is null).</summary>
    public static IReadOnlyList<string> Paths { get; } =
        Probe.Folder is { } f ? Names.Select(n => Path.Combine(f, n)).Where(File.Exists).ToArray() : [];

    /// <summary>Pillow's version, or null when Debian's Python cannot import Pillow and numpy.</summary>
    public static string? PillowVersion => Probe.PillowVersion;

    /// <summary>Why the photographs cannot be used, or null.</summary>
    public static string? Missing => Paths.Count >= AtLeast ? null
        : $"scikit-image's sample photographs are not installed (found {Paths.Count} of {Names.Length}; Debian: apt-get install python3-skimage, or build/install.sh)";

    /// <summary>Why Pillow cannot be run, or null.</summary>
    public static string? PillowMissing => Probe.PillowVersion != null ? null
        : $"{Python} cannot import Pillow and numpy (Debian: apt-get install python3-pil python3-numpy, or build/install.sh){(Probe.Error is { } e ? ": " + e : "")}";

    /// <summary>Runs <paramref name="script"/> with Debian's Python; a nonzero exit fails the test with Python's error output.</summary>
    public static void RunPython(string script, IEnumerable<string> args, int timeoutSeconds = 120)
    {
        var (code, stdout, stderr) = Run(["-c", script, .. args], timeoutSeconds);
        if (code != 0)
            throw new InvalidOperationException($"{Python} exited with {code}: {stderr}{stdout}");
    }

    private static (string? Folder, string? PillowVersion, string? Error) Find()
    {
        const string fallback = "/usr/lib/python3/dist-packages/skimage/data";
        if (!File.Exists(Python))
            return (Directory.Exists(fallback) ? fallback : null, null, $"{Python} does not exist");
        try
        {
            var (code, stdout, stderr) = Run(["-c", "import os, skimage.data; print(os.path.dirname(skimage.data.__file__))"], 60);
            string? folder = code == 0 ? stdout.Trim() : Directory.Exists(fallback) ? fallback : null;
            (code, stdout, stderr) = Run(["-c", "import numpy, PIL; print(PIL.__version__)"], 60);
            return code == 0 ? (folder, stdout.Trim(), null) : (folder, null, stderr.Trim().Split('\n')[^1]);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or TimeoutException)
        {
            return (Directory.Exists(fallback) ? fallback : null, null, e.Message);
        }
    }

    private static (int Code, string StdOut, string StdErr) Run(IEnumerable<string> args, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["PYTHONPATH"] = "";
        psi.Environment["PYTHONNOUSERSITE"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Python} ran past {timeoutSeconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

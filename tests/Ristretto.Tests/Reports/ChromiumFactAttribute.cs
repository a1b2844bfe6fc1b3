namespace Ristretto.Tests.Reports;

/// <summary>A fact that needs headless Chromium; skipped, saying why, when no chromium is on PATH.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Path is null)
            Skip = "chromium is not on PATH (Debian: apt-get install chromium)";
    }
}

/// <summary>Finds a Chromium binary on PATH.</summary>
internal static class Chromium
{
    public static string? Path { get; } = Find();

    private static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
                if (File.Exists(System.IO.Path.Combine(dir, name)))
                    return System.IO.Path.Combine(dir, name);
        return null;
    }
}

namespace Ristretto.Tests.Reports;

/// <summary>
/// A fact that needs headless Chromium; skipped, saying why, when no chromium is on PATH, except in CI
/// (<c>CI=true</c>), where build/install.sh has installed Debian's chromium and a missing one fails the test.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Path is null && !Chromium.Required)
            Skip = "chromium is not on PATH (Debian: apt-get install chromium, or build/install.sh)";
    }
}

/// <summary>Finds a Chromium binary on PATH.</summary>
internal static class Chromium
{
    public static string? Path { get; } = Find();

    /// <summary>In CI the browser test must run: build/install.sh installs chromium there.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
                if (File.Exists(System.IO.Path.Combine(dir, name)))
                    return System.IO.Path.Combine(dir, name);
        return null;
    }
}

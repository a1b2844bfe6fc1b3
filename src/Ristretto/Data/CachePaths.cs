namespace Ristretto.Data;

/// <summary>
/// The cache folder for downloaded data and trained default models: <c>$RISTRETTO_CACHE</c>, else
/// <c>$XDG_CACHE_HOME/ristretto</c>, else <c>~/.cache/ristretto</c>. Never inside the repository.
/// </summary>
public static class CachePaths
{
    /// <summary>The environment variable that overrides the cache folder.</summary>
    public const string Variable = "RISTRETTO_CACHE";

    /// <summary>The cache root (not created until something is written).</summary>
    public static string Root
    {
        get
        {
            string? explicitRoot = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrWhiteSpace(explicitRoot))
                return Path.GetFullPath(explicitRoot);
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg))
                return Path.Combine(xdg, "ristretto");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
                home = Path.GetTempPath();
            return Path.Combine(home, ".cache", "ristretto");
        }
    }
}

namespace Ristretto.Tests.Interchange.Caffe;

/// <summary>Finds the shared Caffe fixtures: $RISTRETTO_FIXTURES/caffe, else shared/fixtures/caffe in an ancestor folder.</summary>
internal static class CaffeFixtures
{
    private static readonly Lazy<string> Folder = new(Find);

    /// <summary>Every fixture file name.</summary>
    public static IEnumerable<string> All => Directory.GetFiles(Folder.Value, "*.prototxt").Select(Path.GetFileName).Order()!;

    /// <summary>Every net (not solver) fixture, as xunit member data.</summary>
    public static TheoryData<string> Nets => new(All.Where(n => !n.Contains("solver", StringComparison.Ordinal)));

    /// <summary>The full path of fixture <paramref name="name"/>.</summary>
    public static string PathOf(string name) => Path.Combine(Folder.Value, name);

    /// <summary>The text of fixture <paramref name="name"/>.</summary>
    public static string Text(string name) => File.ReadAllText(PathOf(name));

    private static string Find()
    {
        string? env = Environment.GetEnvironmentVariable("RISTRETTO_FIXTURES");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, "caffe")))
            return Path.Combine(env, "caffe");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "fixtures", "caffe");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new InvalidOperationException("shared/fixtures/caffe not found above " + AppContext.BaseDirectory + "; set RISTRETTO_FIXTURES");
    }
}

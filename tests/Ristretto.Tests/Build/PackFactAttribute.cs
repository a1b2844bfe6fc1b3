namespace Ristretto.Tests.Build;

/// <summary>
/// A fact that packs the repository's NuGet packages and installs them (the tool package carries libtorch, about
/// 190 MB); skipped, saying why, unless the environment sets <c>RISTRETTO_PACK_TESTS=1</c>.
/// </summary>
public sealed class PackFactAttribute : FactAttribute
{
    /// <summary>The environment variable that turns the packaging tests on.</summary>
    public const string Variable = "RISTRETTO_PACK_TESTS";

    public PackFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"packs and installs the NuGet packages (about 190 MB, a minute or two); set {Variable}=1";
    }
}

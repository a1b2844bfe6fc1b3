namespace Ristretto.Tests.Support;

/// <summary>
/// A fact that runs for minutes (training a network end to end); skipped, saying why, unless the environment sets
/// <c>RISTRETTO_LONG_TESTS=1</c> (tests/long/*.sh do).
/// </summary>
public sealed class LongFactAttribute : FactAttribute
{
    /// <summary>The environment variable that turns long tests on.</summary>
    public const string Variable = "RISTRETTO_LONG_TESTS";

    public LongFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"a long test (minutes of CPU); set {Variable}=1 or run tests/long/*.sh";
    }
}

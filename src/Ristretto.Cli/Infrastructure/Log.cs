namespace Ristretto.Cli.Infrastructure;

/// <summary>Messages about the work (fetching, training) go to standard error; results go to standard output.</summary>
public static class Log
{
    /// <summary>Writes one informational line to standard error.</summary>
    public static void Info(string message) => Console.Error.WriteLine(message);
}

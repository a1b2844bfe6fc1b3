namespace Ristretto.Jobs;

/// <summary>
/// How a job shows its long work and says what it does. The CLI draws progress bars and writes notes to standard
/// error; a library caller passes <see cref="JobObserver.Silent"/> or its own.
/// </summary>
public interface IJobObserver
{
    /// <summary>Runs <paramref name="work"/>, which reports (steps done of <paramref name="total"/>, detail text) through the callback it is given.</summary>
    T Stage<T>(string title, int total, Func<Action<int, string>, T> work);

    /// <summary>A one-line note about what the job does (which data, which model, what it folded).</summary>
    void Info(string line);
}

/// <summary>Observers for library callers.</summary>
public static class JobObserver
{
    /// <summary>Shows nothing.</summary>
    public static IJobObserver Silent { get; } = new SilentObserver();

    private sealed class SilentObserver : IJobObserver
    {
        public T Stage<T>(string title, int total, Func<Action<int, string>, T> work) => work((_, _) => { });

        public void Info(string line) { }
    }
}

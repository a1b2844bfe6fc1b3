using System.Diagnostics;
using System.Globalization;
using Ristretto.Training;
using Spectre.Console;

namespace Ristretto.Cli.Infrastructure;

/// <summary>
/// Shows progress of long work on standard error: a Spectre.Console progress bar in a terminal, or a
/// plain line about every 5 % (and at least every 30 s) when output is redirected (CI logs, pipes);
/// work that ends within 2 s prints no plain lines at all.
/// </summary>
public static class ProgressDisplay
{
    /// <summary>
    /// Runs <paramref name="work"/>, which reports (steps done, detail text) through the callback it is given.
    /// </summary>
    public static T Run<T>(string title, int total, Func<Action<int, string>, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Console.IsErrorRedirected || Environment.GetEnvironmentVariable("CI") is not null || Environment.GetEnvironmentVariable("TERM") is "dumb")
            return RunPlain(title, total, work);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(total, 1));
                result = work((done, detail) =>
                {
                    task.Value = Math.Min(done, task.MaxValue); // a bound, not an exact count, for some searches
                    task.Description = Markup.Escape(detail.Length == 0 ? title : $"{title} {detail}");
                });
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>Adapts training reports to <see cref="Run{T}"/>'s callback.</summary>
    public static IProgress<TrainProgress> ForTraining(Action<int, string> report) => new Jobs.TrainingProgress(report);

    private static T RunPlain<T>(string title, int total, Func<Action<int, string>, T> work)
    {
        var watch = Stopwatch.StartNew();
        int every = Math.Max(1, total / 20);
        TimeSpan lastPrint = TimeSpan.Zero;
        return work((done, detail) =>
        {
            done = Math.Min(done, total); // the total is a bound for some searches: never "20/17"
            bool due = done == total || done % every == 0 || watch.Elapsed - lastPrint > TimeSpan.FromSeconds(30);
            if (!due || watch.Elapsed < TimeSpan.FromSeconds(2))
                return;
            lastPrint = watch.Elapsed;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{title}: {done}/{total} ({100.0 * done / Math.Max(total, 1):F0} %) {detail} [{watch.Elapsed:hh\\:mm\\:ss}]"));
        });
    }

    /// <summary>The CLI's job observer: progress bars (or plain lines) and notes on standard error.</summary>
    public static Jobs.IJobObserver Observer { get; } = new ConsoleObserver();

    private sealed class ConsoleObserver : Jobs.IJobObserver
    {
        public T Stage<T>(string title, int total, Func<Action<int, string>, T> work) => Run(title, total, work);

        public void Info(string line) => Log.Info(line);
    }
}

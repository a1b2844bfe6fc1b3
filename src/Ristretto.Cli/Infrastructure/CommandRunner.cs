namespace Ristretto.Cli.Infrastructure;

/// <summary>
/// Runs a command body so that user errors end as one line on standard error and a non-zero exit code,
/// never a stack trace: <see cref="RistrettoException"/> and I/O errors exit 1, Ctrl+C exits 130, and an
/// unexpected exception exits 70 with its type and message (the trace only when RISTRETTO_DEBUG=1).
/// </summary>
public static class CommandRunner
{
    /// <summary>Exit code of a user error.</summary>
    public const int UserError = 1;
    /// <summary>Exit code of an internal error.</summary>
    public const int InternalError = 70;
    /// <summary>Exit code after Ctrl+C.</summary>
    public const int Interrupted = 130;

    /// <summary>Runs <paramref name="body"/> with a token that Ctrl+C cancels.</summary>
    public static int Run(Func<CancellationToken, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested)
                return; // a second Ctrl+C terminates the process
            e.Cancel = true;
            Console.Error.WriteLine("Stopping after the current step (Ctrl+C again to abort) ...");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return body(cts.Token);
        }
        catch (RistrettoException e)
        {
            return Fail(e.Message, UserError);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message, UserError);
        }
        catch (OperationCanceledException)
        {
            return Fail("interrupted", Interrupted);
        }
        catch (Exception e)
        {
            if (Environment.GetEnvironmentVariable("RISTRETTO_DEBUG") == "1")
                Console.Error.WriteLine(e);
            return Fail($"internal error: {e.GetType().Name}: {OneLine(e.Message)} (set RISTRETTO_DEBUG=1 for details)", InternalError);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {OneLine(message)}");
        return code;
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}

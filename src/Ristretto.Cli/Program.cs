using System.CommandLine;
using Ristretto.Cli.Commands;

namespace Ristretto.Cli;

/// <summary>Entry point of the <c>ristretto</c> command.</summary>
public static class Program
{
    /// <summary>Builds the command tree; exposed for tests.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "Ristretto.NET: simulate custom-accelerator arithmetic on CNNs, find the smallest bit-widths within an accuracy margin, and see what the hardware saves.");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(TestCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(FinetuneCommand.Create());
        root.Subcommands.Add(CompressCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(TrialCommand.Create());
        return root;
    }

    /// <summary>Runs the command line; returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        // Every verb needs libtorch, whose loading (dynamic linking and static initializers of a 500 MB library) takes about
        // half a second: it runs on a second thread while this one builds the command tree, parses and starts the verb,
        // which waits for it at its first tensor (TorchRuntime.Initialize is locked and idempotent, and keeps a failure to
        // throw it there as one error line). Help and version output do not start it.
        var warmUp = args.Length == 0 || args.Any(a => a is "-h" or "--help" or "-?" or "/?" or "/h" or "--version")
            ? Task.CompletedTask
            : Task.Run(WarmUp);
        var root = BuildRoot();
        var parsed = root.Parse(args);
        int code = parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        // Not exiting while the library's initializers may still run on the other thread (an early error line, say).
        warmUp.Wait();
        return code;
    }

    private static void WarmUp()
    {
        try
        {
            Engine.TorchRuntime.Initialize();
        }
        catch (Exception)
        {
            // A RistrettoException is remembered by TorchRuntime and thrown again where a verb first needs libtorch, with its
            // one error line; anything else leaves it uninitialized, so that call loads again and reports it as before.
        }
    }
}

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
        var root = BuildRoot();
        var parsed = root.Parse(args);
        return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }
}

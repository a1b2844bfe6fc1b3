using System.CommandLine;
using Ristretto.Cli.Infrastructure;
using Ristretto.Jobs;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto trial</c>: scores one numbered trial of a search's work folder (what a Slurm array task or a Kubernetes
/// Indexed Job pod runs), writing <c>results/I.json</c> atomically and its own <c>logs/I.log</c>; a trial with a result is
/// skipped. <c>--serve</c> scores indices read from standard input (a local pool's worker).
/// </summary>
public static class TrialCommand
{
    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var work = new Option<string>("--work") { Description = "The trial folder a search wrote (quantize --work DIR --launcher …).", Required = true };
        var index = new Option<int?>("--index") { Description = "The trial to score (0, 1, …); Slurm: $((FIRST + SLURM_ARRAY_TASK_ID)), Kubernetes: $((FIRST + JOB_COMPLETION_INDEX))." };
        var serve = new Option<bool>("--serve") { Description = "Score the indices read one per line from standard input, answering 'ok I', 'skipped I' or 'failed I: …' on standard output (a local pool's worker)." };
        var threads = new Option<int?>("--threads") { Description = "libtorch's intra-op threads (default: all cores)." };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("trial", "Score one numbered trial of a search's work folder and write its result (what a scheduler's task runs).")
        {
            work, index, serve, device, threads, json,
        };
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            if (r.GetValue(threads) is { } t)
                TorchSharp.torch.set_num_threads(t >= 1 ? t : throw new RistrettoException($"--threads must be ≥ 1, got {t}"));
            var settings = new TrialSettings
            {
                Work = r.GetValue(work)!,
                Index = r.GetValue(index),
                Serve = r.GetValue(serve),
                Device = r.GetValue(device),
            }.Validate();
            if (settings.Serve)
            {
                TrialWorker.Serve(settings, Console.In, Console.Out, cancel);
                return 0;
            }
            var outcome = TrialWorker.Run(settings, ProgressDisplay.Observer, cancel);
            Console.WriteLine(outcome.Skipped
                ? $"trial {outcome.Index} ({outcome.What}): already scored, {outcome.ResultPath}"
                : $"trial {outcome.Index} ({outcome.What}): {JobJson.Describe(outcome.Score)} → {outcome.ResultPath} (log {outcome.LogPath})");
            JobJson.Write(r.GetValue(json), outcome.ToJson());
            return 0;
        }));
        return command;
    }
}

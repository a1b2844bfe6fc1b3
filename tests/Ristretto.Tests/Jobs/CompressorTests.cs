using Ristretto.Compression;
using Ristretto.Data;
using Ristretto.Finetuning;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Jobs;

[Collection("cli")]
public sealed class CompressorTests
{
    /// <summary>Cancels its token once the stage has reported <paramref name="at"/> iterations.</summary>
    private sealed class StopAt(int at, CancellationTokenSource cancel) : IJobObserver
    {
        public T Stage<T>(string title, int total, Func<Action<int, string>, T> work) => work((done, _) =>
        {
            if (done >= at)
                cancel.Cancel();
        });

        public void Info(string line) { }
    }

    [Fact]
    public void A_Run_Stopped_Mid_Schedule_Resumes_To_The_Same_Model_Bit_For_Bit()
    {
        using var data = SyntheticDigits.WriteDataset(train: 256, test: 100);
        using var dir = new TempDir();
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "20", "--batch-size", "32", "--device", "cpu", "--data", data.Path]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        TorchSharp.torch.set_num_threads(1);
        var dataSettings = new DataSettings { Data = data.Path, Streaming = new StreamingOptions { Workers = 1 } }.Validate();
        var options = new FinetuneOptions { Solver = new FinetuneOptions().Solver with { Iterations = 12, BatchSize = 16 }, TestInterval = 0 }.Validate();
        var recipe = new CompressionRecipe { Prune = new() { [CompressionRecipe.Every] = 0.8 }, PruneSteps = 2, Share = new() { [CompressionRecipe.Every] = 3 } };
        CompressSettings Settings(string output, bool resume) =>
            new(dir.File("m.rstm"), null, recipe, null, output, options, false, null, 0, resume, "cpu", dataSettings);

        var whole = Compressor.Run(Settings(dir.File("whole.rstm"), false));
        Assert.False(whole.Cancelled);

        // Stopped after 5 iterations: pruning step 2 of the 3 phases (starting at 0, 4 and 8) is applied, sharing is not.
        using var cancel = new CancellationTokenSource();
        var stopped = Compressor.Run(Settings(dir.File("part.rstm"), false), new StopAt(5, cancel), cancel.Token);
        Assert.True(stopped.Cancelled);
        var checkpoint = CompressionSection.Read(ModelFile.Load(dir.File("part.rstm.ckpt")).Metadata, "ckpt")!;
        Assert.Equal(2, checkpoint.Phases);
        var resumed = Compressor.Run(Settings(dir.File("part.rstm"), true));
        Assert.False(resumed.Cancelled);
        Assert.Equal(5, resumed.StartIteration);

        var a = ModelFile.Load(dir.File("whole.rstm"));
        var b = ModelFile.Load(dir.File("part.rstm"));
        Assert.Equal(a.Weights.Select(w => w.Name), b.Weights.Select(w => w.Name));
        for (int i = 0; i < a.Weights.Count; i++)
            Assert.Equal(a.Weights[i].Data, b.Weights[i].Data);
        Assert.Equal(whole.After!.Top1, resumed.After!.Top1);
    }
}

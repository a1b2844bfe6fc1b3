using Ristretto.Fuzz;

namespace Ristretto.Tests.Fuzz;

/// <summary>
/// Every input the fuzzing campaign (tests/fuzz/run-campaign.sh, docs/fuzzing.md) found to crash, hang or throw anything
/// but a one-line <see cref="RistrettoException"/> is kept under <c>regressions/&lt;target&gt;/</c> and run here through
/// the same target code as the campaign (tests/Ristretto.Fuzz/FuzzTargets.cs): each must now load or be refused in one line.
/// </summary>
public class FuzzRegressionTests
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ristretto.sln")))
                return Path.Combine(dir.FullName, "tests", "Ristretto.Tests", "Fuzz", "regressions");
        throw new DirectoryNotFoundException("Ristretto.sln not found above the test output");
    });

    /// <summary>Every stored regression input as (target, file name).</summary>
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string dir in Directory.GetDirectories(Folder.Value).Order(StringComparer.Ordinal))
            foreach (string file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(dir), Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Should_Load_Or_Refuse_In_One_Line(string target, string file)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(Folder.Value, target, file));
        var task = Task.Run(() =>
        {
            try
            {
                FuzzTargets.Execute(target, input);
                return null;
            }
            catch (RistrettoException e)
            {
                return e.Message;
            }
        });
        // A hang the campaign found must not come back: 30 s is far above any reader's time on these small inputs.
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == task, $"{target}/{file} still runs after 30 s");
        if (await task is { } message)
            Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Should_Keep_Regressions_Only_For_Known_Targets()
    {
        var unknown = Directory.GetDirectories(Folder.Value).Select(Path.GetFileName).Where(n => !FuzzTargets.Names.Contains(n!)).ToList();
        Assert.Empty(unknown);
    }

    [Theory]
    [InlineData("prototxt")]
    [InlineData("caffemodel")]
    [InlineData("plan")]
    [InlineData("rstm")]
    [InlineData("idx")]
    [InlineData("cifar")]
    [InlineData("imagelist")]
    [InlineData("lmdb")]
    public void Should_Run_The_Generated_Seeds_Of_Each_Target_Without_A_Finding(string target)
    {
        int loaded = 0;
        foreach (var (_, bytes) in Seeds.For(target))
        {
            try
            {
                FuzzTargets.Execute(target, bytes);
                loaded++;
            }
            catch (RistrettoException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }
        // A seed set that no longer loads at all would leave the campaign fuzzing only the readers' first checks.
        Assert.True(loaded > 0, $"no generated {target} seed loads");
    }
}

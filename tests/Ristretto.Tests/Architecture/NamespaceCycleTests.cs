using Ristretto.Tests.Support;

namespace Ristretto.Tests.Architecture;

/// <summary>
/// Folders follow the data flow, so no namespace of ours may use, directly or through others, a namespace that
/// uses it back: such a cycle means two folders can only be understood, changed and tested together.
/// </summary>
public sealed class NamespaceCycleTests
{
    [Fact]
    public void Should_Have_No_Namespace_Cycle_In_The_Libraries_And_The_Cli()
    {
        var graph = new NamespaceGraph(
            [typeof(global::Ristretto.Formats.NumberFormat).Assembly, typeof(global::Ristretto.Engine.TorchRuntime).Assembly, typeof(global::Ristretto.Cli.Program).Assembly], "Ristretto");
        Assert.Contains("Ristretto.Graph", graph.Edges.Keys);
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, $"{cycles.Count} namespace cycle(s):\n" + string.Join("\n", cycles));
    }

    [Fact]
    public void Should_Find_A_Deliberate_Cycle()
    {
        var graph = new NamespaceGraph([typeof(NamespaceCycleTests).Assembly], "Ristretto.Tests.Architecture.DeliberateCycle");
        var cycles = graph.Cycles();
        Assert.Single(cycles);
        Assert.Contains("DeliberateCycle.Left", cycles[0]);
        Assert.Contains("DeliberateCycle.Right", cycles[0]);
    }
}

using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Tests.Support;
using Ristretto.Transforms;
using TorchSharp;

namespace Ristretto.Tests.Graph;

/// <summary>Counts live tensors of this thread; runs alone, as the house rules ask of leak tests.</summary>
[CollectionDefinition("graph-leaks", DisableParallelization = true)]
public sealed class GraphLeakCollection;

[Collection("graph-leaks")]
public class BatchNormFoldingLeakTests
{
    [Fact]
    public void Should_Leave_No_Tensor_Behind_Once_Both_Networks_Are_Disposed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("folding.prototxt"), BatchNormFoldingTests.FoldingPrototxt);
        DisposeScopeManager.Statistics.Reset();
        using (var net = CaffeImport.Load(dir.File("folding.prototxt")))
        {
            NetworkChecks.Randomise(net, 3);
            using var folded = BatchNormFolding.Fold(net);
            NetworkChecks.AssertSameOutputs(net, folded, 2);
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}

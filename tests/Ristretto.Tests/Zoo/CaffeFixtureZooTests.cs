using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Tests.Interchange.Caffe;
using Ristretto.Zoo;

namespace Ristretto.Tests.Zoo;

/// <summary>
/// The Caffe-family zoo networks against the real prototxts they copy, imported by CaffeImport: the same
/// layers in the same order, reading and writing the same blobs (in-place names included), with the same
/// output shapes (batch aside) and parameter counts.
/// </summary>
public class CaffeFixtureZooTests
{
    public static TheoryData<string, string, int> Pairs => new()
    {
        { "cifar10", "cifar10__cifar10_full.prototxt", 10 },
        { "alexnet", "bvlc_alexnet__deploy.prototxt", 1000 },
        { "caffenet", "bvlc_reference_caffenet__deploy.prototxt", 1000 },
        { "squeezenet1.0", "SqueezeNet__train_val.prototxt", 1000 },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Should_Match_The_Prototxt_Layer_By_Layer(string zooName, string fixture, int classes)
    {
        using var zoo = ModelZoo.Create(zooName, classes);
        using var imported = CaffeImport.Load(CaffeFixtures.PathOf(fixture));
        // The prototxts end with a softmax (deploy) that the zoo leaves to the loss; SqueezeNet's flatten is the zoo's own.
        var theirs = imported.Nodes.Where(n => n.Layer.Type != "Softmax").ToList();
        var ours = zoo.Nodes.Where(n => n.Layer.Type != "Flatten").ToList();
        Assert.Equal(theirs.Select(n => n.Layer.LayerName), ours.Select(n => n.Layer.LayerName));

        var ourShapes = zoo.Validate();
        var theirShapes = imported.Validate();
        foreach (var (a, b) in ours.Zip(theirs))
        {
            string layer = a.Layer.LayerName;
            Assert.True(a.Layer.Type == b.Layer.Type, $"{layer}: {a.Layer.Type} vs {b.Layer.Type}");
            Assert.True(a.Inputs.SequenceEqual(b.Inputs), $"{layer} reads [{string.Join(", ", a.Inputs)}], the prototxt [{string.Join(", ", b.Inputs)}]");
            Assert.True(a.Outputs.SequenceEqual(b.Outputs), $"{layer} writes [{string.Join(", ", a.Outputs)}], the prototxt [{string.Join(", ", b.Outputs)}]");
            var mine = ourShapes[a.Outputs[0]][1..];
            var expected = theirShapes[b.Outputs[0]][1..];
            Assert.True(expected.SequenceEqual(mine), $"{layer}: [{string.Join("×", mine)}] vs the prototxt's [{string.Join("×", expected)}]");
            Assert.True(a.Layer.ParameterCount == b.Layer.ParameterCount, $"{layer}: {a.Layer.ParameterCount} parameters vs {b.Layer.ParameterCount}");
            Assert.Equal(b.Layer.Describe(), a.Layer.Describe());
        }
        Assert.Equal(imported.parameters().Sum(p => p.numel()), zoo.parameters().Sum(p => p.numel()));
    }
}

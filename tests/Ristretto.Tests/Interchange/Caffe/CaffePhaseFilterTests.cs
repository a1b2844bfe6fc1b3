using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;

namespace Ristretto.Tests.Interchange.Caffe;

public class CaffePhaseFilterTests
{
    private const string Net = """
        layer { name: 'always' type: 'Input' top: 'x' }
        layer { name: 'train_only' type: 'ReLU' bottom: 'x' top: 'x' include { phase: TRAIN } }
        layer { name: 'not_in_train' type: 'ReLU' bottom: 'x' top: 'x' exclude { phase: TRAIN } }
        layer { name: 'either' type: 'ReLU' bottom: 'x' top: 'x' include { phase: TRAIN } include { phase: TEST } }
        layer { name: 'level_2_up' type: 'ReLU' bottom: 'x' top: 'x' include { min_level: 2 } }
        layer { name: 'staged' type: 'ReLU' bottom: 'x' top: 'x' include { stage: 'deploy' } }
        layer { name: 'unless_deploy' type: 'ReLU' bottom: 'x' top: 'x' exclude { stage: 'deploy' } }
        """;

    private static IEnumerable<string> Names(NetState state) =>
        CaffePhaseFilter.Select(CaffePrototxt.ParseNet(Net, "p.prototxt"), state).Layer.Select(l => l.Name);

    [Fact]
    public void Should_Keep_Layers_By_Phase_As_Caffe_Does()
    {
        Assert.Equal(["always", "train_only", "either", "unless_deploy"], Names(new NetState { Phase = Phase.Train }));
        Assert.Equal(["always", "not_in_train", "either", "unless_deploy"], Names(new NetState { Phase = Phase.Test }));
    }

    [Fact]
    public void Should_Honour_Levels_And_Stages_When_Given()
    {
        var state = new NetState { Phase = Phase.Test, Level = 3, Stage = { "deploy" } };
        Assert.Equal(["always", "not_in_train", "either", "level_2_up", "staged"], Names(state));
    }

    [Fact]
    public void Should_Default_A_Net_State_Without_A_Phase_To_Test()
    {
        Assert.Equal(Names(new NetState { Phase = Phase.Test }), Names(new NetState()));
    }

    [Fact]
    public void Should_Keep_The_Net_Inputs_And_Share_The_Layers()
    {
        var net = CaffePrototxt.ParseNet("name: 'd' input: 'data' input_dim: [1, 3, 8, 8] layer { name: 'r' type: 'ReLU' bottom: 'data' top: 'data' }", "d.prototxt");
        var selected = CaffePhaseFilter.Select(net, Phase.Test);
        Assert.Equal("d", selected.Name);
        Assert.Equal(["data"], selected.Input);
        Assert.Equal([1, 3, 8, 8], selected.InputDim);
        Assert.Same(net.Layer[0], selected.Layer[0]);
        Assert.Equal(Phase.Test, selected.State.Phase);
    }

    [Fact]
    public void Should_Refuse_A_Layer_With_Both_Include_And_Exclude_Rules()
    {
        var map = new TextSourceMap { FileName = "p.prototxt" };
        var net = CaffePrototxt.ParseNet("\nlayer { name: 'x' type: 'ReLU' include { phase: TEST } exclude { phase: TRAIN } }", "p.prototxt", map);
        Assert.Equal("p.prototxt:2:1: layer 'x' gives both include and exclude rules; Caffe allows one kind only",
            Assert.Throws<RistrettoException>(() => CaffePhaseFilter.Select(net, Phase.Test, map)).Message);
    }
}

using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Interchange.Caffe;

public class TextRoundTripTests
{
    [Theory]
    [MemberData(nameof(CaffeFixtures.Nets), MemberType = typeof(CaffeFixtures))]
    public void Should_Read_Back_An_Equal_Net_From_The_Text_It_Writes(string name)
    {
        var net = CaffePrototxt.ParseNet(CaffeFixtures.Text(name), name);
        string text = CaffePrototxt.Write(net);
        var back = CaffePrototxt.ParseNet(text, "written.prototxt");
        Assert.Equal(net, back);
        Assert.Equal(text, CaffePrototxt.Write(back));
    }

    [Theory]
    [InlineData("mnist__lenet_solver.prototxt")]
    [InlineData("cifar10__cifar10_full_solver.prototxt")]
    [InlineData("SqueezeNet__RistrettoDemo__solver_finetune.prototxt")]
    public void Should_Read_Back_An_Equal_Solver_From_The_Text_It_Writes(string name)
    {
        var solver = CaffePrototxt.ParseSolver(CaffeFixtures.Text(name), name);
        Assert.Equal(solver, CaffePrototxt.ParseSolver(CaffePrototxt.Write(solver), "written.prototxt"));
    }

    [Fact]
    public void Should_Round_Trip_Awkward_Values_Exactly()
    {
        var layer = new LayerParameter { Name = "q\"uo\\te\n\t日本\u0001", Type = "ReLU" };
        layer.LossWeight.AddRange([float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue, 0.1f, 1e-8f]);
        layer.Blobs.Add(new BlobProto { Shape = new BlobShape { Dim = { long.MinValue, long.MaxValue } } });
        layer.Blobs[0].DoubleData.AddRange([Math.PI, double.Epsilon, -1e300]);
        layer.ReshapeParam = new ReshapeParameter { Axis = int.MinValue };
        layer.QuantizationParam = new QuantizationParameter { BwParams = uint.MaxValue, Precision = QuantizationParameter.Types.Precision.IntegerPowerOf2Weights };
        var net = new NetParameter { Name = "" };
        net.Layer.Add(layer);

        var back = CaffePrototxt.ParseNet(CaffePrototxt.Write(net), "t.prototxt");

        Assert.Equal(net, back);
        Assert.True(back.HasName);
        Assert.Equal(layer.LossWeight.Select(BitConverter.SingleToInt32Bits), back.Layer[0].LossWeight.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Should_Save_A_Prototxt_That_Loads_Back_As_The_Same_Net()
    {
        using var dir = new TempDir();
        var net = CaffePrototxt.LoadNet(CaffeFixtures.PathOf("SqueezeNet__train_val.prototxt"));
        CaffePrototxt.Save(dir.File("squeeze.prototxt"), net);
        Assert.Equal(net, CaffePrototxt.LoadNet(dir.File("squeeze.prototxt")));
        Assert.Contains("prototxt file", Assert.Throws<RistrettoException>(() => CaffePrototxt.LoadNet(dir.File("none.prototxt"))).Message);
    }
}

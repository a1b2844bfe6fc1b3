using Google.Protobuf;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Interchange.Caffe;

public class CaffeModelFileTests
{
    private const string LeNet = "mnist__lenet.prototxt";

    // LeNet's parameter blobs with deterministic values, including the awkward ones (-0, subnormal, and
    // a NaN with a payload, which only the binary format keeps: text has one "nan").
    private static NetParameter LeNetWeights(bool nanPayload = true)
    {
        var random = new Random(1);
        var shapes = new (string Layer, long[][] Blobs)[]
        {
            ("conv1", [[20, 1, 5, 5], [20]]),
            ("conv2", [[50, 20, 5, 5], [50]]),
            ("ip1", [[500, 800], [500]]),
            ("ip2", [[10, 500], [10]]),
        };
        var model = new NetParameter { Name = "LeNet" };
        model.Layer.Add(new LayerParameter { Name = "data", Type = "Input" });
        foreach (var (name, blobs) in shapes)
        {
            var layer = new LayerParameter { Name = name, Type = name.StartsWith("conv", StringComparison.Ordinal) ? "Convolution" : "InnerProduct" };
            foreach (long[] shape in blobs)
            {
                var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
                for (int i = 0; i < data.Length; i++)
                    data[i] = (float)(random.NextDouble() * 2 - 1);
                data[0] = -0f;
                data[^1] = nanPayload ? BitConverter.Int32BitsToSingle(0x7FC0_1234) : float.NaN;
                if (data.Length > 2)
                    data[1] = float.Epsilon;
                layer.Blobs.Add(new CaffeBlob(shape, data).ToProto());
            }
            model.Layer.Add(layer);
        }
        return model;
    }

    private static CaffeNet LoadLeNet(NetParameter model) =>
        CaffeNet.FromText(CaffeFixtures.Text(LeNet), LeNet, model, "lenet.caffemodel", new NetState { Phase = Phase.Test });

    private static string ErrorOf(NetParameter model) =>
        Assert.Throws<RistrettoException>(() => LoadLeNet(model)).Message;

    [Fact]
    public void Should_Round_Trip_Caffemodel_Blobs_Bit_For_Bit()
    {
        using var dir = new TempDir();
        var written = LeNetWeights();
        CaffeModelFile.Write(dir.File("lenet.caffemodel"), written);

        var net = CaffeNet.Load(CaffeFixtures.PathOf(LeNet), dir.File("lenet.caffemodel"));

        foreach (var expected in written.Layer.Where(l => l.Blobs.Count > 0))
        {
            var actual = CaffeNet.Blobs(net.Layers.Single(l => l.Name == expected.Name));
            var want = CaffeWeights.Of(expected);
            Assert.Equal(want.Count, actual.Count);
            for (int i = 0; i < want.Count; i++)
            {
                Assert.Equal(want[i].Shape, actual[i].Shape);
                Assert.Equal(want[i].Data.Select(BitConverter.SingleToInt32Bits), actual[i].Data.Select(BitConverter.SingleToInt32Bits));
            }
        }
        Assert.Equal([20L, 1, 5, 5], CaffeNet.Blobs(net.Layers[1])[0].Shape);
        Assert.Equal(431_080, net.Layers.SelectMany(CaffeNet.Blobs).Sum(b => b.Data.Length));
    }

    [Fact]
    public void Should_Read_Back_The_Text_And_Binary_Of_A_Net_With_Weights_Equal()
    {
        var net = LoadLeNet(LeNetWeights(nanPayload: false)).Definition;
        Assert.True(net.Equals(CaffeModelFile.Parse(CaffeModelFile.ToBytes(net), "m.caffemodel")));
        Assert.True(net.Equals(CaffePrototxt.ParseNet(CaffePrototxt.Write(net), "m.prototxt")));
    }

    [Fact]
    public void Should_Read_Legacy_Four_D_Blobs_And_Double_Data()
    {
        var legacy = new BlobProto { Num = 2, Channels = 1, Height = 1, Width = 3 };
        legacy.Data.AddRange([1, 2, 3, 4, 5, 6]);
        Assert.Equal([2L, 1, 1, 3], CaffeBlob.FromProto(legacy, "b").Shape);
        var doubles = new BlobProto { Shape = new BlobShape { Dim = { 2 } } };
        doubles.DoubleData.AddRange([0.5, -1.25]);
        Assert.Equal([0.5f, -1.25f], CaffeBlob.FromProto(doubles, "b").Data);
    }

    [Fact]
    public void Should_Take_Weights_From_A_Caffemodel_In_The_Old_V1_Layout()
    {
        var model = new NetParameter();
        foreach (var layer in LeNetWeights().Layer)
        {
            var old = new V1LayerParameter { Name = layer.Name };
            old.Blobs.AddRange(layer.Blobs);
            model.Layers.Add(old);
        }
        var net = LoadLeNet(CaffeModelFile.Parse(model.ToByteArray(), "old.caffemodel"));
        Assert.Equal([500L, 800], CaffeNet.Blobs(net.Layers.Single(l => l.Name == "ip1"))[0].Shape);
    }

    [Fact]
    public void Should_Give_One_Clear_Error_For_Truncated_Or_Garbage_Bytes()
    {
        byte[] bytes = CaffeModelFile.ToBytes(LeNetWeights());
        string truncated = Assert.Throws<RistrettoException>(() => CaffeModelFile.Parse(bytes[..(bytes.Length / 2)], "t.caffemodel")).Message;
        Assert.StartsWith("t.caffemodel is not a Caffe model: ", truncated);
        Assert.DoesNotContain('\n', truncated);

        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        Assert.StartsWith("g.caffemodel is not a Caffe model: ",
            Assert.Throws<RistrettoException>(() => CaffeModelFile.Parse(garbage, "g.caffemodel")).Message);
        Assert.StartsWith("p.caffemodel is not a Caffe model: ",
            Assert.Throws<RistrettoException>(() => CaffeModelFile.Parse(File.ReadAllBytes(CaffeFixtures.PathOf(LeNet)), "p.caffemodel")).Message);
        Assert.Equal("e.caffemodel is not a Caffe model: it holds no layers",
            Assert.Throws<RistrettoException>(() => CaffeModelFile.Parse([], "e.caffemodel")).Message);
    }

    [Fact]
    public void Should_Say_When_The_Caffemodel_File_Does_Not_Exist()
    {
        using var dir = new TempDir();
        Assert.Contains("does not exist", Assert.Throws<RistrettoException>(() => CaffeNet.Load(CaffeFixtures.PathOf(LeNet), dir.File("no.caffemodel"))).Message);
    }

    [Fact]
    public void Should_Refuse_Weights_For_A_Layer_The_Prototxt_Does_Not_Define()
    {
        var model = LeNetWeights();
        model.Layer.Single(l => l.Name == "ip2").Name = "fc8";
        Assert.Equal("lenet.caffemodel has weights for layer 'fc8', which mnist__lenet.prototxt does not define; are the two files of the same net?", ErrorOf(model));
    }

    [Fact]
    public void Should_Refuse_A_Parameterised_Layer_Without_Weights()
    {
        var model = LeNetWeights();
        model.Layer.Remove(model.Layer.Single(l => l.Name == "conv2"));
        Assert.Equal("layer 'conv2' (Convolution) of mnist__lenet.prototxt has no weights in lenet.caffemodel", ErrorOf(model));
    }

    [Fact]
    public void Should_Refuse_A_Blob_Count_That_Disagrees_With_The_Layer()
    {
        var model = LeNetWeights();
        model.Layer.Single(l => l.Name == "ip1").Blobs.RemoveAt(1);
        Assert.Equal("layer 'ip1' (InnerProduct with a bias) needs 2 blob(s) but lenet.caffemodel holds 1", ErrorOf(model));
    }

    [Fact]
    public void Should_Refuse_A_Blob_Whose_Values_Do_Not_Fill_Its_Shape()
    {
        var model = LeNetWeights();
        model.Layer.Single(l => l.Name == "conv1").Blobs[0].Data.RemoveAt(0);
        Assert.Equal("lenet.caffemodel: layer 'conv1' blob 0 holds 499 values but its shape 20x1x5x5 needs 500", ErrorOf(model));
    }

    [Fact]
    public void Should_Refuse_Two_Caffemodel_Layers_Of_One_Name()
    {
        var model = LeNetWeights();
        model.Layer.Add(model.Layer.Single(l => l.Name == "ip2").Clone());
        Assert.Equal("lenet.caffemodel holds weights for two layers named 'ip2'", ErrorOf(model));
    }

    [Fact]
    public void Should_Leave_The_Definition_Unchanged_When_Attaching_Fails()
    {
        var definition = CaffePrototxt.ParseNet(CaffeFixtures.Text(LeNet), LeNet);
        var model = LeNetWeights();
        model.Layer.Single(l => l.Name == "ip2").Blobs.RemoveAt(1);
        Assert.Throws<RistrettoException>(() => CaffeWeights.Attach(definition, model, "a", "b"));
        Assert.All(definition.Layer, l => Assert.Empty(l.Blobs));
    }
}

using Google.Protobuf;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;

namespace Ristretto.Tests.Interchange.Caffe;

public class CaffeModelFuzzTests
{
    private const string Prototxt = """
        layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: [1, 2, 4, 4] } } }
        layer { name: 'conv' type: 'Convolution' bottom: 'x' top: 'c' convolution_param { num_output: 3 kernel_size: 3 } }
        layer { name: 'bn' type: 'BatchNorm' bottom: 'c' top: 'c' }
        layer { name: 'fc' type: 'InnerProduct' bottom: 'c' top: 'y' inner_product_param { num_output: 2 bias_term: false } }
        """;

    private static byte[] ValidModel()
    {
        var model = new NetParameter();
        void Add(string name, params long[][] shapes)
        {
            var layer = new LayerParameter { Name = name };
            foreach (long[] shape in shapes)
                layer.Blobs.Add(new CaffeBlob(shape, Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(i => i * 0.25f).ToArray()).ToProto());
            model.Layer.Add(layer);
        }
        Add("conv", [3, 2, 3, 3], [3]);
        Add("bn", [3], [3], [1]);
        Add("fc", [2, 12]);
        return model.ToByteArray();
    }

    [Fact]
    public void Should_Load_The_Unmutated_Model()
    {
        var net = CaffeNet.FromText(Prototxt, "f.prototxt", CaffeModelFile.Parse(ValidModel(), "f.caffemodel"), "f.caffemodel", new NetState());
        Assert.Equal([2L, 12], CaffeNet.Blobs(net.Layers[3])[0].Shape);
    }

    [Fact]
    public void Should_Only_Ever_Throw_RistrettoException_For_Mutated_Caffemodel_Bytes()
    {
        byte[] valid = ValidModel();
        var random = new Random(5);
        int loaded = 0;
        for (int i = 0; i < 3_000; i++)
        {
            byte[] bytes = (byte[])valid.Clone();
            for (int e = random.Next(1, 4); e > 0; e--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            if (i % 10 == 0)
                bytes = bytes[..random.Next(bytes.Length)];
            try
            {
                CaffeNet.FromText(Prototxt, "f.prototxt", CaffeModelFile.Parse(bytes, "f.caffemodel"), "f.caffemodel", new NetState());
                loaded++;
            }
            catch (RistrettoException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }
        Assert.InRange(loaded, 1, 2_999);
    }
}

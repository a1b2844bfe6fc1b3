using System.Text;
using Google.Protobuf;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using Ristretto.Engine;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Models;

namespace Ristretto.Fuzz;

/// <summary>
/// Small valid inputs for the targets whose formats the shared fixtures lack (caffemodels, plans, model files, IDX,
/// CIFAR, image lists, LMDB records), written by the project's own writers so they are what the readers expect.
/// </summary>
public static class Seeds
{
    /// <summary>The generated seeds of <paramref name="target"/> as (file name, bytes).</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> For(string target) => target switch
    {
        "prototxt" => [("small.prototxt", Encoding.UTF8.GetBytes(FuzzTargets.CaffemodelNet))],
        "caffemodel" => Caffemodels(),
        "plan" => Plans(),
        "rstm" => Models(),
        "idx" => Idx(),
        "cifar" => [("two.bin", Cifar(2)), ("one.bin", Cifar(1))],
        "imagelist" => Lists(),
        "lmdb" => Datums(),
        _ => [],
    };

    private static IEnumerable<(string, byte[])> Caffemodels()
    {
        static byte[] Model(bool withBn)
        {
            var model = new NetParameter { Name = "fuzz" };
            void Add(string name, params long[][] shapes)
            {
                var layer = new LayerParameter { Name = name };
                foreach (long[] shape in shapes)
                    layer.Blobs.Add(new CaffeBlob(shape, [.. Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(i => i * 0.25f)]).ToProto());
                model.Layer.Add(layer);
            }
            Add("conv", [3, 2, 3, 3], [3]);
            if (withBn)
                Add("bn", [3], [3], [1]);
            Add("fc", [2, 12]);
            return model.ToByteArray();
        }
        yield return ("model.caffemodel", Model(true));
        yield return ("no_bn.caffemodel", Model(false));
    }

    private static IEnumerable<(string, byte[])> Plans()
    {
        yield return ("dfp.json", Utf8("""
            {"description": "dfp 8/8/8", "layers": {"conv1": {"weights": {"kind": "dfp", "bw": 8, "fl": 7}, "bias": {"kind": "dfp", "bw": 8, "fl": 5},
             "input": {"kind": "dfp", "bw": 8, "fl": 0}, "output": {"kind": "dfp", "bw": 8, "fl": 2}, "rounding": "nearest"}}, "accuracy": {"top1": 0.98, "top5": 1}}
            """));
        yield return ("mixed.json", Utf8("""
            {"description": "", "layers": {"a": {"weights": {"kind": "minifloat", "exp_bits": 4, "mant_bits": 3}, "rounding": "stochastic"},
             "b": {"weights": {"kind": "pow2", "exp_min": -8, "exp_max": 0, "zero": true}, "output": {"kind": "binary", "alpha": 0.5}},
             "c": {"weights": {"kind": "ternary", "threshold": 0.05, "alpha": 0.7}}}}
            """));
        yield return ("int.json", Utf8("""
            {"description": "int", "layers": {"ip1": {"weights": {"kind": "int", "bw": 4, "signed": true, "scales": [0.5, 0.25], "zero_points": [0, 0],
             "axis": 0, "narrow": true, "scale_kind": "pow2", "scale_frac_bits": 0}, "input": {"kind": "int", "bw": 8, "signed": false, "scales": [0.1],
             "zero_points": [3], "axis": null, "narrow": false, "scale_kind": "float", "scale_frac_bits": 0}, "rounding": "nearest", "learn": "lsq+"}}}
            """));
    }

    private static IEnumerable<(string, byte[])> Models()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ristretto-fuzz-seed-{Environment.ProcessId}.rstm");
        byte[] Write(ModelData data)
        {
            ModelFile.Save(path, data);
            byte[] bytes = File.ReadAllBytes(path);
            File.Delete(path);
            return bytes;
        }
        yield return ("tiny.rstm", Write(new ModelData("lenet", 10,
            [new TensorBlob("conv1.weight", [2, 1, 1, 2], [1, 2, 3, 4]), new TensorBlob("ip2.bias", [3], [0.5f, -1, 2])],
            new Dictionary<string, string> { ["preprocessing"] = "{\"scale\":0.00390625}" })));
        using var solverState = System.Text.Json.JsonDocument.Parse("{\"iteration\":7,\"lr\":0.01}");
        yield return ("solver.rstm", Write(new ModelData("mystery", 2, [new TensorBlob("w", [2], [1, 2])], [],
            new SolverState(solverState.RootElement.Clone(), [new TensorBlob("w.momentum", [2], [float.NaN, 0])]))));
    }

    private static IEnumerable<(string, byte[])> Idx()
    {
        yield return ("images.idx", IdxFile.Encode([2, 3, 4], [.. Enumerable.Range(0, 24).Select(i => (byte)(i * 10))]));
        yield return ("labels.idx", IdxFile.Encode([5], [0, 1, 2, 3, 9]));
        yield return ("matrix.idx", IdxFile.Encode([2, 2], [1, 2, 3, 4]));
    }

    private static byte[] Cifar(int records)
    {
        var bytes = new byte[records * (1 + CifarSource.ImageBytes)];
        for (int r = 0; r < records; r++)
        {
            bytes[r * (1 + CifarSource.ImageBytes)] = (byte)(r + 3);
            for (int i = 1; i <= CifarSource.ImageBytes; i++)
                bytes[r * (1 + CifarSource.ImageBytes) + i] = (byte)(i * 7 + r);
        }
        return bytes;
    }

    private static IEnumerable<(string, byte[])> Lists()
    {
        yield return ("labelled.txt", Utf8("a.png 0\nb b.jpg 3\nsub/c.bmp 1\n"));
        yield return ("unlabelled.txt", Utf8("a.png\r\nsub/c.bmp\r\n\r\n"));
        yield return ("broken.txt", Utf8("bad.png 2\na.png 0\n"));
    }

    private static IEnumerable<(string, byte[])> Datums()
    {
        yield return ("gray.datum", LmdbSource.EncodeDatum(3, [1, 2, 3, 4, 5, 6], 1, 2, 3));
        yield return ("colour.datum", LmdbSource.EncodeDatum(0, [.. Enumerable.Range(0, 12).Select(i => (byte)i)], 3, 2, 2));
        var image = new DecodedImage([.. Enumerable.Range(0, 12).Select(i => (byte)(i * 20))], 2, 2, 3, ChannelOrder.Bgr);
        yield return ("encoded.datum", LmdbSource.EncodeDatum(7, ImageCodec.Encode(image, ".png"), 0, 0, 0, encoded: true));
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

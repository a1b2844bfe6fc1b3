using System.Text;
using Ristretto.Data.Images;
using Ristretto.Graph;
using Ristretto.Data.Sources;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Zoo;

namespace Ristretto.Fuzz;

/// <summary>
/// The fuzzing targets: each takes one input's bytes through a reader the way the CLI would, as far as the reader goes
/// (a prototxt is parsed, phase-selected, validated and built into a network; an image list is opened and its images
/// read). A target returns on success and lets a <see cref="RistrettoException"/> out for bad input; anything else
/// escaping, or an error message of more than one line, is a finding. The AFL++ harness (Program) and the regression
/// tests (tests/Ristretto.Tests/Fuzz) run exactly this code.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Every target, by the name the campaign and the regression folders use.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["prototxt", "caffemodel", "onnx", "plan", "rstm", "idx", "cifar", "imagelist", "lmdb"];

    /// <summary>The small net that the caffemodel target reads weights for (a convolution, a batch norm, an inner product).</summary>
    public const string CaffemodelNet = """
        layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: [1, 2, 4, 4] } } }
        layer { name: 'conv' type: 'Convolution' bottom: 'x' top: 'c' convolution_param { num_output: 3 kernel_size: 3 } }
        layer { name: 'bn' type: 'BatchNorm' bottom: 'c' top: 'c' }
        layer { name: 'fc' type: 'InnerProduct' bottom: 'c' top: 'y' inner_product_param { num_output: 2 bias_term: false } }
        """;

    private static readonly Lazy<Network> LeNet = new(() => ModelZoo.Create("lenet", 10));

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/>; a <see cref="RistrettoException"/> with a one-line message passes through.</summary>
    public static void Execute(string target, byte[] input)
    {
        try
        {
            Dispatch(target, input);
        }
        catch (RistrettoException e) when (e.Message.Contains('\n', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a RistrettoException of more than one line: {e.Message}", e);
        }
    }

    private static void Dispatch(string target, byte[] input)
    {
        switch (target)
        {
            case "prototxt": Prototxt(input); break;
            case "caffemodel": Caffemodel(input); break;
            case "onnx": Onnx(input); break;
            case "plan": Plan(input); break;
            case "rstm": Rstm(input); break;
            case "idx": Idx(input); break;
            case "cifar": Cifar(input); break;
            case "imagelist": ImageList(input); break;
            case "lmdb": Lmdb(input); break;
            default: throw new ArgumentException($"unknown fuzz target '{target}' ({string.Join(", ", Names)})", nameof(target));
        }
    }

    /// <summary>Caffe's text format: a net of both phases, written back and (when small) built; text that is no net, as a solver.</summary>
    private static void Prototxt(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            foreach (var phase in new[] { Phase.Test, Phase.Train })
            {
                var net = CaffeNet.FromText(text, "fuzz.prototxt", null, null, new NetState { Phase = phase });
                string written = CaffePrototxt.Write(net.Definition);
                if (!net.Definition.Equals(CaffePrototxt.ParseNet(written, "rewritten.prototxt")))
                    throw new InvalidOperationException("a net written back as text reads back different");
                if (Small(net.Net))
                {
                    using var network = CaffeGraphBuilder.Build(net);
                }
            }
            return;
        }
        catch (RistrettoException)
        {
            // Not a net: perhaps a solver.
        }
        CaffePrototxt.ParseSolver(text, "fuzz_solver.prototxt");
    }

    /// <summary>
    /// Whether a net is cheap to build (at most 64 outputs per convolution or inner product, inputs of at most 1,024
    /// values): the filler would otherwise spend milliseconds per execution, and the campaign needs a million of them.
    /// Larger nets (the fixtures' LeNet, CIFAR and ImageNet nets) are parsed, phase-selected, validated and written back.
    /// </summary>
    private static bool Small(NetParameter net) =>
        net.Layer.All(l => Small(l.ConvolutionParam) && (l.InnerProductParam?.NumOutput ?? 0) <= 64
            && (l.InputParam?.Shape.All(s => Values(s) <= 1024) ?? true) && (l.TransformParam?.CropSize ?? 0) <= 16
            && !(l.DataParam?.Source ?? l.ImageDataParam?.Source ?? "").Contains("cifar", StringComparison.OrdinalIgnoreCase))
        && net.InputShape.All(s => Values(s) <= 1024) && net.InputDim.Aggregate(1.0, (a, d) => a * d) <= 1024;

    private static bool Small(ConvolutionParameter? c) =>
        c is null || (c.NumOutput <= 64 && c.Pad.Concat(c.Stride).Concat(c.KernelSize).Concat(c.Dilation).All(v => v <= 16)
            && new[] { c.PadH, c.PadW, c.StrideH, c.StrideW, c.KernelH, c.KernelW }.All(v => v <= 16));

    private static double Values(BlobShape shape) => shape.Dim.Aggregate(1.0, (a, d) => a * d);

    /// <summary>A binary caffemodel attached to <see cref="CaffemodelNet"/> and built.</summary>
    private static void Caffemodel(byte[] input)
    {
        var model = CaffeModelFile.Parse(input, "fuzz.caffemodel");
        var net = CaffeNet.FromText(CaffemodelNet, "fuzz.prototxt", model, "fuzz.caffemodel", new NetState { Phase = Phase.Test });
        using var network = CaffeGraphBuilder.Build(net);
    }

    private static void Onnx(byte[] input)
    {
        using var network = OnnxImporter.Load(input, "fuzz.onnx");
    }

    /// <summary>A plan file read, written back, and read again equal.</summary>
    private static void Plan(byte[] input)
    {
        var plan = PlanFile.Parse(Encoding.UTF8.GetString(input), "fuzz.json");
        var again = PlanFile.Parse(PlanFile.Serialize(plan), "rewritten.json");
        if (again.Layers.Count != plan.Layers.Count || plan.Layers.Any(p => !again.Layers[p.Key].Equals(p.Value)))
            throw new InvalidOperationException("a plan written back reads back different");
    }

    /// <summary>A model file read; weights named as LeNet's are loaded into a LeNet.</summary>
    private static void Rstm(byte[] input)
    {
        var data = ModelFile.Parse(input, "fuzz.rstm");
        if (data.Weights.Count > 0 && data.Weights.All(w => w.Name.StartsWith("conv", StringComparison.Ordinal) || w.Name.StartsWith("ip", StringComparison.Ordinal)))
            ModelStore.LoadWeights(LeNet.Value, data.Weights, "fuzz.rstm");
    }

    /// <summary>An IDX file; rank-3 images become an image set (with zero labels) whose first images are read.</summary>
    private static void Idx(byte[] input)
    {
        var (shape, data) = IdxFile.Parse(input, "fuzz-idx");
        if (shape.Length != 3)
            return;
        var set = new ImageSet("fuzz-idx", data, new byte[shape[0]], shape[1], shape[2]);
        using var source = new IdxSource(set, "fuzz-idx");
        for (int i = 0; i < Math.Min(source.Count, 4); i++)
        {
            source.Read(i, 1);
            source.Read(i, 3);
        }
    }

    /// <summary>A CIFAR-10 folder whose test_batch.bin is the input (the training batches are one valid record each).</summary>
    private static void Cifar(byte[] input)
    {
        string folder = FuzzWorkspace.Cifar();
        File.WriteAllBytes(Path.Combine(folder, "test_batch.bin"), input);
        var (train, test) = CifarSource.Open(folder);
        using (train)
        using (test)
        {
            for (int i = 0; i < Math.Min(test.Count, 8); i++)
            {
                test.Read(i, 3);
                test.Read(i, 1);
                _ = test.Describe(i) + test.Label(i);
            }
        }
    }

    /// <summary>A Caffe ImageData list beside a few images (good, with spaces in the name, in a sub-folder, broken); the first four are read.</summary>
    private static void ImageList(byte[] input)
    {
        string folder = FuzzWorkspace.Images();
        string list = Path.Combine(folder, "val.txt");
        File.WriteAllBytes(list, input);
        using var source = ImageFileSource.FromList(list, (input.Length & 1) == 0 ? null : folder);
        for (int i = 0; i < Math.Min(source.Count, 4); i++)
        {
            _ = source.Describe(i) + source.Label(i);
            source.Read(i, 3);
        }
    }

    /// <summary>One LMDB record: the scan that opening does, then the Datum read for gray and colour.</summary>
    private static void Lmdb(byte[] input)
    {
        var (label, channels, encoded) = LmdbSource.Scan(input, "fuzz-lmdb", "00000000_a"u8.ToArray());
        if (label < 0 || (!encoded && channels is not (1 or 3)))
            throw new InvalidOperationException($"the scan accepted label {label}, {channels} channels");
        var datum = LmdbSource.ParseDatum(input, "fuzz-lmdb record");
        LmdbSource.Decode(datum, 1, "fuzz-lmdb record");
        LmdbSource.Decode(datum, 3, "fuzz-lmdb record");
    }
}

using Ristretto.Models;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Models;

public class ModelFileTests
{
    [Fact]
    public void Should_Round_Trip_Weights_Bit_For_Bit()
    {
        using var dir = new TempDir();
        using var net = LeNet.Build(seed: 9);
        var data = ModelStore.Capture(LeNet.ArchitectureName, 10, net, new() { ["k"] = "v" });
        ModelFile.Save(dir.File("m.rstm"), data);

        var back = ModelFile.Load(dir.File("m.rstm"));
        Assert.Equal("lenet", back.Architecture);
        Assert.Equal("v", back.Metadata["k"]);
        Assert.Equal(data.Weights.Select(w => w.Name), back.Weights.Select(w => w.Name));
        foreach (var (a, b) in data.Weights.Zip(back.Weights))
        {
            Assert.Equal(a.Shape, b.Shape);
            Assert.Equal(a.Data, b.Data);
        }
        using var restored = ModelStore.Instantiate(back, CPU);
        Assert.Equal(net.parameters().First().data<float>().ToArray(), restored.parameters().First().data<float>().ToArray());
    }

    [Fact]
    public void Should_Give_One_Clear_Error_For_A_Missing_Or_Foreign_File()
    {
        using var dir = new TempDir();
        Assert.Contains("does not exist", Assert.Throws<RistrettoException>(() => ModelFile.Load(dir.File("nope.rstm"))).Message);
        File.WriteAllText(dir.File("x.onnx"), "not a model");
        Assert.Contains("not a Ristretto model file", Assert.Throws<RistrettoException>(() => ModelFile.Load(dir.File("x.onnx"))).Message);
    }

    [Fact]
    public void Should_Reject_A_Truncated_File()
    {
        using var dir = new TempDir();
        using var net = LeNet.Build();
        ModelFile.Save(dir.File("m.rstm"), ModelStore.Capture("lenet", 10, net));
        var bytes = File.ReadAllBytes(dir.File("m.rstm"));
        File.WriteAllBytes(dir.File("t.rstm"), bytes[..(bytes.Length / 2)]);
        Assert.Contains("truncated", Assert.Throws<RistrettoException>(() => ModelFile.Load(dir.File("t.rstm"))).Message);
    }

    [Fact]
    public void Should_Reject_NaN_Weights_Naming_The_Tensor()
    {
        using var dir = new TempDir();
        using var net = LeNet.Build();
        var data = ModelStore.Capture("lenet", 10, net);
        data.Weights[2].Data[7] = float.NaN;
        ModelFile.Save(dir.File("m.rstm"), data);
        var e = Assert.Throws<RistrettoException>(() => ModelFile.Load(dir.File("m.rstm")));
        Assert.Contains(data.Weights[2].Name, e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void Should_Reject_Weights_Of_The_Wrong_Shape()
    {
        using var net = LeNet.Build();
        var data = ModelStore.Capture("lenet", 10, net);
        var weights = data.Weights.ToList();
        weights[0] = weights[0] with { Shape = [10, 2, 5, 5] };
        var e = Assert.Throws<RistrettoException>(() => ModelStore.Instantiate(data with { Weights = weights }, CPU));
        Assert.Contains("conv1.weight", e.Message);
    }

    [Fact]
    public void Should_Leave_No_Temporary_File_Behind()
    {
        using var dir = new TempDir();
        using var net = LeNet.Build();
        ModelFile.Save(dir.File("m.rstm"), ModelStore.Capture("lenet", 10, net));
        Assert.Equal(new[] { "m.rstm" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}

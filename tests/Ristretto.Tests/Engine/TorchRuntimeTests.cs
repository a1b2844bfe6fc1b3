using Ristretto.Engine;
using Ristretto.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Engine;

public class TorchRuntimeTests
{
    [Fact]
    public void Should_Run_A_Tensor_Op_On_The_Cpu()
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        var c = a.matmul(b).data<float>().ToArray();
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c);
    }

    [Fact]
    public void Should_Resolve_Cpu_And_Auto()
    {
        Assert.Equal(DeviceType.CPU, DeviceSelector.Resolve("cpu").type);
        var auto = DeviceSelector.Resolve("auto");
        Assert.Equal(cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, auto.type);
    }

    [NoCudaFact]
    public void Should_Explain_In_One_Line_When_Cuda_Is_Asked_For_And_Absent()
    {
        var e = Assert.Throws<RistrettoException>(() => DeviceSelector.Resolve("cuda"));
        Assert.Contains("CUDA is not available", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    public void Should_Reject_A_Malformed_Device(string spec)
    {
        var e = Assert.Throws<RistrettoException>(() => DeviceSelector.Resolve(spec));
        Assert.Contains(spec, e.Message);
    }
}

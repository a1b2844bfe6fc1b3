namespace Ristretto.Engine;

/// <summary>A named float32 tensor as plain C# data (row-major), independent of any device.</summary>
public sealed record TensorBlob(string Name, long[] Shape, float[] Data)
{
    /// <summary>Number of elements the shape describes.</summary>
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Copies a torch tensor to the CPU as a blob.</summary>
    public static TensorBlob From(string name, TorchSharp.torch.Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        using var scope = TorchSharp.torch.NewDisposeScope(); // frees every intermediate of the chain below
        var cpu = t.detach().to(TorchSharp.torch.CPU).to(TorchSharp.torch.ScalarType.Float32).contiguous();
        return new TensorBlob(name, cpu.shape, cpu.data<float>().ToArray());
    }

    /// <summary>Makes a tensor on <paramref name="device"/> (in the caller's dispose scope).</summary>
    public TorchSharp.torch.Tensor ToTensor(TorchSharp.torch.Device device) =>
        TorchSharp.torch.tensor(Data, Shape).to(device);
}

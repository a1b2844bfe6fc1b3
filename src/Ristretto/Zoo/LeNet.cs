using Ristretto.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Zoo;

/// <summary>
/// LeNet exactly as Caffe's <c>examples/mnist/lenet_train_test.prototxt</c>: conv 20×5×5, max-pool 2/2,
/// conv 50×5×5, max-pool 2/2, FC 500, ReLU, FC 10 (431,080 parameters for 28×28 inputs).
/// Weights use Caffe's "xavier" filler (uniform ±√(3 / fan_in)), biases the constant 0.
/// </summary>
public sealed class LeNet : nn.Module<Tensor, Tensor>
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "lenet";

    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear ip1;
    private readonly Linear ip2;

    /// <summary>Builds LeNet for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public LeNet(int classes = 10, ulong seed = 1) : base(ArchitectureName)
    {
        conv1 = nn.Conv2d(1, 20, 5);
        conv2 = nn.Conv2d(20, 50, 5);
        ip1 = nn.Linear(50 * 4 * 4, 500);
        ip2 = nn.Linear(500, classes);
        RegisterComponents();
        XavierInit(seed);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.max_pool2d(conv1.forward(input), 2, 2);
        x = nn.functional.max_pool2d(conv2.forward(x), 2, 2);
        x = ip1.forward(x.flatten(1)).relu_();
        return ip2.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Caffe's xavier filler (variance_norm FAN_IN) on weights, zero biases, from a fixed seed.</summary>
    private void XavierInit(ulong seed)
    {
        var rng = new SplitMix64(seed);
        using var noGrad = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (Models.ParameterNames.IsBias(name))
            {
                p.zero_();
                continue;
            }
            long fanIn = p.numel() / p.shape[0];
            double a = Math.Sqrt(3.0 / fanIn);
            var values = new float[p.numel()];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)((rng.NextDouble() * 2 - 1) * a);
            using var init = tensor(values, p.shape);
            p.copy_(init);
        }
    }
}

using Ristretto.Graph;
using Ristretto.Import;
using Ristretto.Models;
using Ristretto.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Cli.Infrastructure;

/// <summary>
/// A float graph network loaded for a command that rewrites its weights (fine-tuning), with what is needed to
/// write it back: the zoo architecture behind a .rstm (null for imported graphs) and its class count. A
/// Ristretto prototxt also yields the plan its quantized layers carry.
/// </summary>
public sealed record NetworkSource(Network Network, string Path, string? Architecture, int Classes, QuantizationPlan? CarriedPlan)
{
    /// <summary>
    /// Loads <paramref name="spec"/> (as <see cref="ModelReference"/> resolves it) in float form on <paramref name="device"/>;
    /// a Ristretto prototxt's formats come back as <see cref="CarriedPlan"/>.
    /// </summary>
    public static NetworkSource Load(string? spec, Device device, string? weights)
    {
        string path = ModelReference.ResolvePath(spec, device);
        if (path.EndsWith(".prototxt", StringComparison.OrdinalIgnoreCase))
        {
            QuantizationPlan carried;
            using (var quantized = CaffeImport.Load(path, weights, applyQuantization: true))
                carried = QuantizationPlan.CarriedBy(quantized);
            var network = CaffeImport.Load(path, weights, applyQuantization: false);
            network.to(device);
            return new NetworkSource(network, path, null, OutputClasses(network), carried.Layers.Count > 0 ? carried : null);
        }
        if (path.EndsWith(".rstm", StringComparison.OrdinalIgnoreCase))
        {
            var (model, data) = ModelStore.Load(path, device);
            if (model is not Network graph)
            {
                model.Dispose();
                throw new RistrettoException($"{path}: only graph networks can be fine-tuned");
            }
            return new NetworkSource(graph, path, data.Architecture, data.Classes, null);
        }
        var (loaded, _) = ModelReference.Load(path, device, weights);
        if (loaded is not Network net)
        {
            loaded.Dispose();
            throw new RistrettoException($"{path}: only graph networks can be fine-tuned");
        }
        return new NetworkSource(net, path, null, OutputClasses(net), null);
    }

    private static int OutputClasses(Network network)
    {
        var shape = network.Validate()[network.Outputs[0]];
        return shape.Length >= 2 ? (int)shape[1] : 0;
    }
}

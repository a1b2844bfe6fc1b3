using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Transforms;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Models;

/// <summary>Moves models between live TorchSharp modules and <see cref="ModelData"/> / model files.</summary>
public static class ModelStore
{
    /// <summary>Copies a module's parameters and buffers (BatchNorm statistics) into plain data.</summary>
    public static ModelData Capture(string architecture, int classes, nn.Module module,
        Dictionary<string, string>? metadata = null, SolverState? solver = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var weights = module.named_parameters().Select(p => TensorBlob.From(p.name, p.parameter))
            .Concat(module.named_buffers().Select(b => TensorBlob.From(b.name, b.buffer))).ToList();
        return new ModelData(architecture, classes, weights, metadata ?? [], solver);
    }

    /// <summary>
    /// Builds the zoo architecture named in <paramref name="data"/>, replays the structure edits of its compression
    /// section (if any), and loads its weights on <paramref name="device"/>.
    /// </summary>
    public static Network Instantiate(ModelData data, Device device, string source = "model")
    {
        ArgumentNullException.ThrowIfNull(data);
        var model = ModelZoo.Create(data.Architecture, data.Classes);
        try
        {
            if (CompressionSection.Read(data.Metadata, source) is { Structure.Count: > 0 } section)
            {
                var edited = StructureEdit.ApplyAll(model, section.Structure);
                model.Dispose();
                model = edited;
            }
            LoadWeights(model, data.Weights, source);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.to(device);
        return model;
    }

    /// <summary>
    /// Copies <paramref name="weights"/> into the module's parameters and buffers; names and shapes must match
    /// exactly, except that a buffer the data lacks (a file written before buffers were saved) keeps its value.
    /// </summary>
    public static void LoadWeights(nn.Module module, IReadOnlyList<TensorBlob> weights, string source = "model")
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(weights);
        var byName = weights.ToDictionary(w => w.Name, StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (!byName.Remove(name, out var blob))
                throw new RistrettoException($"{source} lacks tensor {name}");
            if (!p.shape.SequenceEqual(blob.Shape))
                throw new RistrettoException(
                    $"{source}: tensor {name} has shape [{string.Join(",", blob.Shape)}], the network expects [{string.Join(",", p.shape)}]");
            using var scope = NewDisposeScope();
            p.copy_(blob.ToTensor(p.device));
        }
        foreach (var (name, b) in module.named_buffers())
        {
            if (!byName.Remove(name, out var blob))
                continue;
            if (!b.shape.SequenceEqual(blob.Shape))
                throw new RistrettoException(
                    $"{source}: tensor {name} has shape [{string.Join(",", blob.Shape)}], the network expects [{string.Join(",", b.shape)}]");
            using var scope = NewDisposeScope();
            b.copy_(blob.ToTensor(b.device));
        }
        if (byName.Count > 0)
            throw new RistrettoException($"{source} has tensor {byName.Keys.First()} that the network does not use");
    }

    /// <summary>Loads a model file onto a device.</summary>
    public static (nn.Module<Tensor, Tensor> Model, ModelData Data) Load(string path, Device device)
    {
        var data = ModelFile.Load(path);
        return (Instantiate(data, device, $"model file {path}"), data);
    }
}

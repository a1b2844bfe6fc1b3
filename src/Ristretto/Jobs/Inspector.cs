using Ristretto.Data;
using Ristretto.Graph;
using Ristretto.Zoo;
using TorchSharp;

namespace Ristretto.Jobs;

/// <summary>One layer of a <see cref="NetworkSummary"/>.</summary>
public sealed record LayerSummary(string Name, string Type, long[] OutputShape, long Params, long Macs, string Settings);

/// <summary>A network's layers, output shapes (for the declared input batch), parameters and MACs per image.</summary>
public sealed record NetworkSummary(string Network, IReadOnlyList<LayerSummary> Layers)
{
    /// <summary>The JSON document of the summary (the CLI's <c>inspect --json</c>).</summary>
    public Dictionary<string, object> ToJson() => new()
    {
        ["layers"] = Layers.Select(x => new Dictionary<string, object>
        {
            ["name"] = x.Name, ["type"] = x.Type, ["output_shape"] = x.OutputShape, ["params"] = x.Params, ["macs"] = x.Macs,
        }).ToList(),
        ["params"] = Layers.Sum(x => x.Params),
        ["macs"] = Layers.Sum(x => x.Macs),
    };
}

/// <summary>The <c>inspect</c> job as library calls: summarise a network, or a data set.</summary>
public static class Inspector
{
    /// <summary>
    /// The summary of <paramref name="spec"/>: a model file, or a zoo name (untrained) — a zoo name wins unless a file of
    /// that name exists; a word without '/' or '.' is a zoo name.
    /// </summary>
    public static NetworkSummary Network(string spec, string? weights = null, IJobObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        bool zoo = !File.Exists(spec) && (ModelZoo.Contains(spec) || !(spec.Contains('/', StringComparison.Ordinal) || spec.Contains('.', StringComparison.Ordinal)));
        using var module = zoo ? ModelZoo.Create(spec) : ModelLoader.Load(spec, torch.CPU, weights, observer: observer).Model;
        var network = module as Network ?? throw new RistrettoException($"{spec} is not a graph network");
        return Summarise(network);
    }

    /// <summary>The summary of a loaded network, shapes inferred from its declared inputs.</summary>
    public static NetworkSummary Summarise(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var shapes = network.Validate();
        return new NetworkSummary(network.Name, network.Nodes.Select(n => new LayerSummary(n.Layer.LayerName, n.Layer.Type, shapes[n.Outputs[0]],
            n.Layer.ParameterCount, n.Layer.Macs(n.Inputs.Select(b => shapes[b]).ToArray()), n.Layer.Describe())).ToList());
    }

    /// <summary>The summary of a data set (any source <c>--data</c> takes).</summary>
    public static DataSummary Data(string spec, string? root = null, IJobObserver? observer = null)
    {
        using var source = DataSource.Open(spec, new DataOpenOptions { Root = root }, (observer ?? JobObserver.Silent).Info);
        return DataSummary.Of(source);
    }

    /// <summary>The JSON document of a data summary (the CLI's <c>inspect --data --json</c>).</summary>
    public static Dictionary<string, object> ToJson(DataSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new()
        {
            ["data"] = summary.Spec, ["kind"] = summary.Kind,
            ["splits"] = summary.Splits.Select(x => new Dictionary<string, object>
            {
                ["split"] = x.Split, ["images"] = x.Count, ["labelled"] = x.Labelled, ["classes"] = x.Classes, ["class_names"] = x.ClassNames,
                ["sampled"] = x.Sampled, ["height"] = new[] { x.MinHeight, x.MaxHeight }, ["width"] = new[] { x.MinWidth, x.MaxWidth }, ["channels"] = x.Channels,
            }).ToList(),
        };
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text;
using Ristretto.Jobs;
using Ristretto.Cli.Infrastructure;
using Ristretto.Graph;
using Ristretto.Zoo;
using TorchSharp;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto inspect --model PATH|zoo-name</c>: the layers in order with type, output shape,
/// parameters and MACs per image, and the totals — a Netron-like summary in the terminal.
/// </summary>
public static class InspectCommand
{
    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = $"A .rstm, .onnx or Caffe .prototxt file, or a zoo name ({string.Join(", ", ModelZoo.Names)}; untrained)." };
        var data = new Option<string?>("--data") { Description = "Summarise a data set instead (any source the other verbs' --data takes): kind, splits, counts, classes, image sizes, channels." };
        var root = new Option<string?>("--root") { Description = "With --data: the folder an ImageData list's paths are relative to." };
        var weights = CommonOptions.Weights();
        var json = CommonOptions.Json();
        var command = new Command("inspect", "Show a network's layers, output shapes, parameters and MACs, or summarise a data set.") { model, weights, data, root, json };
        command.SetAction(r => CommandRunner.Run(_ =>
        {
            if (r.GetValue(data) is { } dataSpec)
            {
                if (r.GetValue(model) != null)
                    throw new RistrettoException("inspect takes --model or --data, not both");
                using var source = Data.DataSource.Open(dataSpec, new Data.DataOpenOptions { Root = r.GetValue(root) }, Log.Info);
                var summary = Data.DataSummary.Of(source);
                foreach (string line in summary.Lines())
                    Console.WriteLine(line);
                JobJson.Write(r.GetValue(json), new Dictionary<string, object>
                {
                    ["data"] = summary.Spec, ["kind"] = summary.Kind,
                    ["splits"] = summary.Splits.Select(x => new Dictionary<string, object>
                    {
                        ["split"] = x.Split, ["images"] = x.Count, ["labelled"] = x.Labelled, ["classes"] = x.Classes, ["class_names"] = x.ClassNames,
                        ["sampled"] = x.Sampled, ["height"] = new[] { x.MinHeight, x.MaxHeight }, ["width"] = new[] { x.MinWidth, x.MaxWidth }, ["channels"] = x.Channels,
                    }).ToList(),
                });
                return 0;
            }
            string spec = r.GetValue(model) ?? throw new RistrettoException("inspect needs --model (a network) or --data (a data set)");
            // A zoo name ("squeezenet1.1") wins unless a file of that name exists; a word without '/' or '.' is a zoo name.
            bool zoo = !File.Exists(spec) && (ModelZoo.Contains(spec) || !(spec.Contains('/', StringComparison.Ordinal) || spec.Contains('.', StringComparison.Ordinal)));
            using var module = zoo ? ModelZoo.Create(spec) : ModelLoader.Load(spec, torch.CPU, r.GetValue(weights), observer: ProgressDisplay.Observer).Model;
            var network = module as Network ?? throw new RistrettoException($"{spec} is not a graph network");
            var rows = Rows(network);
            Console.Write(Render(network.Name, rows));
            JobJson.Write(r.GetValue(json), new Dictionary<string, object>
            {
                ["layers"] = rows.Select(x => new Dictionary<string, object>
                {
                    ["name"] = x.Name, ["type"] = x.Type, ["output_shape"] = x.OutputShape, ["params"] = x.Params, ["macs"] = x.Macs,
                }).ToList(),
                ["params"] = rows.Sum(x => x.Params),
                ["macs"] = rows.Sum(x => x.Macs),
            });
            return 0;
        }));
        return command;
    }

    /// <summary>One line of the summary.</summary>
    internal sealed record Row(string Name, string Type, long[] OutputShape, long Params, long Macs, string Settings);

    /// <summary>The summary rows of <paramref name="network"/>, shapes inferred from its declared inputs.</summary>
    internal static List<Row> Rows(Network network)
    {
        var shapes = network.Validate();
        return network.Nodes.Select(n => new Row(n.Layer.LayerName, n.Layer.Type, shapes[n.Outputs[0]], n.Layer.ParameterCount,
            n.Layer.Macs(n.Inputs.Select(b => shapes[b]).ToArray()), n.Layer.Describe())).ToList();
    }

    private static string Render(string name, List<Row> rows)
    {
        var c = CultureInfo.InvariantCulture;
        int nameWidth = Math.Max(5, rows.Max(r => r.Name.Length));
        var s = new StringBuilder();
        s.AppendLine(c, $"{name}: {rows.Count} layers (shapes for the declared input batch; MACs per image)");
        s.AppendLine(c, $"{"layer".PadRight(nameWidth)}  {"type",-13} {"output",-18} {"params",12} {"MACs",15}  settings");
        foreach (var r in rows)
            s.AppendLine(c, $"{r.Name.PadRight(nameWidth)}  {r.Type,-13} {string.Join("×", r.OutputShape),-18} {r.Params,12:N0} {r.Macs,15:N0}  {r.Settings}");
        s.AppendLine(c, $"{"total".PadRight(nameWidth)}  {"",-13} {"",-18} {rows.Sum(r => r.Params),12:N0} {rows.Sum(r => r.Macs),15:N0}");
        return s.ToString();
    }
}

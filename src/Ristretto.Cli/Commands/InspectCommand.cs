using System.CommandLine;
using System.Globalization;
using System.Text;
using Ristretto.Cli.Infrastructure;
using Ristretto.Graph;
using Ristretto.Jobs;
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
                var summary = Inspector.Data(dataSpec, r.GetValue(root), ProgressDisplay.Observer);
                foreach (string line in summary.Lines())
                    Console.WriteLine(line);
                JobJson.Write(r.GetValue(json), Inspector.ToJson(summary));
                return 0;
            }
            string spec = r.GetValue(model) ?? throw new RistrettoException("inspect needs --model (a network) or --data (a data set)");
            var network = Inspector.Network(spec, r.GetValue(weights), ProgressDisplay.Observer);
            Console.Write(Render(network.Network, network.Layers));
            JobJson.Write(r.GetValue(json), network.ToJson());
            return 0;
        }));
        return command;
    }

    private static string Render(string name, IReadOnlyList<LayerSummary> rows)
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

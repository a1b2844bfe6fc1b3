using System.Text.Json;
using Ristretto.Hardware;

namespace Ristretto.Reports;

/// <summary>The report's numbers as JSON (the same numbers as the Markdown and HTML, unrounded).</summary>
public static class ReportJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>The JSON text of <paramref name="data"/>, with the storage formula's terms of a compressed model (<paramref name="compression"/>).</summary>
    public static string Serialize(ReportData data, CompressionCost? compression = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var a = data.Accelerator;
        var root = new Dictionary<string, object?>
        {
            ["network"] = data.Network,
            ["model"] = data.ModelSource,
            ["accelerator"] = new Dictionary<string, object?>
            {
                ["sram"] = a.Sram.Label(), ["dram"] = a.Dram == DramEstimate.Low ? "low" : "high", ["batch"] = a.Batch,
                ["array_rows"] = a.ArrayRows, ["array_columns"] = a.ArrayColumns,
                ["offsets"] = a.Offsets == OffsetImplementation.CrossTerms ? "cross-terms" : "per-mac",
                ["platform"] = new Dictionary<string, object?> { ["name"] = a.Platform.Name, ["peak_ops_per_s"] = a.Platform.PeakOpsPerSecond, ["bytes_per_s"] = a.Platform.BytesPerSecond, ["ridge_ops_per_byte"] = a.Platform.Ridge },
            },
            ["sources"] = data.Sources,
            ["rules"] = data.Rules,
            ["units"] = new Dictionary<string, string> { ["energy"] = "pJ per inference", ["area"] = "µm²", ["bits"] = "bits per inference", ["intensity"] = "ops per byte" },
            ["pareto_front"] = data.Plans.Where(p => p.OnParetoFront).Select(p => p.Plan.Name).ToList(),
            ["without_accuracy"] = data.WithoutAccuracy,
            ["plans"] = data.Plans.Select(p => Plan(p, data)).ToList(),
        };
        if (compression is not null)
            root["compression"] = CompressionJson.Of(compression);
        return JsonSerializer.Serialize(root, Options) + "\n";
    }

    private static Dictionary<string, object?> Plan(PlanReport p, ReportData data)
    {
        var c = p.Cost;
        var f = data.Baseline.Cost;
        return new Dictionary<string, object?>
        {
            ["name"] = p.Plan.Name,
            ["description"] = p.Plan.Plan.Description,
            ["accuracy"] = p.Plan.Accuracy is { } acc ? new Dictionary<string, object?> { ["top1"] = acc.Top1, ["top5"] = acc.Top5, ["origin"] = acc.Origin } : null,
            ["pareto"] = p.OnParetoFront,
            ["weights_resident"] = c.WeightsResident,
            ["totals"] = new Dictionary<string, object?>
            {
                ["macs"] = c.Macs, ["params"] = c.Parameters, ["weight_bits"] = c.WeightBits, ["extra_parameter_bits"] = c.ExtraParameterBits,
                ["activation_bits"] = c.ActivationBits, ["bops"] = c.Bops, ["energy_pj"] = Energy(c.Energy), ["area_um2"] = Area(c.Area),
                ["ops"] = c.Ops, ["bytes"] = c.Bytes,
            },
            ["vs_float32"] = new Dictionary<string, object?>
            {
                ["energy_ratio"] = f.Energy.Total / c.Energy.Total,
                ["arithmetic_energy_ratio"] = f.Energy.Compute / c.Energy.Compute,
                ["weight_memory_ratio"] = (double)(f.WeightBits + f.ExtraParameterBits) / (c.WeightBits + c.ExtraParameterBits),
                ["bops_ratio"] = f.Bops / c.Bops,
                ["area_ratio"] = f.Area.Total / c.Area.Total,
            },
            ["layers"] = c.Layers.Select(l => Layer(l, data.Accelerator.Platform)).ToList(),
            ["activation_units"] = c.ActivationUnits.Select(u => new Dictionary<string, object?>
            {
                ["layer"] = u.Name, ["approximation"] = u.Approximation, ["elements"] = u.Elements, ["energy_pj"] = u.EnergyPj, ["area_um2"] = u.AreaUm2,
            }).ToList(),
        };
    }

    private static Dictionary<string, object?> Layer(LayerCost l, RooflinePlatform platform) => new()
    {
        ["name"] = l.Name,
        ["type"] = l.Type,
        ["arithmetic"] = l.Scheme.Describe(),
        ["mac"] = l.Scheme.Mac.ToString(),
        ["requant"] = l.Scheme.Requant.ToString(),
        ["weight_bits_per_value"] = l.Scheme.WeightBits,
        ["input_bits_per_value"] = l.Scheme.InputBits,
        ["output_bits_per_value"] = l.Scheme.OutputBits,
        ["accumulator_bits"] = l.AccumulatorBits,
        ["macs"] = l.Shape.Macs,
        ["params"] = l.Parameters,
        ["weight_bits"] = l.WeightBits,
        ["extra_parameter_bits"] = l.ExtraParameterBits,
        ["activation_bits"] = l.ActivationBits,
        ["bops"] = l.Bops,
        ["energy_pj"] = Energy(l.Energy),
        ["area_um2"] = Area(l.Area),
        ["weights_from_dram"] = l.WeightsFromDram,
        ["activations_spill"] = l.ActivationsSpill,
        ["ops"] = l.Ops,
        ["bytes"] = l.Bytes,
        ["intensity"] = l.Intensity,
        ["bound"] = platform.IsMemoryBound(l.Intensity) ? "memory" : "compute",
    };

    private static Dictionary<string, double> Energy(EnergyBreakdown e) => new()
    {
        ["mac"] = e.Mac, ["bias"] = e.Bias, ["requant"] = e.Requant, ["offsets"] = e.Offsets, ["sram"] = e.Sram, ["dram"] = e.Dram,
        ["compute"] = e.Compute, ["memory"] = e.Memory, ["total"] = e.Total,
    };

    private static Dictionary<string, double> Area(AreaBreakdown a) => new()
    {
        ["array"] = a.Array, ["requant"] = a.Requant, ["offsets"] = a.Offsets, ["total"] = a.Total,
    };
}

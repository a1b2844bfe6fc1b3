using System.Globalization;
using Ristretto.Hardware;

namespace Ristretto.Reports;

/// <summary>The report's tables as text: totals per plan against float32, and per layer for one plan.</summary>
public static class ReportTables
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>One row per plan: accuracy, MACs, parameters, bits, BOPs, energy, savings against float32, area.</summary>
    public static ReportTable Totals(ReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var f = data.Baseline.Cost;
        var rows = data.Plans.Select(p =>
        {
            var c = p.Cost;
            return (IReadOnlyList<string>)
            [
                p.Plan.Name,
                Accuracy(p.Plan.Accuracy),
                Kib(c.WeightBits + c.ExtraParameterBits),
                Kib(c.ActivationBits),
                Giga(c.Bops),
                Micro(c.Energy.Compute),
                Micro(c.Energy.Memory),
                Micro(c.Energy.Total),
                Ratio(f.Energy.Total, c.Energy.Total),
                Ratio(f.WeightBits + f.ExtraParameterBits, c.WeightBits + c.ExtraParameterBits),
                Mm2(c.Area.Total),
                p.OnParetoFront ? "yes" : (p.Plan.Accuracy is null ? "n/a" : "no"),
            ];
        }).ToList();
        return new ReportTable(
            ["plan", "top-1", "weights (KiB)", "activations (KiB)", "GBOPs", "arithmetic (µJ)", "memory (µJ)",
             "energy (µJ)", "energy ÷", "weights ÷", "area (mm²)", "Pareto"],
            rows, data.Plans.Select((p, i) => (p, i)).Where(x => x.p.OnParetoFront).Select(x => x.i).ToHashSet());
    }

    /// <summary>One row per costed layer of <paramref name="plan"/>, and a total row.</summary>
    public static ReportTable Layers(PlanReport plan, RooflinePlatform platform)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(platform);
        var rows = plan.Cost.Layers.Select(l => (IReadOnlyList<string>)
        [
            l.Name, l.Type, l.Scheme.Describe(), Count(l.Shape.Macs), Count(l.Parameters), Count(l.WeightBits), Count(l.ActivationBits),
            Giga(l.Bops), Nano(l.Energy.Mac), Nano(l.Energy.Bias + l.Energy.Requant + l.Energy.Offsets), Nano(l.Energy.Sram),
            Nano(l.Energy.Dram), Nano(l.Energy.Total), Mm2(l.Area.Total), l.Intensity.ToString("0.##", C),
            platform.IsMemoryBound(l.Intensity) ? "memory" : "compute",
        ]).ToList();
        var c = plan.Cost;
        rows.Add(
        [
            "total", "", "", Count(c.Macs), Count(c.Parameters), Count(c.WeightBits), Count(c.ActivationBits), Giga(c.Bops),
            Nano(c.Energy.Mac), Nano(c.Energy.Bias + c.Energy.Requant + c.Energy.Offsets), Nano(c.Energy.Sram), Nano(c.Energy.Dram),
            Nano(c.Energy.Total), Mm2(c.Area.Total) + " (max)", (c.Ops / c.Bytes).ToString("0.##", C), "",
        ]);
        return new ReportTable(
            ["layer", "type", "arithmetic", "MACs", "params", "weight bits", "activation bits moved", "GBOPs", "MAC array (nJ)",
             "bias+requant+offsets (nJ)", "SRAM (nJ)", "DRAM (nJ)", "total (nJ)", "area (mm²)", "ops/byte", "bound"], rows);
    }

    /// <summary>
    /// One row per activation layer <paramref name="plan"/> approximates (piecewise linear, lookup table) with its unit's
    /// energy and area, and a total row; null when the plan approximates none. Not part of the layer totals above.
    /// </summary>
    public static ReportTable? ActivationUnits(PlanReport plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var units = plan.Cost.ActivationUnits;
        if (units.Count == 0)
            return null;
        var rows = units.Select(u => (IReadOnlyList<string>)
            [u.Name, u.Approximation, Count(u.Elements), Nano(u.EnergyPj), Mm2(u.AreaUm2)]).ToList();
        rows.Add(["total", "", Count(units.Sum(u => u.Elements)), Nano(plan.Cost.ActivationUnitEnergyPj), Mm2(units.Max(u => u.AreaUm2)) + " (max)"]);
        return new ReportTable(["activation layer", "approximation", "elements per image", "energy (nJ)", "unit area (mm²)"], rows);
    }

    /// <summary>"98.12 %", or "—" when unknown.</summary>
    public static string Accuracy(PlanAccuracy? a) => a is null ? "—" : (100 * a.Top1).ToString("0.00", C) + " %";

    /// <summary>Thousands-separated integer.</summary>
    public static string Count(double v) => v.ToString("N0", C);

    /// <summary>Picojoules as microjoules.</summary>
    public static string Micro(double pj) => Scaled(pj / 1e6);

    /// <summary>Picojoules as nanojoules.</summary>
    public static string Nano(double pj) => Scaled(pj / 1e3);

    private static string Scaled(double v) => v.ToString(v >= 100 ? "N1" : v >= 1 ? "0.00" : "0.000", C);

    /// <summary>Bits as KiB.</summary>
    public static string Kib(double bits) => (bits / 8 / 1024).ToString("N1", C);

    /// <summary>Billions.</summary>
    public static string Giga(double v) => (v / 1e9).ToString("0.###", C);

    /// <summary>µm² as mm².</summary>
    public static string Mm2(double um2) => (um2 / 1e6).ToString("0.###", C);

    /// <summary>"4.12": how many times smaller the value is than the baseline.</summary>
    public static string Ratio(double baseline, double value) => value > 0 ? (baseline / value).ToString("0.##", C) : "—";
}

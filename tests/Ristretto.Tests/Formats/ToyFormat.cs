using System.Text.Json.Nodes;
using Ristretto.Formats;

namespace Ristretto.Tests.Formats;

/// <summary>
/// A toy format: values rounded to the nearest multiple of <see cref="Step"/> in [−Levels·Step, Levels·Step]
/// (a symmetric uniform grid, like DFP but with any step).
/// </summary>
[FormatKind("toy")]
internal sealed record ToyFormat(double Step, int Levels) : NumberFormat
{
    public override int BitWidth => (int)Math.Ceiling(Math.Log2(2 * Levels + 1));

    public override string Kind => "toy";

    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
    {
        double q = (float)x / Step;
        q = rounding == Rounding.Stochastic ? Math.Floor(q + u) : Math.Round(q, MidpointRounding.ToEven);
        return (float)(Math.Clamp(q, -Levels, Levels) * Step);
    }

    public override (double Min, double Max) ClipRange(int channel = 0) => (-Levels * Step, Levels * Step);

    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["step"] = Step, ["levels"] = Levels };

    public static NumberFormat FromJson(JsonNode node) => new ToyFormat((double)node["step"]!, FormatRegistry.Int(node, "levels"));

    public override FormatArithmetic Arithmetic => FormatArithmetic.Integer;

    public override ScaleKind RequantScale => ScaleKind.Float;

    public override AffineGrid Affine => new([Step], [0], -Levels, Levels, null);

    public override IEnumerable<double> GridValues(double lo, double hi) =>
        Enumerable.Range(-Levels, 2 * Levels + 1).Select(k => k * Step).Where(v => v >= lo && v <= hi);
}
